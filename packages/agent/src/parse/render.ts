/** Human-readable and JSON renderings of parse results for `smartem agent parse …`. */
import { relativeGridDir, type EpuDirectoryParse, type EpuFileKind, type EpuRecordByKind } from '@smartem/epu';

/** What `parse dir --json` prints: counts, a summary per grid, orphans, warnings, errors (and entities when assembled). */
export function directoryJson(parse: EpuDirectoryParse): object {
  return {
    root: parse.root,
    counts: parse.counts,
    grids: parse.grids.map((g) => ({
      grid_dir: relativeGridDir(parse, g),
      session_id: g.session?.id ?? null,
      name: g.session?.name ?? null,
      start_time: g.session?.start_time ?? null,
      instrument: g.session?.instrument ?? null,
      atlas_file: g.atlas_file,
      atlas_id: g.atlas?.id ?? null,
      gridsquares: g.gridsquares.size,
      gridsquares_with_metadata: [...g.gridsquares.values()].filter((s) => s.metadata).length,
      gridsquares_with_manifest: [...g.gridsquares.values()].filter((s) => s.manifest).length,
      foilholes: g.foilholes.size,
      micrographs: g.micrographs.length,
    })),
    orphans: parse.orphans,
    warnings: parse.warnings,
    errors: parse.errors,
    ...(parse.entities ? { entities: [...parse.entities.values()] } : {}),
  };
}

export function directoryText(parse: EpuDirectoryParse, seconds: number, verbose: boolean): string {
  const c = parse.counts;
  const lines = [
    `Parsed ${parse.root} in ${seconds.toFixed(1)} s (${parse.files_parsed} files, ${(parse.bytes_parsed / 1e6).toFixed(1)} MB)`,
    `  acquisitions ${c.acquisitions}, grids ${c.grids}, atlases ${c.atlases}, grid squares ${c.gridsquares}, ` +
      `foil holes ${c.foilholes}, micrographs ${c.micrographs}`,
  ];
  for (const g of parse.grids) {
    lines.push('', `Grid ${relativeGridDir(parse, g)}`);
    if (g.session) {
      lines.push(`  session     ${g.session.id}  ${g.session.name}  started ${g.session.start_time ?? '?'}`);
      const inst = g.session.instrument;
      if (inst) lines.push(`  instrument  ${inst.instrument_model ?? '?'} (id ${inst.instrument_id ?? '?'})`);
    } else lines.push('  session     (no EpuSession.dm)');
    lines.push(`  atlas       ${g.atlas ? `${g.atlas.id}  ${g.atlas.tiles.length} tiles  ${g.atlas_file}` : '(none)'}`);
    const squares = [...g.gridsquares.values()];
    lines.push(
      `  squares     ${squares.length} (${squares.filter((s) => s.metadata).length} with metadata, ` +
        `${squares.filter((s) => s.manifest).length} with a manifest)`,
    );
    lines.push(`  foil holes  ${g.foilholes.size}`, `  micrographs ${g.micrographs.length}`);
  }
  const list = (title: string, items: string[]): void => {
    if (items.length === 0) return;
    lines.push('', `${title} (${items.length}):`);
    const shown = verbose ? items : items.slice(0, 10);
    for (const item of shown) lines.push(`  - ${item}`);
    if (shown.length < items.length) lines.push(`  … ${items.length - shown.length} more (-v lists all, --json gives everything)`);
  };
  list(
    'Orphan micrographs (foil hole unknown)',
    parse.orphans.map((o) => `${o.path} (foil hole ${o.foilhole_id}, square ${o.gridsquare_id})`),
  );
  list('Warnings', parse.warnings);
  list(
    'Errors',
    parse.errors.map((e) => `${e.path}: ${e.reason}`),
  );
  return lines.join('\n');
}

type Value = unknown;

function scalar(v: Value): string {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return `[${v.map(scalar).join(', ')}]`;
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, Value>)
      .map(([k, x]) => `${k}=${scalar(x)}`)
      .join(' ');
  }
  return String(v);
}

/** One record as `field: value` lines; big collections are summarised (use --json for everything). */
export function recordText<K extends EpuFileKind>(kind: K, path: string, record: EpuRecordByKind[K]): string {
  const lines = [`${path} (${kind})`];
  for (const [key, value] of Object.entries(record as unknown as Record<string, Value>)) {
    if (key === 'tiles' && Array.isArray(value)) {
      const withSquares = value.filter((t: { gridsquare_positions: object }) => Object.keys(t.gridsquare_positions).length > 0).length;
      lines.push(`  ${key}: ${value.length} (${withSquares} with grid-square positions)`);
    } else if ((key === 'gridsquare_positions' || key === 'foilhole_positions') && value && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, Value>);
      lines.push(`  ${key}: ${entries.length}`);
      for (const [id, pos] of entries.slice(0, 3)) lines.push(`    ${id}: ${scalar(pos)}`);
      if (entries.length > 3) lines.push(`    … ${entries.length - 3} more`);
    } else lines.push(`  ${key}: ${scalar(value)}`);
  }
  return lines.join('\n');
}
