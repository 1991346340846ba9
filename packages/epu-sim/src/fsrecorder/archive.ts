// Reading and writing recordings: a gzip tar (`recording.json` + `chunks/chunk_<n>.bin`), or a legacy plain JSON.
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, extract } from 'tar';
import type { FsEvent, Recording, RecordingMetadata } from './format.ts';

export async function writeRecording(path: string, recording: Recording): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'fsrecorder-'));
  try {
    const body = { metadata: recording.metadata, events: recording.events };
    await writeFile(join(work, 'recording.json'), JSON.stringify(body));
    const entries = ['recording.json'];
    if (recording.chunks.size > 0) {
      await mkdir(join(work, 'chunks'));
      for (const [id, bytes] of recording.chunks) await writeFile(join(work, 'chunks', `${id}.bin`), bytes);
      entries.push('chunks');
    }
    await create({ gzip: true, file: path, cwd: work, portable: true }, entries);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function isGzip(bytes: Buffer): boolean {
  return bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export async function readRecording(path: string): Promise<Recording> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read the recording (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (!isGzip(raw) && !path.endsWith('.gz')) return parseBody(raw.toString('utf8'), path, new Map());
  const work = await mkdtemp(join(tmpdir(), 'fsrecorder-'));
  try {
    await extract({ file: path, cwd: work, strict: true }).catch((e: Error) => {
      throw new Error(`${path}: not a gzip tar recording (${e.message})`);
    });
    let json: string;
    try {
      json = await readFile(join(work, 'recording.json'), 'utf8');
    } catch {
      throw new Error(`${path}: the archive has no recording.json`);
    }
    const chunks = new Map<string, Buffer>();
    const names = await readdir(join(work, 'chunks')).catch(() => [] as string[]);
    for (const name of names) if (name.endsWith('.bin')) chunks.set(name.slice(0, -4), await readFile(join(work, 'chunks', name)));
    return parseBody(json, path, chunks);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function parseBody(json: string, path: string, chunks: Map<string, Buffer>): Recording {
  let body: { metadata?: Partial<RecordingMetadata>; events?: FsEvent[] };
  try {
    body = JSON.parse(json) as typeof body;
  } catch (e) {
    throw new Error(`${path}: recording.json is not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(body.events)) throw new Error(`${path}: recording.json has no "events" list`);
  const m = body.metadata ?? {};
  return {
    metadata: {
      recorded_at: m.recorded_at ?? '',
      watch_dir: m.watch_dir ?? '',
      total_events: m.total_events ?? body.events.length,
      version: m.version ?? '1.0',
      platform: m.platform ?? '',
    },
    events: body.events,
    chunks,
  };
}
