/**
 * `smartem tools find-foilhole-duplicates`: foil holes with several `FoilHoles/FoilHole_<id>_<date>_<time>.xml`
 * manifests at different times (EPU rewrites a hole's manifest; the latest wins). As the original's
 * find_foilhole_duplicates.py, without needing ripgrep.
 */
import { listFiles } from '@smartem/epu';

const FOILHOLE_MANIFEST = /(?:^|\/)FoilHoles\/FoilHole_(\d+)_(\d{8}_\d{6})\.xml$/;

export interface DuplicateFile {
  timestamp: string;
  path: string;
}

export interface DuplicateReport {
  summary: { total_groups: number; total_files: number; average_files_per_group: number };
  /** `FoilHole_<id>` → its manifests, sorted by path. */
  duplicates: Record<string, DuplicateFile[]>;
}

export async function findFoilholeDuplicates(dir: string): Promise<DuplicateReport> {
  const { files, unreadable } = await listFiles(dir);
  if (unreadable.some((u) => u.path === dir)) throw new Error(`cannot read directory ${dir} (${unreadable[0]!.reason})`);
  const groups = new Map<string, DuplicateFile[]>();
  for (const file of files) {
    const m = FOILHOLE_MANIFEST.exec(file.replaceAll('\\', '/'));
    if (!m) continue;
    const list = groups.get(m[1]!) ?? [];
    list.push({ timestamp: m[2]!, path: file });
    groups.set(m[1]!, list);
  }
  const duplicates: Record<string, DuplicateFile[]> = {};
  let totalFiles = 0;
  const ids = [...groups.keys()].sort((a, b) => Number(a) - Number(b));
  for (const id of ids) {
    const list = groups.get(id)!;
    if (list.length < 2 || new Set(list.map((f) => f.timestamp)).size < 2) continue;
    duplicates[`FoilHole_${id}`] = list.sort((a, b) => a.path.localeCompare(b.path));
    totalFiles += list.length;
  }
  const totalGroups = Object.keys(duplicates).length;
  return {
    summary: {
      total_groups: totalGroups,
      total_files: totalFiles,
      average_files_per_group: totalGroups === 0 ? 0 : Math.round((totalFiles / totalGroups) * 100) / 100,
    },
    duplicates,
  };
}

interface Style {
  bold(s: string): string;
  dim(s: string): string;
  cyan(s: string): string;
}

export function style(color: boolean): Style {
  const wrap = (code: string) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { bold: wrap('1'), dim: wrap('2'), cyan: wrap('36') };
}

const hhmmss = (timestamp: string): string => timestamp.slice(9);

/** `standard`: one panel per duplicated foil hole (with statistics when verbose). */
/** The length of `text` as a terminal shows it: without its ANSI colour codes (ESC [ n m). */
function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is exactly what an ANSI colour code starts with.
  return text.replace(/\u001b\[\d+m/g, '').length;
}

export function renderStandard(report: DuplicateReport, s: Style, verbose: boolean): string {
  const out: string[] = [];
  for (const [name, files] of Object.entries(report.duplicates)) {
    const body = files.map((f) => f.path);
    if (verbose) {
      const times = files.map((f) => f.timestamp).sort();
      body.push(s.dim(`${files.length} files, first ${times[0]}, last ${times[times.length - 1]}`));
    }
    const title = ` ${name} (${files.length} files) `;
    const width = Math.max(title.length, ...body.map((l) => visibleLength(l))) + 2;
    out.push(`╭─${s.bold(s.cyan(title))}${'─'.repeat(Math.max(0, width - title.length - 1))}╮`);
    for (const line of body) out.push(`│ ${line}${' '.repeat(Math.max(0, width - visibleLength(line) - 2))} │`);
    out.push(`╰${'─'.repeat(width)}╯`);
  }
  out.push(summaryLine(report));
  return out.join('\n');
}

/** `summary`: a table of foil hole, file count and HHMMSS of each manifest, then the totals. */
export function renderSummary(report: DuplicateReport, s: Style): string {
  const rows = Object.entries(report.duplicates).map(([name, files]) => [
    name.slice('FoilHole_'.length),
    String(files.length),
    files.map((f) => hhmmss(f.timestamp)).join(', '),
  ]);
  const header = ['FoilHole Number', 'File Count', 'Timestamps'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [s.bold(line(header)), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line), '', summaryLine(report)].join('\n');
}

function summaryLine(report: DuplicateReport): string {
  const { total_groups, total_files, average_files_per_group } = report.summary;
  return `Found ${total_groups} foil holes with duplicate manifests (${total_files} files, ${average_files_per_group} per foil hole on average)`;
}
