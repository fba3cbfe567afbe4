/**
 * session: the signed-in page's session, kept in step with the server.
 *
 * It owns the session's deadlines as the server last reported them (server
 * seconds; the clock module corrects for the browser's clock) and a
 * one-second tick that decides, from the pure functions of the other
 * modules, what to do now: report activity (activity.reportDue), refresh
 * ahead (api.shouldRefreshAhead, always as a background request: only
 * activity reports slide the idle timer), warn (timeout.phase), or end.
 * It never shows a warning or an end on its own guess: the first time a
 * deadline is reached it asks the server (GET /session-info, background),
 * and so it does after a sleep, a long-hidden tab or coming back online,
 * because browsers throttle timers in background tabs and a laptop lid
 * stops them. Deadlines and activity are shared with the other tabs.
 */
import { createActivity, reportDue } from './activity.js';
import { createAuthClient, infoFromSessionInfo, mergeInfo, shouldRefreshAhead } from './api.js';
import { createClock } from './clock.js';
import { createLogoutTracker } from './logout.js';
import { LOCAL, LOGOUT } from './reasons.js';
import { createTabs } from './tabs.js';
import { phase } from './timeout.js';
import { tokenStatus } from './monitor.js';

const TICK_MS = 1000;
const WAKE_GAP_MS = 5000; // a tick this late means the page was asleep or throttled
const VERIFY_MIN_MS = 2000; // asking again about the same deadline waits this long

/**
 * @param {object} o
 * @param {string} o.base API mount, e.g. '/api/auth'
 * @param {object} o.ui {showWarning(p), hideWarning(), warningShown(), onConnection(state, ms),
 *                        onLogout(report, fromOtherTab), onChange()}
 * @param {Document} [o.doc] @param {Window} [o.win]
 */
