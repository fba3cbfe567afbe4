import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  backoffMs,
  classify,
  createAuthClient,
  csrfFrom,
  infoFromHeaders,
  infoFromSessionInfo,
  infoFromTokens,
  mergeInfo,
  refreshOutcome,
  shouldRefreshAhead,
} from '../../htdocs/js/api.js';
import { createClock } from '../../htdocs/js/clock.js';
import { createTabs } from '../../htdocs/js/tabs.js';
import { MemoryStorage, sleep } from './helpers.js';

test('only a 401 is about authentication; 403, 429, 5xx and network errors are faults or errors', () => {
  assert.equal(classify(200), 'ok');
  assert.equal(classify(202), 'ok');
  assert.equal(classify(401), 'auth');
  assert.equal(classify(0), 'fault');
  assert.equal(classify(429), 'fault');
  assert.equal(classify(500), 'fault');
  assert.equal(classify(503), 'fault');
  assert.equal(classify(403), 'error');
  assert.equal(classify(400), 'error');
});

test('only a refresh that answers 401 ends the session', () => {
  assert.equal(refreshOutcome(401), 'over');
  for (const s of [0, 403, 404, 408, 429, 500, 502, 503, 504]) assert.equal(refreshOutcome(s), 'fault', `status ${s}`);
  assert.equal(refreshOutcome(200), 'ok');
});

test('back-off doubles from 1 s and stops at 30 s', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(backoffMs), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
});

test('the CSRF value comes from the tether_csrf cookie only', () => {
  assert.equal(csrfFrom('a=1; tether_csrf=abc%3D; b=2'), 'abc=');
  assert.equal(csrfFrom('tether_csrf_x=1'), '');
  assert.equal(csrfFrom(''), '');
});

test('with Secure cookies the CSRF cookie is __Host-tether_csrf, and it wins', () => {
  assert.equal(csrfFrom('a=1; __Host-tether_csrf=hostval; b=2'), 'hostval');
  assert.equal(csrfFrom('tether_csrf=plain; __Host-tether_csrf=hostval'), 'hostval');
  assert.equal(csrfFrom('__Host-tether_csrf=hostval; tether_csrf=plain'), 'hostval');
  assert.equal(csrfFrom('__Secure-tether_csrf=x'), '');
});

test('refresh ahead only near expiry and only after activity since the token was issued', () => {
  const exp = 10_000; // server s
  const base = { accessExpiresAt: exp, accessLifetimeS: 900 };
  const issuedMs = (exp - 900) * 1000;
  // 30 s left, active after issue: yes
  assert.equal(shouldRefreshAhead({ ...base, nowMs: (exp - 30) * 1000, lastActivityMs: issuedMs + 5000 }), true);
  // 30 s left, no activity since issue: wait for a real request
  assert.equal(shouldRefreshAhead({ ...base, nowMs: (exp - 30) * 1000, lastActivityMs: issuedMs - 5000 }), false);
  // 5 minutes left: not yet
  assert.equal(shouldRefreshAhead({ ...base, nowMs: (exp - 300) * 1000, lastActivityMs: issuedMs + 5000 }), false);
  // short test lifetimes: a margin of at least 2 s
  const short = { accessExpiresAt: exp, accessLifetimeS: 6 };
  assert.equal(shouldRefreshAhead({ ...short, nowMs: (exp - 2) * 1000, lastActivityMs: (exp - 5) * 1000 }), true);
  assert.equal(shouldRefreshAhead({ ...short, nowMs: (exp - 3) * 1000, lastActivityMs: (exp - 5) * 1000 }), false);
  // expired: the next request's 401 refreshes, not the timer
  assert.equal(shouldRefreshAhead({ ...short, nowMs: exp * 1000, lastActivityMs: (exp - 1) * 1000 }), false);
  assert.equal(shouldRefreshAhead({ ...short, nowMs: (exp + 9) * 1000, lastActivityMs: (exp + 8) * 1000 }), false);
});

test('the tokens answer gives deadlines and never a token', () => {
  const i = infoFromTokens({
    access_token: 'eyJ.x.y',
    access_expires_at: 200,
    refresh_expires_at: 900,
    session: { id: 's1', idle_timeout_s: 30, idle_expires_at: 130, absolute_expires_at: 1000, remember_me: false },
    server_time: 100,
  });
  assert.deepEqual(i, {
    sessionId: 's1',
    idleTimeoutS: 30,
    idleExpiresAt: 130,
    absoluteExpiresAt: 1000,
    rememberMe: false,
    accessExpiresAt: 200,
    refreshExpiresAt: 900,
    lastActiveAt: 100,
  });
  assert.ok(!JSON.stringify(i).includes('eyJ'));
});

