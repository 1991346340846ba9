/** The file handling of `smartem tools format-xml` (collect, dry run, backup, rewrite, report). */
import { copyFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { prettyPrintXml } from './format-xml.ts';

const SUFFIXES = new Set(['.dm', '.xml']);

async function collect(path: string, recursive: boolean, out: string[]): Promise<void> {
  const s = await stat(path);
  if (s.isFile()) {
    if (SUFFIXES.has(extname(path).toLowerCase())) out.push(path);
    return;
  }
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const child = join(path, entry.name);
    if (entry.isFile() && SUFFIXES.has(extname(entry.name).toLowerCase())) out.push(child);
    else if (entry.isDirectory() && recursive) await collect(child, recursive, out);
  }
}

function stamp(date = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}_${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

export async function runFormatXml(
  paths: string[],
  options: { recursive?: boolean; dryRun?: boolean; backup?: boolean; verbose: number },
): Promise<number> {
  const files: string[] = [];
  for (const path of paths) {
    try {
      await collect(path, Boolean(options.recursive), files);
    } catch {
      process.stderr.write(`error: path does not exist: ${path}\n`);
      return 1;
    }
  }
  if (files.length === 0) {
    process.stdout.write('No .dm or .xml files found\n');
    return 0;
  }
  let failed = 0;
  for (const file of files) {
    if (options.dryRun) {
      process.stdout.write(`Would format: ${file}\n`);
      continue;
    }
    try {
      const formatted = prettyPrintXml(await readFile(file));
      if (options.backup) await copyFile(file, `${file}.${stamp()}.bak`);
      await writeFile(file, formatted, 'utf8');
      process.stdout.write(`✓ Formatted: ${file}\n`);
    } catch (error) {
      failed++;
      process.stdout.write(`✗ Error processing ${file}: ${(error as Error).message}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}
