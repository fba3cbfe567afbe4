import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MIN_WARNING_MS,
  formatCountdown,
  formatDuration,
  milestoneText,
  phase,
  warningText,
} from '../../htdocs/js/timeout.js';

const NOW = 1_000_000; // server seconds
const info = (o = {}) => ({
  idleTimeoutS: 1800,
  idleExpiresAt: NOW + 1800,
  absoluteExpiresAt: NOW + 12 * 3600,
  warningWindowS: 300,
  ...o,
});

test('well before the idle deadline: ok, and the next change is when the warning is due', () => {
  const p = phase(info(), NOW * 1000);
  assert.equal(p.kind, 'ok');
  assert.equal(p.nextMs, (1800 - 300) * 1000);
});

test('within the warning window of the idle deadline: warn-idle with the time left', () => {
  const p = phase(info(), (NOW + 1800 - 299) * 1000);
  assert.equal(p.kind, 'warn-idle');
  assert.equal(p.remainingMs, 299000);
  assert.equal(p.deadlineMs, (NOW + 1800) * 1000);
});

test('exactly warning_window before the deadline the warning shows', () => {
  assert.equal(phase(info(), (NOW + 1500) * 1000).kind, 'warn-idle');
  assert.equal(phase(info(), (NOW + 1500) * 1000 - 1).kind, 'ok');
});

test('past the idle deadline: over-idle', () => {
  assert.equal(phase(info(), (NOW + 1800) * 1000).kind, 'over-idle');
});

test('the absolute end coming first gives warn-absolute, never an idle warning', () => {
  const i = info({ absoluteExpiresAt: NOW + 1700 });
  assert.equal(phase(i, (NOW + 1500) * 1000).kind, 'warn-absolute');
  assert.equal(phase(i, (NOW + 1700) * 1000).kind, 'over-absolute');
});

test('a remember-me session without idle timeout only knows its absolute end', () => {
  const i = info({ idleTimeoutS: 0, idleExpiresAt: null, absoluteExpiresAt: NOW + 20 * 86400 });
  assert.equal(phase(i, (NOW + 3600) * 1000).kind, 'ok');
  assert.equal(phase(i, (NOW + 20 * 86400 - 10) * 1000).kind, 'warn-absolute');
});

test('a warning window under 20 s still warns 20 s ahead (WCAG 2.2.1)', () => {
  const i = info({ warningWindowS: 5 });
  assert.equal(phase(i, (NOW + 1800) * 1000 - MIN_WARNING_MS).kind, 'warn-idle');
});

test('no deadlines known: ok', () => {
  assert.equal(phase(null, 0).kind, 'ok');
});

test('countdowns read m:ss, rounded up, and h:mm:ss past an hour', () => {
  assert.equal(formatCountdown(299001), '5:00');
  assert.equal(formatCountdown(299000), '4:59');
  assert.equal(formatCountdown(9000), '0:09');
  assert.equal(formatCountdown(-5), '0:00');
  assert.equal(formatCountdown(3723000), '1:02:03');
});

test('durations read as words', () => {
  assert.equal(formatDuration(30000), '30 seconds');
  assert.equal(formatDuration(60000), '1 minute');
  assert.equal(formatDuration(1800000), '30 minutes');
  assert.equal(formatDuration(3600000), '1 hour');
  assert.equal(formatDuration(3900000), '1 hour 5 minutes');
  assert.equal(formatDuration(1000), '1 second');
});

test('milestones are announced once as the countdown crosses them, not every second', () => {
  assert.equal(milestoneText(61000, 60000, 'warn-idle'), 'You will be signed out in 1 minute.');
  assert.equal(milestoneText(60000, 59000, 'warn-idle'), null);
  assert.equal(milestoneText(31000, 29000, 'warn-absolute'), 'Your session ends in 30 seconds.');
  assert.equal(milestoneText(200000, 199000, 'warn-idle'), null);
});

test('the absolute warning does not offer to extend and says the work is kept', () => {
  const w = warningText('warn-absolute', Date.UTC(2026, 0, 1, 14, 30), 'UTC');
  assert.match(w.tail, /cannot be extended/);
  assert.match(w.tail, /kept/);
  assert.match(w.lead, /14:30|02:30 PM/);
  assert.match(warningText('warn-idle', 0).lead, /inactivity/);
});
