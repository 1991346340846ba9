import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import {
  nonNegativeInteger,
  nonNegativeNumber,
  portNumber,
  positiveInteger,
  positiveNumber,
  verboseOption,
  wholeNumberAtLeast,
} from './cli-options.ts';
import { levelFromVerbosity } from './log.ts';

/** Parses `args` as a user would type them; a rejected option comes back as commander's error line. */
function run(args: string[]): Record<string, unknown> | string {
  let error = '';
  const program = new Command('t')
    .exitOverride()
    .configureOutput({ writeErr: (s) => (error += s), writeOut: () => {} })
    .option('--count <n>', '', positiveInteger)
    .option('--index <n>', '', nonNegativeInteger)
    .option('--pending <n>', '', wholeNumberAtLeast(2))
    .option('--speed <x>', '', positiveNumber)
    .option('--delay <s>', '', nonNegativeNumber)
    .option('--port <n>', '', portNumber)
    .addOption(verboseOption());
  try {
    program.parse(args, { from: 'user' });
  } catch {
    return error.trim();
  }
  return program.opts();
}

test('-v counts', () => {
  assert.deepEqual(run([]), { verbose: 0 });
  assert.deepEqual(run(['-v']), { verbose: 1 });
  assert.deepEqual(run(['-vv', '--verbose']), { verbose: 3 });
  assert.equal(levelFromVerbosity(0, {}), 'error');
  assert.equal(levelFromVerbosity(0, { SMARTEM_LOG_LEVEL: 'WARN' }), 'warn');
  assert.equal(levelFromVerbosity(1, { SMARTEM_LOG_LEVEL: 'warn' }), 'info');
  assert.equal(levelFromVerbosity(2, {}), 'debug');
});

test('numbers in range are accepted as numbers', () => {
  assert.deepEqual(run(['--count', '3', '--index', '0', '--pending', '2', '--speed', '0.5', '--delay', '0', '--port', '65535']), {
    count: 3,
    index: 0,
    pending: 2,
    speed: 0.5,
    delay: 0,
    port: 65535,
    verbose: 0,
  });
});

test('anything else is refused naming the option, the value and what it must be', () => {
  const cases: Array<[string[], string]> = [
    [['--count', '0'], "option '--count <n>' argument '0' is invalid. must be a whole number ≥ 1"],
    [['--count', '2.5'], "argument '2.5' is invalid. must be a whole number ≥ 1"],
    [['--index', '-1'], "argument '-1' is invalid. must be a whole number ≥ 0"],
    [['--index', ''], "argument '' is invalid. must be a whole number ≥ 0"],
    [['--pending', '1'], "argument '1' is invalid. must be a whole number ≥ 2"],
    [['--speed', '0'], "argument '0' is invalid. must be a number > 0"],
    [['--speed', 'fast'], "argument 'fast' is invalid. must be a number > 0"],
    [['--delay', 'Infinity'], "argument 'Infinity' is invalid. must be a number ≥ 0"],
    [['--port', '65536'], "option '--port <n>' argument '65536' is invalid. must be a port number (0–65535)"],
    [['--port', ' 80'], "argument ' 80' is invalid. must be a port number (0–65535)"],
  ];
  for (const [args, message] of cases) {
    const out = run(args);
    assert.equal(typeof out, 'string', args.join(' '));
    assert.ok((out as string).includes(message), `${args.join(' ')}: ${String(out)}`);
  }
});
