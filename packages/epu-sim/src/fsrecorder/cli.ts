import { Option, type Command } from 'commander';
import { guarded } from '@smartem/common/cli-guard';
import { positiveNumber } from '@smartem/common/cli-options';
import type { ReplayModeFlags } from './replay.ts';

const extList = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value.split(',').map((v) => v.trim().replace(/^\./, '').toLowerCase()),
];

interface RecordFlags {
  output?: string;
  skipBinaryContent: boolean;
  forceTextExtensions?: string[];
  forceBinaryExtensions?: string[];
  duration?: number;
}

interface ReplayFlags extends ReplayModeFlags {
  verify: boolean;
  skipUnreadable?: boolean;
  json?: boolean;
}

/** Registers this tool's commands under `smartem tools`. */
export function registerFsrecorderCommands(tools: Command): void {
  const fsr = tools.command('fsrecorder').description('record a directory being written, and replay it faithfully');

  fsr
    .command('record')
    .description('record DIR until Ctrl+C / SIGTERM (or --duration) into a .tar.gz recording')
    .argument('<dir>', 'directory to record')
    .argument('[output]', 'recording file (.tar.gz); or -o')
    .option('-o, --output <file>', 'recording file (.tar.gz)')
    .option('--skip-binary-content', 'store binary files as placeholders, size only (default)', true)
    .option('--no-skip-binary-content', 'store binary file content too')
    .option('--force-text-extensions <ext...>', 'treat these extensions as text', extList)
    .option('--force-binary-extensions <ext...>', 'treat these extensions as binary', extList)
    .option('--duration <seconds>', 'stop after this long', positiveNumber)
    .action(
      guarded('fsrecorder record', async (dir: string, positional: string | undefined, flags: RecordFlags) => {
        const output = flags.output ?? positional;
        if (!output) throw new Error('fsrecorder record: give the recording file (record DIR OUT.tar.gz, or -o OUT.tar.gz)');
        const { recordDirectory } = await import('./index.ts');
        const controller = new AbortController();
        const stop = (): void => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        if (flags.duration !== undefined) setTimeout(stop, flags.duration * 1000).unref();
        const result = await recordDirectory({
          dir,
          output,
          signal: controller.signal,
          policy: {
            skipBinaryContent: flags.skipBinaryContent,
            forceText: new Set(flags.forceTextExtensions ?? []),
            forceBinary: new Set(flags.forceBinaryExtensions ?? []),
          },
          onReady: () => process.stderr.write(`recording ${dir} — Ctrl+C to stop\n`),
        });
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        process.stdout.write(`recorded ${result.events} events (${result.chunks} binary chunks) into ${result.output}\n`);
      }),
    );

  fsr
    .command('replay')
    .description('replay a recording into TARGET')
    .argument('<recording>', 'recording (.tar.gz, or a legacy .json)')
    .argument('<target>', 'directory to write into')
    .option('-s, --speed <x>', 'speed factor', Number)
    .option('--max-delay <seconds>', 'longest wait between two events', Number)
    .option('--burst', '1 ms between events')
    .addOption(new Option('--dev-mode', 'speed 1000, max delay 0.1 s, burst'))
    .addOption(new Option('--fast', 'speed 100, max delay 1 s (the default)'))
    .addOption(new Option('--exact', 'recorded timing, no cap'))
    .option('--no-verify', 'skip sha256 verification')
    .option('--skip-unreadable', 'skip events of files that were unreadable when recorded')
    .option('--json', 'print the summary as JSON')
    .action(
      guarded('fsrecorder replay', async (recordingPath: string, target: string, flags: ReplayFlags) => {
        const { readRecording, replayRecording, replayTiming } = await import('./index.ts');
        const recording = await readRecording(recordingPath);
        const timing = replayTiming(flags);
        const summary = await replayRecording(recording, target, {
          timing,
          verify: flags.verify,
          skipUnreadable: flags.skipUnreadable ?? false,
          onProgress: (done, total) => {
            if (process.stderr.isTTY) process.stderr.write(`\r  ${done}/${total} events`);
          },
        });
        if (process.stderr.isTTY) process.stderr.write('\n');
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        } else {
          process.stdout.write(
            `replayed ${summary.applied}/${summary.events} events into ${target} (speed ${timing.speed}${timing.maxDelay === null ? '' : `, max delay ${timing.maxDelay} s`})` +
              `${summary.skipped ? `, ${summary.skipped} unreadable skipped` : ''}${summary.placeholders ? `, ${summary.placeholders} binary placeholders` : ''}\n` +
              `verified ${summary.verified} files, ${summary.mismatches.length} mismatches\n` +
              summary.mismatches
                .slice(0, 5)
                .map((m) => `  mismatch: ${m.path}\n`)
                .join('') +
              summary.errors
                .slice(0, 5)
                .map((e) => `  error: event ${e.event} ${e.path}: ${e.reason}\n`)
                .join(''),
          );
        }
        if (summary.errors.length > 0 || summary.mismatches.length > 0) process.exitCode = 1;
      }),
    );

  fsr
    .command('info')
    .description('describe a recording')
    .argument('<recording>', 'recording (.tar.gz or legacy .json)')
    .action(
      guarded('fsrecorder info', async (recordingPath: string) => {
        const { readRecording } = await import('./index.ts');
        const r = await readRecording(recordingPath);
        const counts = new Map<string, number>();
        for (const e of r.events) counts.set(e.event_type, (counts.get(e.event_type) ?? 0) + 1);
        process.stdout.write(
          `File: ${recordingPath}\nRecorded from: ${r.metadata.watch_dir}\nRecorded at: ${r.metadata.recorded_at}\nTotal events: ${r.events.length}\n` +
            `Format version: ${r.metadata.version}\nSource platform: ${r.metadata.platform}\n` +
            (r.chunks.size > 0 ? `Binary chunks: ${r.chunks.size}\n` : '') +
            `Event breakdown:\n${[...counts.entries()]
              .sort()
              .map(([k, v]) => `  ${k}: ${v}\n`)
              .join('')}`,
        );
      }),
    );
}
