/** Telling "the database is down" from "this message is bad", and what the worker does about each. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUnreachableError } from '../src/db/unreachable.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test('network errors, connection SQLSTATEs and pool messages are unreachable, also wrapped in cause chains', () => {
  assert.ok(isUnreachableError(withCode('ECONNREFUSED')));
  assert.ok(isUnreachableError(withCode('08006')));
  assert.ok(isUnreachableError(withCode('57P01')));
  assert.ok(isUnreachableError(new Error('Connection terminated unexpectedly')));
  assert.ok(isUnreachableError(new Error('Failed query: select 1', { cause: withCode('ECONNRESET') })));
  assert.ok(isUnreachableError(new AggregateError([withCode('ECONNREFUSED')], 'connect failed')));
});

test('statement errors are not: a unique violation, a foreign key violation, a plain bug', () => {
  assert.ok(!isUnreachableError(withCode('23505')));
  assert.ok(!isUnreachableError(new Error('Failed query', { cause: withCode('23503') })));
  assert.ok(!isUnreachableError(new TypeError("Cannot read properties of undefined (reading 'uuid')")));
  assert.ok(!isUnreachableError(undefined));
});
