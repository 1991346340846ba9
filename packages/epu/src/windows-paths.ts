/** Windows paths written inside EPU files (`Z:\DoseFractions\…`), mapped the way the original agent does. */

/** `Z:\a\b` → `/cygdrive/z/a/b`; other paths: `\` → `/`; then every `//` → `/` (UNC `\\srv\x` → `/srv/x`). */
export function toCygwinPath(path: string): string {
  let mapped = path[1] === ':' ? `/cygdrive/${path[0]!.toLowerCase()}${path.slice(2).replaceAll('\\', '/')}` : path.replaceAll('\\', '/');
  while (mapped.includes('//')) mapped = mapped.replaceAll('//', '/');
  return mapped;
}

/**
 * The session's AtlasId relative to its storage folder, as the original computes `atlas_path`:
 * `Z:\nt1\atlas\S\Sample4\Atlas\Atlas.dm` with storage `Z:\nt1` → `atlas/S/Sample4/Atlas/Atlas.dm`.
 * When the prefix does not match, the path keeps its backslashes (only a leading separator is dropped).
 */
export function atlasPathRelativeToStorage(atlasId: string, storageFolder: string | null): string {
  let relative = atlasId;
  if (storageFolder && atlasId.toLowerCase().startsWith(storageFolder.toLowerCase())) {
    relative = atlasId.slice(storageFolder.length).replaceAll('\\', '/');
  }
  return relative.replace(/^[/\\]+/, '');
}
