/**
 * api: the auth client — a fetch wrapper for tether's API.
 *
 * Tokens travel only as httpOnly cookies (`X-Token-Transport: cookie`), so
 * no token ever reaches JavaScript; every non-GET echoes the CSRF cookie in
 * `X-CSRF-Token`. A 401 gets one refresh, shared by every tab, then one
 * retry. Only a refresh that answers 401 ends the session (onSessionOver);
 * 403, 429, 5xx, a timeout or a network error never do: they are a "fault",
 * the client says it is reconnecting and backs off. Every answer feeds the
 * clock (server_time) and the session's deadlines (onInfo).
 *
 * Requests the user did not cause pass `background: true` and carry
 * `X-Activity: background`, so they never slide the idle timer.
 */
import { KEY, LOCK } from './reasons.js';

const TIMEOUT_MS = 10000; // one request; a hung network must not hang the page
const LOCK_WAIT_MS = 15000;
const SHARED_WAIT_MS = 500; // how long a tab that waited for the lock waits for the winner's result

/** 'ok' | 'auth' (401) | 'fault' (retry later) | 'error' (the request was wrong). */
export function classify(status) {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 401) return 'auth';
  if (status === 0 || status === 408 || status === 429 || status >= 500) return 'fault';
  return 'error';
}

/** What a refresh answer means: 'ok', 'over' (sign out) or 'fault' (keep the session). */
export function refreshOutcome(status) {
  const c = classify(status);
  return c === 'ok' ? 'ok' : c === 'auth' ? 'over' : 'fault';
}

/** Back-off before the next automatic try after `attempt` faults in a row (ms). */
export function backoffMs(attempt) {
  return Math.min(30000, 1000 * 2 ** Math.max(0, attempt - 1));
}

/**
 * The value of the CSRF cookie in a document.cookie string, or ''. Its name
 * is `__Host-tether_csrf` when the server's cookies are Secure, and
 * `tether_csrf` on plain http; the prefixed one wins if both are there.
 */