export function createSession(o) {
  const doc = o.doc || globalThis.document;
  const win = o.win || globalThis.window;
  const ui = o.ui;
  const clock = createClock();
  const tabs = createTabs();
  let info = null;
  let user = null;
  let over = false;
  let checking = false; // a question to the server is under way: show nothing new
  let reporting = false;
  let confirmedFor = null; // the deadline the server confirmed before we warn
  let lastTick = clock.localNow();
  let hiddenSince = 0;
  let timer = null;
  let retry = null;
  let lastVerify = 0;
  const listeners = new Set();

  const api = createAuthClient({
    base: o.base,
    clock,
    tabs,
    onInfo: (u) => update(u, false),
    onSessionOver: (end) => sessionOver(end),
    onConnection: (state, ms) => ui.onConnection?.(state, ms),
  });

  const activity = createActivity({
    now: () => clock.serverNow(),
    tabs,
    // While the warning shows, Tab only moves towards "Stay signed in" and
    // Escape only closes the warning: neither is an answer to it.
    ignore: (e) => e.type === 'keydown' && (e.key === 'Tab' || e.key === 'Escape') && ui.warningShown(),
    onActivity: (_ms, local) => {
      if (local && ui.warningShown()) evaluate();
    },
  });

  const tracker = createLogoutTracker({
    api,
    tabs,
    onLogout: (report, fromOther) => {
      stop();
      ui.onLogout(report, fromOther);
    },
  });

  function changed() {
    for (const fn of listeners) fn();
    ui.onChange?.();
  }

  function update(partial, share) {
    if (over || !partial) return;
    const p = { ...partial };
    const idleS = p.idleTimeoutS ?? info?.idleTimeoutS;
    if (p.idleExpiresAt !== undefined && p.lastActiveAt === undefined && idleS > 0)
      p.lastActiveAt = p.idleExpiresAt - idleS;
    // An answer never moves a deadline back because an older one arrived late.
    if (info && p.lastActiveAt !== undefined && p.lastActiveAt < info.lastActiveAt) {
      delete p.lastActiveAt;
      delete p.idleExpiresAt;
    }
    info = mergeInfo(info, p);
    if (share) tabs.post({ type: 'info', info });
    changed();
  }

  tabs.on('info', (msg) => {
    if (msg.info && msg.info.sessionId === info?.sessionId) {
      update(msg.info, false);
      evaluate();
    }
  });

  function sessionOver(end) {
    if (over) return;
    over = true;
    // Never signed in on this page (no cookie at all): no logout to explain.
    if (!info && end.reason === 'TOKEN_MISSING') {
      stop();
      ui.onSignedOut?.();
      return;
    }
    tracker.end({
      ...end,
      location: win.location.pathname + win.location.search,
      session_id: info?.sessionId,
      user_id: user?.id,
      email: user?.email,
    });
  }

  /** Asks the server where the session stands (background: it slides nothing). */
  async function verify({ force = false } = {}) {
    if (checking || over) return;
    if (!force && clock.localNow() - lastVerify < VERIFY_MIN_MS) return;
    lastVerify = clock.localNow();
    checking = true;
    try {
      const r = await api.request('/session-info', { background: true });
      if (r.ok && r.body) {
        update(infoFromSessionInfo(r.body), true);
        const ph = phase(info, clock.serverNow());
        confirmedFor = ph.deadlineMs;
      }
    } finally {
      checking = false;
    }
    evaluate();
  }

  async function reportActivity() {
    if (reporting || over) return;
    reporting = true;
    try {
      const r = await api.request('/activity', { method: 'POST' });
      if (r.ok && r.body) update(infoFromSessionInfo(r.body), true);
    } finally {
      reporting = false;
    }
    evaluate();
  }

  function evaluate() {
    if (over || !info || checking) return;
    const now = clock.serverNow();
    let ph = phase(info, now);
    const waiting = api.backingOff();
    if (
      info.idleTimeoutS > 0 &&
      !reporting &&
      !waiting &&
      reportDue({
        lastActivityMs: activity.last(),
        lastActiveAtS: info.lastActiveAt,
        stepS: info.stepS,
        nowMs: now,
        urgent: ph.kind === 'warn-idle',
      })
    ) {
      reportActivity();
      if (ph.kind === 'warn-idle') return; // the answer decides whether the warning stays
    }
    if (
      !waiting &&
      ph.kind === 'ok' &&
      shouldRefreshAhead({
        nowMs: now,
        accessExpiresAt: info.accessExpiresAt,
        accessLifetimeS: info.accessLifetimeS,
        lastActivityMs: activity.last(),
      })
    )
      api.refresh({ background: true });
    if (api.faults() > 0 && !waiting) {
      verify(); // try the server again after the back-off
      return;
    }
    if (ph.kind === 'ok') {
      ui.hideWarning();
      return;
    }
    if (confirmedFor !== ph.deadlineMs && !waiting) {
      verify(); // first time at this deadline: ask before showing anything
      return;
    }
    ph = phase(info, clock.serverNow());
    if (ph.kind === 'warn-idle' || ph.kind === 'warn-absolute') ui.showWarning(ph);
    else if (ph.kind.startsWith('over')) {
      // The server said the session was alive at this deadline, yet it has
      // passed: ask again (the answer ends it, or moves the deadline).
      if (!waiting) {
        confirmedFor = null;
        verify();
      } else ui.showWarning({ ...ph, kind: ph.kind === 'over-idle' ? 'warn-idle' : 'warn-absolute' });
    }
  }

  function tick() {
    const t = clock.localNow();
    const gap = t - lastTick;
    lastTick = t;
    if (gap > WAKE_GAP_MS) {
      confirmedFor = null;
      // A hidden tab's timers are throttled (once a minute, in Chrome):
      // it asks the server when it is shown again, not at every late tick.
      if (doc.visibilityState !== 'hidden') verify({ force: true });
    } else evaluate();
  }

  function onLifecycle(e) {
    if (over) return;
    if (e.type === 'visibilitychange' && doc.visibilityState === 'hidden') {
      hiddenSince = clock.localNow();
      return;
    }
    const hiddenFor = hiddenSince ? clock.localNow() - hiddenSince : 0;
    if (doc.visibilityState !== 'hidden') hiddenSince = 0;
    lastTick = clock.localNow();
    if (e.type === 'online' || (e.type === 'pageshow' && e.persisted) || hiddenFor > WAKE_GAP_MS) {
      confirmedFor = null;
      verify({ force: true });
    } else evaluate();
  }

  const LIFECYCLE = ['visibilitychange', 'pageshow', 'focus', 'online'];

  function stop() {
    over = true;
    clearInterval(timer);
    activity.stop();
    for (const e of LIFECYCLE) (e === 'visibilitychange' ? doc : win).removeEventListener(e, onLifecycle);
  }

  return {
    api,
    clock,
    tabs,
    activity,
    tracker,
    /**
     * Loads the session and starts the tick. The load is the user's own
     * doing: its GET /session-info is no background request, so the server
     * counts it as activity (within its write step) and no report follows. Resolves to 'ok', 'over' (the
     * logout flow has started) or 'fault' (the server is unreachable; it
     * keeps trying).
     */
    async start() {
      const r = await api.request('/session-info');
      if (over) return 'over';
      if (!r.ok || !r.body) {
        if (r.fault) {
          // Unreachable at load: try again after each back-off, once at a time.
          clearTimeout(retry);
          retry = setTimeout(() => this.start(), api.retryInMs() || TICK_MS);
          return 'fault';
        }
        sessionOver({ type: LOGOUT.UNKNOWN });
        return 'over';
      }
      update(infoFromSessionInfo(r.body), true);
      activity.start();
      for (const e of LIFECYCLE) (e === 'visibilitychange' ? doc : win).addEventListener(e, onLifecycle);
      timer = setInterval(tick, TICK_MS);
      return 'ok';
    },
    /** Sets the signed-in user (for reports). */
    setUser(u) {
      user = u;
    },
    user: () => user,
    info: () => info,
    /** "Stay signed in": tells the server the user is here. */
    async stay() {
      activity.mark();
      await reportActivity();
    },
    /**
     * The user's own logout (everywhere: every session of the account).
     * Resolves to true when done, false when the server could not be reached
     * (the user is then still signed in, and is told so).
     */
    async logout({ everywhere = false } = {}) {
      const r = await api.request(everywhere ? '/logout-all' : '/logout', { method: 'POST' });
      if (r.fault || (!r.ok && r.status !== 401)) return false;
      if (over) return true; // the 401 path has already ended it
      over = true;
      await tracker.end({
        type: LOGOUT.USER_ACTION,
        cause: everywhere ? LOCAL.SIGNED_OUT_EVERYWHERE : LOCAL.SIGNED_OUT,
        location: win.location.pathname + win.location.search,
        session_id: info?.sessionId,
        user_id: user?.id,
        email: user?.email,
      });
      return true;
    },
    /** Asks the server for the session's state now (background; the debug panel). */
    poll: () => verify({ force: true }),
    /** Seconds left on each deadline, for the monitor and the debug panel. */
    status: () => ({
      ...tokenStatus(info, clock.serverNow(), clock.offset()),
      connection: api.faults() > 0 ? 'reconnecting' : 'online',
      lastActivity: activity.last() ? new Date(activity.last()).toISOString() : null,
      locks: tabs.hasLocks ? 'Web Locks' : 'BroadcastChannel',
    }),
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    isOver: () => over,
  };
}
