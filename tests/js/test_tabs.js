import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTabs, winsClaim } from '../../htdocs/js/tabs.js';
import { sleep, waitFor } from './helpers.js';

test('the lowest claim wins', () => {
  assert.equal(winsClaim('b', ['c', 'd']), true);
  assert.equal(winsClaim('b', ['a', 'c']), false);
  assert.equal(winsClaim('b', []), true);
});

test('messages reach the other tabs, not the sender', async (t) => {
  const a = createTabs({ name: 't-msg', locks: null });
  const b = createTabs({ name: 't-msg', locks: null });
  // An open channel keeps node running: close them even when an assertion fails.
  t.after(() => (a.close(), b.close()));
  const gotA = [];
  const gotB = [];
  a.on('hello', (m) => gotA.push(m));
  b.on('hello', (m) => gotB.push(m));
  a.post({ type: 'hello', n: 1 });
  await waitFor(() => gotB.length > 0);
  await sleep(30); // the sender would have had its own copy by now
  assert.equal(gotA.length, 0);
  assert.equal(gotB.length, 1);
  assert.equal(gotB[0].n, 1);
  assert.equal(gotB[0].from, a.id);
});

test('without Web Locks, channel claims run the work of three tabs one at a time', async (t) => {
  const tabs = [0, 1, 2].map(() => createTabs({ name: 't-excl', locks: null }));
  t.after(() => tabs.forEach((x) => x.close()));
  let running = 0;
  let most = 0;
  const order = [];
  await Promise.all(
    tabs.map((t, i) =>
      t.exclusive('job', async () => {
        running++;
        most = Math.max(most, running);
        await sleep(40);
        order.push(i);
        running--;
      }),
    ),
  );
  assert.equal(most, 1);
  assert.equal(order.length, 3);
});

test('a claim never hangs: a holder that never releases is waited for only waitMs', async (t) => {
  const a = createTabs({ name: 't-hang', locks: null });
  const b = createTabs({ name: 't-hang', locks: null });
  t.after(() => (a.close(), b.close()));
  let release;
  const held = a.exclusive('job', () => new Promise((r) => (release = r)), { waitMs: 60000 });
  await sleep(100);
  const t0 = Date.now();
  const r = await b.exclusive('job', async () => 'ran', { waitMs: 300 });
  assert.equal(r, 'ran');
  assert.ok(Date.now() - t0 < 2000);
  release();
  await held;
});

test('with Web Locks: a lock that cannot be had in time runs the work anyway', async () => {
  const locks = {
    request: (_n, opts, cb) =>
      opts.ifAvailable
        ? Promise.resolve(cb(null)) // held by someone else
        : new Promise((_r, reject) => opts.signal.addEventListener('abort', () => reject(opts.signal.reason))),
  };
  const t = createTabs({ name: 't-wl', locks });
  assert.equal(t.hasLocks, true);
  let seen;
  const r = await t.exclusive('job', async (x) => ((seen = x), 42), { waitMs: 50 });
  assert.equal(r, 42);
  assert.deepEqual(seen, { contended: true });
  t.close();
});
