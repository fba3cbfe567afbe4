import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActivity, reportDue } from '../../htdocs/js/activity.js';
import { createTabs } from '../../htdocs/js/tabs.js';
import { MemoryStorage, sleep, waitFor } from './helpers.js';

const S = 1_000_000; // server seconds of the last activity the server knows

test('no activity the server has not seen: nothing to report', () => {
  assert.equal(reportDue({ lastActivityMs: S * 1000 + 500, lastActiveAtS: S, stepS: 60, nowMs: (S + 600) * 1000 }), false);
});

test('unseen activity is reported once the server write step has passed, not before', () => {
  const a = { lastActivityMs: (S + 10) * 1000, lastActiveAtS: S, stepS: 60 };
  assert.equal(reportDue({ ...a, nowMs: (S + 59) * 1000 }), false);
  assert.equal(reportDue({ ...a, nowMs: (S + 60) * 1000 }), true);
});

test('while a warning shows, unseen activity is reported at once', () => {
  assert.equal(
    reportDue({ lastActivityMs: (S + 2) * 1000, lastActiveAtS: S, stepS: 60, nowMs: (S + 3) * 1000, urgent: true }),
    true,
  );
});

test('an unknown server state reports nothing', () => {
  assert.equal(reportDue({ lastActivityMs: 5, lastActiveAtS: undefined, stepS: 1, nowMs: 10 }), false);
});

test('activity marks are throttled and shared with another tab', async (ctx) => {
  let t = 10_000;
  const target = new EventTarget();
  const ta = createTabs({ name: 't-act', locks: null });
  const tb = createTabs({ name: 't-act', locks: null });
  ctx.after(() => (ta.close(), tb.close())); // an open channel keeps node running
  const seenB = [];
  const a = createActivity({ now: () => t, tabs: ta, target, storage: new MemoryStorage() });
  const b = createActivity({ now: () => t, tabs: tb, target: new EventTarget(), storage: new MemoryStorage(), onActivity: (ms, local) => seenB.push([ms, local]) });
  a.start();
  target.dispatchEvent(new Event('keydown'));
  t += 200;
  target.dispatchEvent(new Event('pointermove')); // throttled
  t += 1000;
  target.dispatchEvent(new Event('wheel'));
  await waitFor(() => seenB.length >= 2);
  await sleep(30); // nothing more comes
  assert.deepEqual(seenB, [
    [10_000, false],
    [11_200, false],
  ]);
  assert.equal(b.last(), 11_200);
  a.stop();
  b.stop();
});

test('ignored events are not activity', () => {
  const target = new EventTarget();
  const tabs = createTabs({ name: 't-act2', locks: null });
  const a = createActivity({ now: () => 5000, tabs, target, storage: new MemoryStorage(), ignore: (e) => e.type === 'keydown' });
  a.start();
  target.dispatchEvent(new Event('keydown'));
  assert.equal(a.last(), 0);
  target.dispatchEvent(new Event('pointerdown'));
  assert.equal(a.last(), 5000);
  a.stop();
  tabs.close();
});
