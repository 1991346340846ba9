import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { locateAtlas } from '@smartem/epu';
import { classifyEpuPath, epuParsers, type ParsedFile, type RecordByKind } from './epu.ts';

/**
 * The atlas of a grid directory watched on its own. EPU keeps the atlas in the visit's `atlas/` folder beside the grid
 * directories, so the watch of one grid does not see it: it is found as @smartem/epu finds it (the session's AtlasId
 * relative to the grid's parent or grandparent) and read when the session is. Null when the session names no atlas,
 * when it is not there, or when it is inside the watched directory (the watch reads it then).
 */
export async function readAtlasOutsideRoot(root: string, gridDir: string, session: RecordByKind['session']): Promise<ParsedFile | null> {
  if (!session.atlas_path) return null;
  const found = locateAtlas(join(root, ...gridDir.split('/')), session.atlas_path, []);
  if (!found) return null;
  const rel = relative(root, found);
  if (!rel.startsWith('..')) return null;
  const cls = classifyEpuPath(rel);
  if (cls?.kind !== 'atlas') return null;
  return { cls: { ...cls, kind: 'atlas' }, record: epuParsers.atlas(await readFile(found), found) };
}
