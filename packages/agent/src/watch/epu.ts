// The parts of @smartem/epu the watcher uses: the one classifier and the per-kind parsers.
import {
  EPU_PARSERS,
  type EpuFileClass,
  type EpuFileKind,
  type EpuRecordByKind,
} from '@smartem/epu';

export { classifyEpuPath, EpuParseError, type EpuFileClass, type EpuFileKind } from '@smartem/epu';

export type RecordByKind = EpuRecordByKind;

export type ParsedFile = { [K in EpuFileKind]: { cls: EpuFileClass & { kind: K }; record: RecordByKind[K] } }[EpuFileKind];

export type EpuParsers = { [K in EpuFileKind]: (xml: string | Buffer, path: string) => RecordByKind[K] };

/** The parsers of @smartem/epu by file kind (they throw EpuParseError on a half-written or malformed file). */
export const epuParsers: EpuParsers = EPU_PARSERS;
