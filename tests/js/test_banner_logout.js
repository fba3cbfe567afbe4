import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { detailRows, explain } from '../../htdocs/js/banner.js';
import { buildReport, pushHistory, sameEnd, takeHandoff, toWire } from '../../htdocs/js/logout.js';
import { ENDED, LOGOUT, logoutTypeFor, isSessionEnd } from '../../htdocs/js/reasons.js';
import { MemoryStorage } from './helpers.js';

const cases = [
  [{ cause: 'SIGNED_OUT', type: 'USER_ACTION' }, 'you', /You signed out\./],
  [{ cause: 'SIGNED_OUT_EVERYWHERE', type: 'USER_ACTION' }, 'you-everywhere', /everywhere/],
  [{ reason: 'SESSION_IDLE_TIMEOUT', idle_for_s: 1800 }, 'idle', /after 30 minutes without activity/],
  [{ reason: 'SESSION_EXPIRED' }, 'max-age', /maximum age/],
  [{ reason: 'SESSION_ENDED', ended_reason: 'REVOKED_BY_USER' }, 'revoked', /another device/],
  [{ reason: 'SESSION_ENDED', ended_reason: 'REVOKED_BY_ADMIN' }, 'admin', /administrator/],
  [{ reason: 'SESSION_ENDED', ended_reason: 'LOGOUT_ALL' }, 'everywhere', /signed out everywhere/],
  [{ reason: 'SESSION_ENDED', ended_reason: 'PASSWORD_CHANGED' }, 'password', /password was changed/],
  [{ reason: 'REFRESH_REUSED' }, 'reuse', /protect your account/],
  [{ reason: 'SESSION_ENDED', ended_reason: 'REFRESH_REUSED' }, 'reuse', /protect your account/],
  [{ reason: 'SESSION_ENDED', ended_reason: 'USER_DISABLED' }, 'disabled', /disabled/],
  [{ reason: 'SESSION_ENDED', ended_reason: 'PASSWORD_GUESSES' }, 'guesses', /too many wrong passwords/],
  [{ reason: 'SESSION_ENDED', ended_reason: 'USER_LOGOUT' }, 'you-elsewhere', /You signed out/],
  [{ cause: 'UNAVAILABLE' }, 'unavailable', /could not be reached/],
  [{ reason: 'TOKEN_INVALID' }, 'invalid', /no longer valid/],
  [{ reason: 'SOMETHING_NEW' }, 'unknown', /signed out/],
];

for (const [report, key, words] of cases) {
  test(`the banner explains ${report.reason || report.cause}${report.ended_reason ? '/' + report.ended_reason : ''} in its own words`, () => {
    const e = explain(report);
    assert.equal(e.key, key);
    assert.match(e.title, words);
    assert.ok(e.text.length > 20);
    assert.ok(['check', 'clock', 'lock', 'warning', 'info', 'device'].includes(e.icon));
  });
}

test('the server and the network failing is never worded as a credentials problem', () => {
  assert.match(explain({ cause: 'UNAVAILABLE' }).text, /not with your password/);
});

test('every case has its own title', () => {
  const titles = new Set(cases.map(([r]) => explain(r).key));
  assert.ok(titles.size >= 14);
});

test('every end reason the server records has its own words on the banner', () => {
  // The server's list (src/reason.c), so that a reason added there and not
  // here fails: it would be shown as the generic "Your session has ended".
  const c = readFileSync(new URL('../../src/reason.c', import.meta.url), 'utf8');
  const table = c.slice(c.indexOf('end_names['), c.indexOf('};', c.indexOf('end_names[')));
  const names = [...table.matchAll(/\[END_\w+\] = "(\w+)"/g)].map((m) => m[1]);
  assert.ok(names.length >= 10, names.join());
  for (const name of names) {
    assert.equal(ENDED[name], name, `ENDED.${name}`);
    const key = explain({ reason: 'SESSION_ENDED', ended_reason: name }).key;
    assert.ok(!['ended', 'unknown'].includes(key), `${name} is explained (${key})`);
  }
});

