/** @smartem/epu — reading what EPU writes. See docs/epu.md. */
export { EpuParseError } from './errors.ts';
export { classifyEpuPath, PARENT_FIRST_RANK, toPosixPath, gridsquareIdFromDir, type EpuFileClass, type EpuFileKind } from './classify.ts';
export { parseEpuSession } from './parsers/session.ts';
export { parseAtlas } from './parsers/atlas.ts';
export { parseGridSquareMetadata } from './parsers/gridsquare-metadata.ts';
export { parseGridSquareManifest, parseFoilHoleManifest, parseMicrographManifest } from './parsers/image-manifests.ts';
export {
  parseEpuFile,
  parseEpuXml,
  parseClassified,
  readEpuFile,
  PARSERS as EPU_PARSERS,
  type ParsedEpuFile,
  type EpuRecordByKind,
} from './parse-file.ts';
export { toCygwinPath, atlasPathRelativeToStorage } from './windows-paths.ts';
export type * from './types.ts';
export {
  parseEpuDirectory,
  relativeGridDir,
  type EpuDirectoryParse,
  type ParseDirectoryOptions,
  type GridEntry,
  type GridSquareEntry,
  type FoilHoleEntry,
  type MicrographEntry,
  type Orphan,
} from './directory/parse-directory.ts';
export { MIN_FILES_FOR_WORKERS, parseMany, type ParseJob, type ParseOutcome } from './directory/parse-pool.ts';
export { validateEpuDirectory, validateGridDirectory, type ValidationResult } from './validate.ts';
export { scanXml, type XmlEvents } from './xml/scanner.ts';
export { decodeXml } from './xml/extract.ts';
export { listFiles, type WalkResult } from './directory/walk.ts';
export { locateAtlas } from './entities/locate-atlas.ts';
export { EntityAssembler } from './entities/assembler.ts';
export {
  entityKeys,
  mergeContribution,
  isSuperseded,
  addContributions,
  type KindFields,
  type EntityFields,
  type FieldValue,
  type KindContribution,
  type Contribution,
  type AssembledEntity,
} from './entities/contribution.ts';
