// fsrecorder: every kind of change recorded and replayed, a simulated EPU session round-tripped to an identical
// tree, binary placeholders as the original, bad archives named, and `record` as a child process stopped by SIGTERM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { FsRecorder, readRecording, replayRecording, replayTiming, writeRecording, type FsEventType } from '../src/index.ts';
import { playVisit } from '../src/index.ts';
import { treeHashes } from './support/tree.ts';

const quick = replayTiming({ devMode: true });
let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'fsrecorder-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Waits until the recorder has recorded more events than `n` (a condition, not a duration). */
async function recorded(recorder: FsRecorder, n: number): Promise<number> {
  for (let i = 0; i < 2000 && recorder.eventCount <= n; i++) await sleep(5);
  assert.ok(recorder.eventCount > n, 'the recorder saw the change');
  return recorder.eventCount;
}

test('each kind of change is recorded with its type and replays to the same tree', async () => {
  const src = join(dir, 'kinds');
  mkdirSync(join(src, 'old'), { recursive: true });
  writeFileSync(join(src, 'old', 'existing.xml'), '<a/>');
  const recorder = new FsRecorder(src, { skipBinaryContent: false });
  await recorder.start();
  let n = recorder.eventCount;
  mkdirSync(join(src, 'Data'));
  n = await recorded(recorder, n);
  writeFileSync(join(src, 'Data', 'half.xml'), '<MicroscopeImage><name>');
  n = await recorded(recorder, n);
  appendFileSync(join(src, 'Data', 'half.xml'), 'Empty</name></MicroscopeImage>');
  n = await recorded(recorder, n);
  writeFileSync(join(src, 'old', 'existing.xml'), '<b/>');
  n = await recorded(recorder, n);
  writeFileSync(join(src, 'preview.jpg'), Buffer.from([0xff, 0xd8, 0, 1, 2, 0xff, 0xd9]));
  n = await recorded(recorder, n);
  writeFileSync(join(src, 'old', 'existing.xml'), '');
  n = await recorded(recorder, n);
  rmSync(join(src, 'preview.jpg'));
  n = await recorded(recorder, n);
  const recording = await recorder.stop();
  const types = recording.events.map((e) => e.event_type);
  for (const t of ['initial_dir', 'initial_file', 'created', 'appended', 'modified', 'truncated', 'deleted'] as FsEventType[]) {
    assert.ok(types.includes(t), `a ${t} event`);
  }
  const appended = recording.events.find((e) => e.event_type === 'appended');
  assert.equal(appended?.file_position, '<MicroscopeImage><name>'.length);
  assert.equal(appended?.content, 'Empty</name></MicroscopeImage>');
  const times = recording.events.map((e) => e.timestamp);
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
    'events are in time order',
  );
  const archive = join(dir, 'kinds.tar.gz');
  await writeRecording(archive, recording);
  const back = await readRecording(archive);
  assert.equal(back.events.length, recording.events.length);
  const summary = await replayRecording(back, join(dir, 'kinds-replay'), { timing: quick });
  assert.deepEqual(summary.errors, []);
  assert.deepEqual(summary.mismatches, []);
  assert.deepEqual(treeHashes(join(dir, 'kinds-replay')), treeHashes(src));
});

test('a simulated EPU session recorded while it is played replays to an identical tree', async () => {
  const src = join(dir, 'session');
  mkdirSync(src);
  const recorder = new FsRecorder(src, { skipBinaryContent: false });
  await recorder.start();
  await playVisit({ out: src, squares: 2, holesPerSquare: 3, shotsPerHole: 2, seed: 9, speed: 5, maxDelayMs: 20 });
  const recording = await recorder.stop();
  const archive = join(dir, 'session.tar.gz');
  await writeRecording(archive, recording);
  const back = await readRecording(archive);
  assert.ok(back.chunks.size > 0, 'binary previews kept as chunks');
  const summary = await replayRecording(back, join(dir, 'session-replay'), { timing: quick });
  assert.deepEqual(summary.errors, []);
  assert.deepEqual(summary.mismatches, []);
  assert.deepEqual(treeHashes(join(dir, 'session-replay')), treeHashes(src));

  // The original's default: binary files are placeholders (same size, NUL bytes); text files identical.
  const skipping = new FsRecorder(src);
  await skipping.start();
  const placeholders = await skipping.stop();
  const out = join(dir, 'session-placeholders');
  const s2 = await replayRecording(placeholders, out, { timing: quick });
  assert.ok(s2.placeholders > 0);
  for (const [path, hash] of treeHashes(src)) {
    if (path.endsWith('.jpg')) assert.equal(statSync(join(out, path)).size, statSync(join(src, path)).size);
    else assert.equal(treeHashes(out).get(path), hash, path);
  }
});

test('unreadable and malformed recordings are reported with the file name', async () => {
  await assert.rejects(readRecording(join(dir, 'missing.tar.gz')), /missing\.tar\.gz/);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"events": 3}');
  await assert.rejects(readRecording(bad), /bad\.json.*events/);
  const legacy = join(dir, 'legacy.json');
  writeFileSync(
    legacy,
    JSON.stringify({
      events: [
        {
          timestamp: 1,
          event_type: 'created',
          src_path: 'a.txt',
          dest_path: null,
          is_directory: false,
          content: 'hi',
          size: 2,
          content_hash: `unreadable_2_1`,
          binary_chunk_id: null,
          operation_data: {},
          file_position: null,
          is_placeholder: false,
        },
      ],
    }),
  );
  const r = await readRecording(legacy);
  assert.equal(r.metadata.version, '1.0');
  const s = await replayRecording(r, join(dir, 'legacy-replay'), { timing: quick, skipUnreadable: true });
  assert.equal(s.skipped, 1);
  assert.equal(existsSync(join(dir, 'legacy-replay', 'a.txt')), false);
});

test('smartem tools fsrecorder record stops on SIGTERM and saves the recording', async () => {
  const src = join(dir, 'cli');
  mkdirSync(src);
  const archive = join(dir, 'cli.tar.gz');
  const bin = fileURLToPath(new URL('../../cli/bin/smartem.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'tools', 'fsrecorder', 'record', src, archive], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  await new Promise<void>((ok, fail) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('recording')) ok();
    });
    child.once('exit', (code) => fail(new Error(`record exited early (${code}): ${stderr}`)));
  });
  writeFileSync(join(src, 'EpuSession.dm'), '<EpuSessionXml/>');
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  // The change must be recorded before the stop; poll the file system the recorder reads, not the clock.
  await sleep(300);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  const r = await readRecording(archive);
  assert.ok(r.events.some((e) => e.src_path === 'EpuSession.dm' && e.content === '<EpuSessionXml/>'));
});
