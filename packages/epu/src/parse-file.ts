/** Classify + read + parse one EPU file. */
import { readFile } from 'node:fs/promises';
import { classifyEpuPath, toPosixPath, type EpuFileClass, type EpuFileKind } from './classify.ts';
import { EpuParseError } from './errors.ts';
import { parseEpuSession } from './parsers/session.ts';
import { parseAtlas } from './parsers/atlas.ts';
import { parseGridSquareMetadata } from './parsers/gridsquare-metadata.ts';
import { parseFoilHoleManifest, parseGridSquareManifest, parseMicrographManifest } from './parsers/image-manifests.ts';
import type {
  AtlasRecord,
  EpuSessionRecord,
  FoilHoleManifestRecord,
  GridSquareManifestRecord,
  GridSquareMetadataRecord,
  MicrographManifestRecord,
} from './types.ts';

export interface EpuRecordByKind {
  session: EpuSessionRecord;
  atlas: AtlasRecord;
  'gridsquare-metadata': GridSquareMetadataRecord;
  'gridsquare-manifest': GridSquareManifestRecord;
  'foilhole-manifest': FoilHoleManifestRecord;
  'micrograph-manifest': MicrographManifestRecord;
}

export type ParsedEpuFile = {
  [K in EpuFileKind]: { kind: K; path: string; file: EpuFileClass; record: EpuRecordByKind[K] };
}[EpuFileKind];

export const PARSERS: { [K in EpuFileKind]: (xml: string | Buffer, path: string) => EpuRecordByKind[K] } = {
  session: parseEpuSession,
  atlas: parseAtlas,
  'gridsquare-metadata': parseGridSquareMetadata,
  'gridsquare-manifest': parseGridSquareManifest,
  'foilhole-manifest': parseFoilHoleManifest,
  'micrograph-manifest': parseMicrographManifest,
};

/** Parses `xml` as a file of the given kind. */
export function parseEpuXml<K extends EpuFileKind>(kind: K, xml: string | Buffer, path: string): EpuRecordByKind[K] {
  return PARSERS[kind](xml, path);
}

/** Reads an I/O error as an EpuParseError naming the file (missing, unreadable, a directory…). */
export async function readEpuFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new EpuParseError(path, `cannot read file${code ? ` (${code})` : ''}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Classifies `path`, reads it and parses it. `kind` overrides the classification (for files whose names do not
 * follow EPU's pattern, e.g. pretty-printed copies). Throws EpuParseError for an unrecognised path or a bad file.
 */
export async function parseEpuFile(path: string, kind?: EpuFileKind): Promise<ParsedEpuFile> {
  let file = classifyEpuPath(path);
  if (kind && file?.kind !== kind) file = { kind, path: toPosixPath(path), grid_dir: null };
  if (!file)
    throw new EpuParseError(
      path,
      'not a recognised EPU file name (EpuSession.dm, Atlas/Atlas.dm, GridSquare_<id>.dm, or an Images-Disc manifest)',
    );
  return parseClassified(file, await readEpuFile(path), path);
}

/** Parses the contents of a classified file (throws EpuParseError); `path` names the file in errors. */
export function parseClassified(file: EpuFileClass, xml: string | Buffer, path: string): ParsedEpuFile {
  return asParsedEpuFile(file, PARSERS[file.kind](xml, path), path);
}

/** Pairs a record with the class of the file it came from (the record must be of `file.kind`). */
export function asParsedEpuFile(file: EpuFileClass, record: EpuRecordByKind[EpuFileKind], path: string): ParsedEpuFile {
  // TypeScript cannot correlate `file.kind` with the record's type across the union; the parsers table guarantees it.
  return { kind: file.kind, path, file, record } as ParsedEpuFile;
}