test('the technical details list type, reason, idle time and page', () => {
  const rows = detailRows(
    { type: 'IDLE_TIMEOUT', reason: 'SESSION_IDLE_TIMEOUT', idle_for_s: 95, location: '/app.html', at: Date.UTC(2026, 10, 30, 12), message: 'm' },
    'UTC',
  );
  const m = Object.fromEntries(rows);
  assert.equal(m.Type, 'IDLE_TIMEOUT');
  assert.equal(m['Server reason'], 'SESSION_IDLE_TIMEOUT');
  assert.equal(m['Idle time'], '2 minutes');
  assert.equal(m.Page, '/app.html');
  assert.match(m.Time, /30\/11\/2026/);
});

test('server reasons map to logout types', () => {
  assert.equal(logoutTypeFor('SESSION_IDLE_TIMEOUT'), LOGOUT.IDLE_TIMEOUT);
  assert.equal(logoutTypeFor('SESSION_EXPIRED'), LOGOUT.TOKEN_EXPIRED);
  assert.equal(logoutTypeFor('REFRESH_EXPIRED'), LOGOUT.TOKEN_EXPIRED);
  assert.equal(logoutTypeFor('REFRESH_REUSED'), LOGOUT.REFRESH_FAILED);
  assert.equal(logoutTypeFor('SESSION_ENDED', 'LOGOUT_ALL'), LOGOUT.SESSION_ENDED);
  assert.equal(logoutTypeFor('SESSION_ENDED', 'IDLE_TIMEOUT'), LOGOUT.IDLE_TIMEOUT);
  assert.equal(logoutTypeFor('SESSION_ENDED', 'REFRESH_REUSED'), LOGOUT.REFRESH_FAILED);
  assert.equal(logoutTypeFor('TOKEN_INVALID'), LOGOUT.AUTH_ERROR);
  assert.equal(logoutTypeFor(undefined), LOGOUT.UNKNOWN);
  assert.equal(isSessionEnd('SESSION_ENDED'), true);
  assert.equal(isSessionEnd('TOKEN_EXPIRED'), false);
});

test('a report has a type, the server reason, idle minutes and a message; its wire form holds no token', () => {
  const r = buildReport({ reason: 'SESSION_IDLE_TIMEOUT', idle_for_s: 1830, ended_at: 5, location: '/app.html', session_id: 's', user_id: 3, at: 1 });
  assert.equal(r.type, 'IDLE_TIMEOUT');
  assert.equal(r.idle_minutes, 30.5);
  assert.match(r.message, /31 minutes/); // 30.5 rounds up
  const w = toWire(r);
  assert.deepEqual(Object.keys(w).sort(), ['context', 'idle_minutes', 'location', 'message', 'type']);
  assert.equal(w.context.reason, 'SESSION_IDLE_TIMEOUT');
  assert.equal(w.context.session_id, 's');
  assert.ok(!JSON.stringify(w).match(/token/i));
  assert.equal(buildReport({ cause: 'SIGNED_OUT' }).type, 'USER_ACTION');
});

test('the history keeps the last 10, newest first', () => {
  let h = [];
  for (let i = 0; i < 12; i++) h = pushHistory(h, { n: i });
  assert.equal(h.length, 10);
  assert.equal(h[0].n, 11);
  assert.equal(h[9].n, 2);
});

test('two tabs reporting the same end are one end', () => {
  assert.equal(sameEnd({ session_id: 'a', type: 'X' }, { session_id: 'a', type: 'Y' }), true);
  assert.equal(sameEnd({ session_id: 'a' }, { session_id: 'b' }), false);
  assert.equal(sameEnd(null, { session_id: 'b' }), false);
});

test('the handoff is taken once', () => {
  const s = new MemoryStorage();
  s.setItem('tether.handoff', JSON.stringify({ type: 'IDLE_TIMEOUT' }));
  assert.deepEqual(takeHandoff(s), { type: 'IDLE_TIMEOUT' });
  assert.equal(takeHandoff(s), null);
});
