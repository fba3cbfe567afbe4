/**
 * logout: every logout gets a type, a reason and a report.
 *
 * `buildReport` gives a logout its type (USER_ACTION, TOKEN_EXPIRED,
 * IDLE_TIMEOUT, REFRESH_FAILED, SESSION_ENDED, AUTH_ERROR, UNKNOWN), the
 * server's reason and ended reason when it gave them, a message, the idle
 * minutes and the page. The tracker sends it to the server once (not once
 * per tab: tabs agree through a lock and a shared mark), keeps the last 10
 * on this device, tells the other tabs, and hands it to the sign-in page
 * (sessionStorage of this tab) for the banner. A report never holds a token.
 */
import { explain } from './banner.js';
import { HISTORY_MAX, KEY, LOCK, LOGOUT, logoutTypeFor } from './reasons.js';

/**
 * A logout report from what is known of the end.
 * @param {object} c
 * @param {string} [c.type] a LOGOUT type; derived from the reason when absent
 * @param {string} [c.cause] a LOCAL cause (the user's own logout)
 * @param {string} [c.reason] the server's 401 reason
 * @param {string} [c.ended_reason] @param {number} [c.ended_at] @param {number} [c.idle_for_s]
 * @param {string} [c.location] the page @param {number} [c.at] ms
 * @param {string} [c.session_id] @param {number} [c.user_id] @param {string} [c.email]
 */
export function buildReport(c) {
  const type = c.type || (c.cause ? LOGOUT.USER_ACTION : logoutTypeFor(c.reason, c.ended_reason));
  const r = {
    type,
    at: c.at ?? Date.now(),
    location: c.location,
  };
  for (const k of ['cause', 'reason', 'ended_reason', 'ended_at', 'idle_for_s', 'session_id', 'user_id', 'email'])
    if (c[k] !== undefined && c[k] !== null) r[k] = c[k];
  if (Number.isFinite(c.idle_for_s)) r.idle_minutes = Math.round((c.idle_for_s / 60) * 10) / 10;
  r.message = explain(r).title;
  return r;
}

/** The body of POST /logout-event for a report. */
export function toWire(r) {
  const context = {};
  for (const k of ['cause', 'reason', 'ended_reason', 'ended_at', 'session_id', 'user_id', 'email', 'at'])
    if (r[k] !== undefined) context[k] = r[k];
  const wire = { type: r.type, message: r.message, location: r.location, context };
  if (Number.isFinite(r.idle_minutes)) wire.idle_minutes = r.idle_minutes;
  return wire;
}

/** A history with `report` first, at most `max` long. */
export function pushHistory(list, report, max = HISTORY_MAX) {
  return [report, ...(Array.isArray(list) ? list : [])].slice(0, max);
}

/** Whether a report is the one already made for the same end (another tab's). */
export function sameEnd(a, b) {
  if (!a || !b) return false;
  if (a.session_id && b.session_id) return a.session_id === b.session_id;
  return a.type === b.type && a.reason === b.reason && Math.abs((a.at || 0) - (b.at || 0)) < 10000;
}

function readJson(storage, key, fallback) {
  try {
    const v = JSON.parse(storage.getItem(key) || 'null');
    return v ?? fallback;
  } catch {
    return fallback;
  }
}

function writeJson(storage, key, value) {
  try {
    storage.setItem(key, JSON.stringify(value));
  } catch {
    /* a full or blocked storage only loses the history */
  }
}

/** The reports kept on this device, newest first. */
export function history(storage = globalThis.localStorage) {
  return readJson(storage, KEY.history, []);
}

/** The report handed to this tab's sign-in page, taken once (null when none). */
export function takeHandoff(storage = globalThis.sessionStorage) {
  const r = readJson(storage, KEY.handoff, null);
  try {
    storage.removeItem(KEY.handoff);
  } catch {
    /* nothing to take then */
  }
  return r;
}

/**
 * @param {object} o
 * @param {ReturnType<import('./api.js').createAuthClient>} o.api
 * @param {ReturnType<import('./tabs.js').createTabs>} o.tabs
 * @param {(report: object, fromOtherTab: boolean) => void} o.onLogout show it (alert or modal)
 * @param {Storage} [o.storage] @param {Storage} [o.tabStorage]
 */
export function createLogoutTracker(o) {
  const storage = o.storage || globalThis.localStorage;
  const tabStorage = o.tabStorage || globalThis.sessionStorage;
  let done = null;

  // Records and reports once among all tabs; true when this tab reported.
  function recordOnce(report) {
    return o.tabs.exclusive(
      LOCK.report,
      async () => {
        const list = history(storage);
        if (sameEnd(list[0], report)) return false;
        writeJson(storage, KEY.history, pushHistory(list, report));
        await o.api.report(toWire(report));
        return true;
      },
      { waitMs: 3000 },
    );
  }

  o.tabs.on('logout', (msg) => {
    if (done || !msg.report) return;
    done = msg.report;
    writeJson(tabStorage, KEY.handoff, done);
    o.onLogout(done, true);
  });

  return {
    /**
     * Ends the session on this page (once): builds the report, records and
     * sends it once among all tabs, tells the other tabs, hands it to the
     * sign-in page, and shows it. Resolves to the report.
     */
    async end(cause) {
      if (done) return done;
      const report = buildReport(cause);
      done = report;
      writeJson(tabStorage, KEY.handoff, report);
      o.tabs.post({ type: 'logout', report });
      try {
        await recordOnce(report);
      } catch {
        /* the report is best effort; the logout is not */
      }
      o.onLogout(report, false);
      return report;
    },
    /** The report of this page's logout, or null. */
    current: () => done,
    history: () => history(storage),
  };
}