export function csrfFrom(cookieString) {
  let plain = '';
  for (const part of (cookieString || '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === '__Host-tether_csrf') return decodeURIComponent(v.join('='));
    if (k === 'tether_csrf' && !plain) plain = decodeURIComponent(v.join('='));
  }
  return plain;
}

/**
 * Whether to refresh the access token ahead of its expiry now: only when it
 * is about to expire and the user did something since it was issued (an
 * idle tab waits for a real request instead). Times in server ms.
 */
export function shouldRefreshAhead({ nowMs, accessExpiresAt, accessLifetimeS, lastActivityMs }) {
  if (!accessExpiresAt || !accessLifetimeS) return false;
  const expMs = accessExpiresAt * 1000;
  const marginMs = Math.min(60000, Math.max(2000, (accessLifetimeS * 1000) / 4));
  const issuedMs = expMs - accessLifetimeS * 1000;
  // Not once it has expired: the next request's 401 refreshes then, and a
  // second path to the same refresh only races the other tabs'.
  return nowMs < expMs && expMs - nowMs <= marginMs && lastActivityMs > issuedMs;
}

/** The session's deadlines in a tokens answer (login, refresh). Times in server seconds. */
export function infoFromTokens(b) {
  const s = b.session || {};
  return {
    sessionId: s.id,
    idleTimeoutS: s.idle_timeout_s,
    idleExpiresAt: s.idle_expires_at,
    absoluteExpiresAt: s.absolute_expires_at,
    rememberMe: s.remember_me,
    accessExpiresAt: b.access_expires_at,
    refreshExpiresAt: b.refresh_expires_at,
    lastActiveAt:
      s.idle_expires_at && s.idle_timeout_s ? s.idle_expires_at - s.idle_timeout_s : b.server_time,
  };
}

/** The session's deadlines and settings in a /session-info (or /activity) answer. */
export function infoFromSessionInfo(b) {
  const s = b.session || {};
  const st = b.settings || {};
  return {
    sessionId: s.id,
    createdAt: s.created_at,
    lastActiveAt: s.last_active_at,
    idleTimeoutS: s.idle_timeout_s,
    idleExpiresAt: s.idle_expires_at,
    absoluteExpiresAt: s.absolute_expires_at,
    rememberMe: s.remember_me,
    userAgent: s.user_agent,
    ip: s.ip,
    accessExpiresAt: b.access?.expires_at,
    accessIssuedAt: b.access?.issued_at,
    refreshExpiresAt: b.refresh?.expires_at,
    warningWindowS: st.warning_window_s,
    stepS: st.activity_write_interval_s,
    accessLifetimeS: st.access_token_lifetime_s,
    debugPanel: st.debug_panel,
  };
}

/** The deadlines in an authenticated answer's headers (seconds from serverNowS). */
export function infoFromHeaders(get, serverNowS) {
  const out = {};
  const idle = get('X-Session-Idle-Expires-In');
  const tok = get('X-Token-Expires-In');
  if (idle !== null && idle !== '' && Number.isFinite(+idle)) out.idleExpiresAt = serverNowS + +idle;
  if (tok !== null && tok !== '' && Number.isFinite(+tok)) out.accessExpiresAt = serverNowS + +tok;
  return out;
}

/** Copies the defined fields of `update` onto `info` (a new object). */
export function mergeInfo(info, update) {
  const out = { ...(info || {}) };
  for (const [k, v] of Object.entries(update || {})) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * @param {object} o
 * @param {string} o.base the API mount, e.g. '/api/auth'
 * @param {ReturnType<import('./clock.js').createClock>} o.clock
 * @param {ReturnType<import('./tabs.js').createTabs>} o.tabs
 * @param {(update: object) => void} [o.onInfo] new deadlines (partial info)
 * @param {(end: {reason, ended_reason, ended_at, idle_for_s, message}) => void} [o.onSessionOver]
 * @param {(state: 'online'|'reconnecting', retryInMs?: number) => void} [o.onConnection]
 * @param {Storage} [o.storage] shared storage for the refresh result
 */
export function createAuthClient(o) {
  const f = o.fetch || globalThis.fetch.bind(globalThis);
  const storage = o.storage || globalThis.localStorage;
  const onInfo = o.onInfo || (() => {});
  const onOver = o.onSessionOver || (() => {});
  const onConnection = o.onConnection || (() => {});
  const cookies = o.cookies || (() => globalThis.document?.cookie || '');
  let faults = 0;
  let retryAt = 0;
  let inflight = null;

  let lastBroadcast = null; // the last refresh result another tab announced

  function readShared() {
    try {
      return JSON.parse(storage.getItem(KEY.refresh) || 'null');
    } catch {
      return null;
    }
  }

  // Another tab's refresh that arrived after `since` (ms), or null.
  function sharedSince(since) {
    for (const rec of [readShared(), lastBroadcast])
      if (rec && rec.at >= since && rec.outcome !== 'fault') return rec;
    return null;
  }

  // After waiting for another tab's lock, its result can still be on its
  // way (storage and the channel reach other tabs a moment later): wait
  // for it a little before refreshing again.
  async function awaitShared(since, ms) {
    const end = Date.now() + ms;
    for (;;) {
      const rec = sharedSince(since);
      if (rec || Date.now() >= end) return rec;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  function fault() {
    faults += 1;
    const wait = backoffMs(faults);
    retryAt = Date.now() + wait;
    onConnection('reconnecting', wait);
  }

  function healthy() {
    if (faults > 0) onConnection('online');
    faults = 0;
    retryAt = 0;
  }

  // One HTTP exchange; never throws. Returns {status, ok, body, headers, sentAt}.
  async function send(path, { method = 'GET', body, background = false, headers = {} } = {}) {
    const h = { Accept: 'application/json', 'X-Token-Transport': 'cookie', ...headers };
    if (background) h['X-Activity'] = 'background';
    let payload;
    if (method !== 'GET' && method !== 'HEAD') {
      h['X-CSRF-Token'] = csrfFrom(cookies());
      h['Content-Type'] = 'application/json';
      payload = JSON.stringify(body || {}); // never an empty POST: some servers want a length
    }
    const sentAt = Date.now();
    let res;
    try {
      res = await f(o.base + path, {
        method,
        headers: h,
        body: payload,
        credentials: 'same-origin',
        cache: 'no-store',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      return { status: 0, ok: false, body: null, headers: null, sentAt };
    }
    const receivedAt = Date.now();
    let data = null;
    try {
      data = res.status === 204 ? null : await res.json();
    } catch {
      data = null;
    }
    if (data && Number.isFinite(data.server_time)) o.clock.observe(sentAt, receivedAt, data.server_time);
    const get = (n) => res.headers.get(n);
    if (res.status >= 200 && res.status < 300) {
      const fromHeaders = infoFromHeaders(get, Math.floor(o.clock.serverNow() / 1000));
      if (Object.keys(fromHeaders).length) onInfo(fromHeaders);
    }
    return { status: res.status, ok: res.ok, body: data, headers: res.headers, sentAt };
  }

  /**
   * One refresh for every tab: waits for any other tab's refresh, and uses
   * its result when it arrived after `since` (browser ms; the cookies have
   * been rotated since then, so a retry will carry the new ones).
   * Returns {outcome: 'ok'|'over'|'fault', status, body, shared}.
   */
  function refresh({ background = false, since = Date.now() } = {}) {
    if (inflight) return inflight;
    inflight = o.tabs
      .exclusive(
        LOCK.refresh,
        async ({ contended } = {}) => {
          const rec = contended ? await awaitShared(since, SHARED_WAIT_MS) : sharedSince(since);
          if (rec) {
            if (rec.info) onInfo(rec.info);
            return { ...rec, shared: true };
          }
          const r = await send('/refresh', { method: 'POST', background });
          const outcome = refreshOutcome(r.status);
          const result = { outcome, status: r.status, at: Date.now() };
          if (outcome === 'ok' && r.body) result.info = infoFromTokens(r.body);
          if (outcome === 'over' && r.body) result.end = endOf(r.body);
          if (outcome !== 'fault') {
            try {
              storage.setItem(KEY.refresh, JSON.stringify(result));
            } catch {
              /* storage full or blocked: the channel still carries it */
            }
          }
          o.tabs.post({ type: 'refreshed', result });
          return result;
        },
        { waitMs: LOCK_WAIT_MS },
      )
      .then((result) => {
        if (result.outcome === 'ok') {
          healthy();
          if (result.info && !result.shared) onInfo(result.info);
        } else if (result.outcome === 'fault') {
          fault();
        } else {
          onOver(result.end || {});
        }
        return result;
      })
      .finally(() => {
        inflight = null;
      });
    return inflight;
  }

  // Another tab refreshed: take its deadlines, and keep its result for a
  // refresh this tab was about to make.
  o.tabs.on('refreshed', (msg) => {
    if (msg.result) lastBroadcast = msg.result;
    if (msg.result?.outcome === 'ok' && msg.result.info) onInfo(msg.result.info);
  });

  /**
   * A request with the session: on a 401, one shared refresh, then one retry
   * (opts.refresh === false: no refresh). opts: {method, body, background,
   * headers}. Resolves to {status, ok, body, headers, fault}; never rejects.
   */
  async function request(path, opts = {}) {
    let r = await send(path, opts);
    if (r.status === 401 && opts.refresh !== false) {
      const rr = await refresh({ background: !!opts.background, since: r.sentAt });
      if (rr.outcome === 'ok') r = await send(path, opts);
      else if (rr.outcome === 'fault') return { ...r, status: rr.status, ok: false, fault: true };
      else return r; // the session is over; onSessionOver has been told
    }
    if (classify(r.status) === 'fault') {
      fault();
      return { ...r, fault: true };
    }
    if (r.ok) healthy();
    return r;
  }

  return {
    request,
    refresh,
    /** A request without the refresh dance (login, the sign-in page's probes). */
    send,
    /** True while automatic work should wait (after a fault, until the back-off passes). */
    backingOff: () => Date.now() < retryAt,
    /** ms until the next automatic try, 0 when none is due. */
    retryInMs: () => Math.max(0, retryAt - Date.now()),
    /** Consecutive faults so far (0 = the server answered last time). */
    faults: () => faults,
    /**
     * Sends a logout report: with fetch keepalive (it can carry the CSRF
     * header, and survives the page going away), or navigator.sendBeacon
     * when fetch cannot start. The server takes it without CSRF too, but
     * counts it as the user's only with the CSRF value (the header, or
     * "csrf" in the body, which sendBeacon can carry).
     */
    report(report) {
      const url = o.base + '/logout-event';
      const csrf = csrfFrom(cookies());
      const body = JSON.stringify(report);
      const beaconBody = JSON.stringify(csrf ? { ...report, csrf } : report);
      try {
        return f(url, {
          method: 'POST',
          keepalive: true,
          credentials: 'same-origin',
          headers: {
            'Content-Type': 'application/json',
            'X-CSRF-Token': csrf,
            'X-Activity': 'background',
          },
          body,
        })
          .then((r) => r.status)
          .catch(() => beacon(url, beaconBody));
      } catch {
        return Promise.resolve(beacon(url, beaconBody));
      }
    },
  };
}

function beacon(url, body) {
  const ok = globalThis.navigator?.sendBeacon?.(url, new Blob([body], { type: 'text/plain;charset=UTF-8' }));
  return ok ? 202 : 0;
}

/** What a 401 body says about the end of a session. */
export function endOf(body) {
  return {
    reason: body?.reason,
    ended_reason: body?.ended_reason,
    ended_at: body?.ended_at,
    idle_for_s: body?.idle_for_s,
    message: body?.message,
  };
}
