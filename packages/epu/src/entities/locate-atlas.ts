/**
 * Finds a grid's Atlas.dm from the session's AtlasId, as the original does (`<grid>/../<atlas_path>`, then
 * `<grid>/../../<atlas_path>`), then among the Atlas.dm files found under the parse root whose path ends like
 * the AtlasId (never searching above the root, unlike the original's climb to `/`).
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Number of trailing path segments two paths share (case-insensitive: Windows names). */
function sharedTail(a: string[], b: string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n]!.toLowerCase() === b[b.length - 1 - n]!.toLowerCase()) n++;
  return n;
}

export function locateAtlas(gridDir: string, atlasPath: string, atlasFilesUnderRoot: readonly string[]): string | null {
  const relative = atlasPath.replaceAll('\\', '/');
  if (!/^[A-Za-z]:/.test(relative) && !relative.startsWith('/')) {
    for (const base of [join(gridDir, '..'), join(gridDir, '..', '..')]) {
      const candidate = resolve(base, relative);
      if (existsSync(candidate) && isFile(candidate)) return candidate;
    }
  }
  // At least `<atlas session dir>/Sample<N>/Atlas/Atlas.dm` must match; the longest shared tail wins, then the
  // atlas nearest the grid (longest common leading path).
  const wanted = relative.split('/').filter(Boolean);
  const gridParts = gridDir.replaceAll('\\', '/').split('/');
  let best: string | null = null;
  let bestScore = 4;
  let bestNear = -1;
  for (const file of atlasFilesUnderRoot) {
    const parts = file.replaceAll('\\', '/').split('/');
    const score = sharedTail(wanted, parts);
    if (score < bestScore) continue;
    let near = 0;
    while (near < parts.length && near < gridParts.length && parts[near] === gridParts[near]) near++;
    if (score > bestScore || near > bestNear) {
      best = file;
      bestScore = score;
      bestNear = near;
    }
  }
  return best;
}
