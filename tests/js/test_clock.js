import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClock, mergeBounds, offsetBounds, offsetOf } from '../../htdocs/js/clock.js';

test('one answer bounds the offset by the round trip and the server second', () => {
  // sent at 1000, back at 1100; the server said 5 (i.e. 5000..5999 ms)
  const b = offsetBounds(1000, 1100, 5);
  assert.deepEqual(b, { lo: 5000 - 1100, hi: 6000 - 1000 });
});

test('bounds that meet narrow to their intersection', () => {
  const m = mergeBounds({ lo: 0, hi: 1000 }, { lo: 400, hi: 1500 });
  assert.deepEqual(m, { lo: 400, hi: 1000 });
  assert.equal(offsetOf(m), 700);
});

test('bounds that do not meet mean the browser clock jumped: start again', () => {
  const m = mergeBounds({ lo: 0, hi: 1000 }, { lo: 600000, hi: 601000 });
  assert.deepEqual(m, { lo: 600000, hi: 601000 });
});

test('a browser clock 10 minutes slow: serverNow is the server time within a second', () => {
  let local = 1_700_000_000_000 - 600_000; // 10 min behind
  const server = () => local + 600_000;
  const clock = createClock(() => local);
  for (let i = 0; i < 5; i++) {
    const sent = local;
    local += 40; // half the round trip
    const st = Math.floor(server() / 1000);
    local += 40 + i * 137; // the other half, and time between requests
    clock.observe(sent, local, st);
  }
  assert.ok(Math.abs(clock.serverNow() - server()) < 1000, `off by ${clock.serverNow() - server()} ms`);
  assert.ok(Math.abs(clock.offset() - 600_000) < 1000);
});

test('a browser clock 10 minutes fast: the offset is negative and right', () => {
  let local = 1_700_000_000_000 + 600_000;
  const server = () => local - 600_000;
  const clock = createClock(() => local);
  const sent = local;
  local += 30;
  const st = Math.floor(server() / 1000);
  local += 30;
  clock.observe(sent, local, st);
  assert.ok(Math.abs(clock.serverNow() - server()) < 1100);
  assert.ok(clock.offset() < -598_000 && clock.offset() > -601_100);
});

test('no answer yet: the offset is 0 and nonsense answers are ignored', () => {
  const clock = createClock(() => 5000);
  clock.observe(10, 5, 3); // received before sent
  clock.observe(10, 20, NaN);
  assert.equal(clock.offset(), 0);
  assert.equal(clock.bounds(), null);
  assert.equal(clock.serverNow(), 5000);
});
