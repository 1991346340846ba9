import { test } from 'node:test';
import assert from 'node:assert/strict';
import { levelFromVerbosity } from './log.ts';

test('verbosity maps to the original levels: none → error, -v → info, -vv → debug', () => {
  assert.equal(levelFromVerbosity(0, {}), 'error');
  assert.equal(levelFromVerbosity(1, {}), 'info');
  assert.equal(levelFromVerbosity(2, {}), 'debug');
  assert.equal(levelFromVerbosity(3, {}), 'debug');
});

test('SMARTEM_LOG_LEVEL applies when no -v is given, case-insensitively; junk falls back to error', () => {
  assert.equal(levelFromVerbosity(0, { SMARTEM_LOG_LEVEL: 'INFO' }), 'info');
  assert.equal(levelFromVerbosity(0, { SMARTEM_LOG_LEVEL: 'Debug' }), 'debug');
  assert.equal(levelFromVerbosity(0, { SMARTEM_LOG_LEVEL: 'loud' }), 'error');
  assert.equal(levelFromVerbosity(2, { SMARTEM_LOG_LEVEL: 'ERROR' }), 'debug');
});