test('session-info gives deadlines and the settings', () => {
  const i = infoFromSessionInfo({
    server_time: 100,
    session: { id: 's', created_at: 1, last_active_at: 90, idle_timeout_s: 30, idle_expires_at: 120, absolute_expires_at: 500, remember_me: true },
    access: { issued_at: 95, expires_at: 101 },
    refresh: { expires_at: 400 },
    settings: { warning_window_s: 20, activity_write_interval_s: 3, access_token_lifetime_s: 6, debug_panel: true },
  });
  assert.equal(i.lastActiveAt, 90);
  assert.equal(i.accessExpiresAt, 101);
  assert.equal(i.refreshExpiresAt, 400);
  assert.equal(i.warningWindowS, 20);
  assert.equal(i.stepS, 3);
  assert.equal(i.accessLifetimeS, 6);
  assert.equal(i.debugPanel, true);
});

test('the warning headers move the deadlines relative to the server time', () => {
  const h = { 'X-Session-Idle-Expires-In': '25', 'X-Token-Expires-In': '4' };
  assert.deepEqual(infoFromHeaders((n) => h[n] ?? null, 1000), { idleExpiresAt: 1025, accessExpiresAt: 1004 });
  assert.deepEqual(infoFromHeaders(() => null, 1000), {});
});

test('mergeInfo keeps what an update leaves undefined', () => {
  assert.deepEqual(mergeInfo({ a: 1, b: 2 }, { b: 3, c: undefined }), { a: 1, b: 3 });
});

// ---- the client against a fake server

function fakeServer({ accessOk = () => true, refreshStatus = () => 200 } = {}) {
  const calls = [];
  let now = 1_000_000;
  const fetch = async (url, init) => {
    calls.push({ url, method: init.method, headers: init.headers });
    await sleep(20);
    now += 1;
    const json = (status, body, headers = {}) =>
      new Response(JSON.stringify({ server_time: now, ...body }), { status, headers: { 'Content-Type': 'application/json', ...headers } });
    if (url.endsWith('/refresh')) {
      const s = refreshStatus();
      if (s === 'network') throw new TypeError('network');
      if (s !== 200) return json(s, { error: 'x', reason: s === 401 ? 'SESSION_ENDED' : undefined, ended_reason: 'REVOKED_BY_USER' });
      return json(200, {
        access_expires_at: now + 6,
        refresh_expires_at: now + 600,
        session: { id: 's1', idle_timeout_s: 30, idle_expires_at: now + 30, absolute_expires_at: now + 9999 },
      });
    }
    if (!accessOk()) return json(401, { error: 'unauthorized', reason: 'TOKEN_EXPIRED' });
    return json(200, { user: { id: 1 } }, { 'X-Session-Idle-Expires-In': '30', 'X-Token-Expires-In': '6' });
  };
  return { fetch, calls };
}

// Every channel is closed at the end even when an assertion fails: an
// open one keeps node running.
const opened = [];
after(() => opened.forEach((t) => t.close()));

function client(server, shared, extra = {}) {
  const tabs = createTabs({ name: shared.channel, locks: null });
  opened.push(tabs);
  const events = { over: [], info: [], conn: [] };
  const c = createAuthClient({
    base: '/api/auth',
    clock: createClock(),
    tabs,
    fetch: server.fetch,
    storage: shared.storage,
    cookies: () => 'tether_csrf=tok',
    onInfo: (u) => events.info.push(u),
    onSessionOver: (e) => events.over.push(e),
    onConnection: (s) => events.conn.push(s),
    ...extra,
  });
  return { c, tabs, events };
}

test('a 401 gets one refresh and one retry; non-GETs carry the CSRF header and cookie transport', async () => {
  let refreshed = false;
  const server = fakeServer({ accessOk: () => refreshed, refreshStatus: () => ((refreshed = true), 200) });
  const shared = { channel: 't-api-1', storage: new MemoryStorage() };
  const { c, tabs } = client(server, shared);
  const r = await c.request('/activity', { method: 'POST' });
  assert.equal(r.status, 200);
  assert.deepEqual(server.calls.map((x) => x.url.replace('/api/auth', '')), ['/activity', '/refresh', '/activity']);
  for (const call of server.calls.filter((x) => x.method === 'POST')) {
    assert.equal(call.headers['X-CSRF-Token'], 'tok');
    assert.equal(call.headers['X-Token-Transport'], 'cookie');
  }
  tabs.close();
});

