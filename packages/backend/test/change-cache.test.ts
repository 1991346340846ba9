/**
 * The change cache's bookkeeping, driven by hand through a notify feed: a result is kept until a notification, a
 * result read recently is computed again after one without waiting for a reader (and the reader then gets that
 * computation), a refresh waits for the key's computation still running, and one not read recently is only dropped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createChangeCache } from '../src/services/change-cache.ts';
import { createNotifyFeed } from '../src/services/notify-feed.ts';

/** A notify feed whose notifications the test sends. */
function handFeed() {
  let deliver: ((payload: string | null) => void) | undefined;
  const feed = createNotifyFeed(async (_channel, onNotify) => {
    deliver = onNotify;
    return async () => {};
  }, 'test');
  return { feed, notify: () => deliver!('') };
}

/** A computation the test finishes: each call is counted, and yields the count once released. */
function gated() {
  const calls: Array<() => void> = [];
  let waiting: (() => void) | undefined;
  const compute = () =>
    new Promise<number>((resolve) => {
      const n = calls.length + 1;
      calls.push(() => resolve(n));
      waiting?.();
    });
  const called = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (calls.length >= n ? resolve() : (waiting = check));
      check();
    });
  return { compute, calls, called };
}

test('a result read recently is computed again after a change, and the next reader gets that computation', async () => {
  const { feed, notify } = handFeed();
  const cache = await createChangeCache<number>(feed, 4, { refreshWithinMs: 60_000, refreshDelayMs: 0 });
  const g = gated();
  const first = cache.get('k', g.compute);
  g.calls[0]!();
  assert.equal(await first, 1);
  assert.equal(await cache.get('k', g.compute), 1, 'kept');
  notify();
  await g.called(2);
  const reader = cache.get('k', g.compute);
  g.calls[1]!();
  assert.equal(await reader, 2);
  assert.equal(g.calls.length, 2, 'the reader joined the refresh');
  cache.close();
});

test('a refresh waits for the computation of its key still running; a result overtaken by a change is not kept', async () => {
  const { feed, notify } = handFeed();
  const cache = await createChangeCache<number>(feed, 4, { refreshWithinMs: 60_000, refreshDelayMs: 0 });
  const g = gated();
  const first = cache.get('k', g.compute);
  notify();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(g.calls.length, 1, 'no second computation while the first runs');
  g.calls[0]!();
  assert.equal(await first, 1, 'handed to its caller');
  await g.called(2);
  g.calls[1]!();
  assert.equal(await cache.get('k', g.compute), 2);
  cache.close();
});

test('without a recent read, a change only drops the result', async () => {
  const { feed, notify } = handFeed();
  const cache = await createChangeCache<number>(feed, 4);
  const g = gated();
  const first = cache.get('k', g.compute);
  g.calls[0]!();
  await first;
  notify();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(g.calls.length, 1);
  const again = cache.get('k', g.compute);
  g.calls[1]!();
  assert.equal(await again, 2);
  cache.close();
});