test('a background request refreshes as background too', async () => {
  let refreshed = false;
  const server = fakeServer({ accessOk: () => refreshed, refreshStatus: () => ((refreshed = true), 200) });
  const shared = { channel: 't-api-2', storage: new MemoryStorage() };
  const { c, tabs } = client(server, shared);
  await c.request('/session-info', { background: true });
  assert.ok(server.calls.every((x) => x.headers['X-Activity'] === 'background'));
  tabs.close();
});

// Two tabs whose access token expired at once, on one channel; shared:
// whether they share storage (one browser) or not (what one writes, the
// other does not see yet). Exactly one refresh between them either way.
async function twoTabsRefreshOnce(channel, shared) {
  let refreshes = 0;
  const server = fakeServer({ accessOk: () => refreshes > 0, refreshStatus: () => (refreshes++, 200) });
  const storage = new MemoryStorage();
  const a = client(server, { channel, storage });
  const b = client(server, { channel, storage: shared ? storage : new MemoryStorage() });
  const [ra, rb] = await Promise.all([a.c.request('/me'), b.c.request('/me')]);
  assert.equal(ra.status, 200);
  assert.equal(rb.status, 200);
  assert.equal(refreshes, 1);
}

test('two tabs with an expired token make exactly one refresh between them (channel claims, no Web Locks)', () =>
  twoTabsRefreshOnce('t-api-3', true));

test('a 503 or a network error from /refresh is a fault: the session is not over', async () => {
  for (const s of [503, 'network', 429, 403]) {
    const server = fakeServer({ accessOk: () => false, refreshStatus: () => s });
    const shared = { channel: `t-api-4-${s}`, storage: new MemoryStorage() };
    const { c, tabs, events } = client(server, shared);
    const r = await c.request('/me');
    assert.equal(r.fault, true, `refresh ${s}`);
    assert.equal(events.over.length, 0, `refresh ${s} must not end the session`);
    assert.deepEqual(events.conn, ['reconnecting']);
    assert.equal(c.backingOff(), true);
    tabs.close();
  }
});

test('a refresh that answers 401 ends the session with the server reason', async () => {
  const server = fakeServer({ accessOk: () => false, refreshStatus: () => 401 });
  const shared = { channel: 't-api-5', storage: new MemoryStorage() };
  const { c, tabs, events } = client(server, shared);
  const r = await c.request('/me');
  assert.equal(r.status, 401);
  assert.equal(events.over.length, 1);
  assert.equal(events.over[0].reason, 'SESSION_ENDED');
  assert.equal(events.over[0].ended_reason, 'REVOKED_BY_USER');
  tabs.close();
});

test('the shared refresh record never holds a token', async () => {
  let refreshed = false;
  const server = fakeServer({ accessOk: () => refreshed, refreshStatus: () => ((refreshed = true), 200) });
  const shared = { channel: 't-api-6', storage: new MemoryStorage() };
  const { c, tabs } = client(server, shared);
  await c.request('/me');
  const rec = shared.storage.getItem('tether.refresh');
  assert.ok(rec);
  assert.ok(!/token"\s*:/.test(rec) && !rec.includes('eyJ'), rec);
  tabs.close();
});

test('a tab that waited for the other\'s refresh uses its result even before shared storage shows it', { timeout: 10000 }, () =>
  twoTabsRefreshOnce('t-api-7', false));

test('a logout report by sendBeacon carries the CSRF value in its body; by fetch in the header', async () => {
  const sent = [];
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', {
    configurable: true,
    value: { sendBeacon: (url, blob) => (sent.push({ url, blob }), true) },
  });
  try {
    const shared = { channel: 't-api-beacon', storage: new MemoryStorage() };
    const calls = [];
    const failing = { fetch: async (url, init) => (calls.push(init), Promise.reject(new Error('offline'))) };
    const { c, tabs } = client(failing, shared);
    const status = await c.report({ type: 'IDLE_TIMEOUT', message: 'm' });
    assert.equal(status, 202);
    assert.equal(calls[0].headers['X-CSRF-Token'], 'tok');
    assert.equal(JSON.parse(calls[0].body).csrf, undefined, 'fetch: the header, not the body');
    assert.equal(sent.length, 1);
    assert.deepEqual(JSON.parse(await sent[0].blob.text()), { type: 'IDLE_TIMEOUT', message: 'm', csrf: 'tok' });
    tabs.close();
  } finally {
    if (saved) Object.defineProperty(globalThis, 'navigator', saved);
    else delete globalThis.navigator;
  }
});
