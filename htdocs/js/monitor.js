/**
 * monitor: a console line every 30 s with the time left on the access
 * token, the refresh token, the idle timer and the session's maximum age —
 * from the server's deadlines as last reported, corrected for the browser's
 * clock — coloured green, amber or red by what runs out first. Also
 * `window.__tokenMonitor.getTokenStatus()` for anyone at the console.
 * It reads only what the page already knows: it sends no request, so it
 * can never keep a session alive. Never a token's value.
 */
import { formatCountdown } from './timeout.js';

/**
 * Seconds left on each deadline (null when unknown or none).
 * @param {object} info the session's deadlines (server s)
 * @param {number} nowMs server ms
 */
export function tokenStatus(info, nowMs, offsetMs = 0) {
  const left = (t) => (Number.isFinite(t) ? Math.round(t - nowMs / 1000) : null);
  return {
    signedIn: !!info?.sessionId,
    sessionId: info?.sessionId ?? null,
    accessS: left(info?.accessExpiresAt),
    refreshS: left(info?.refreshExpiresAt),
    idleS: info?.idleTimeoutS > 0 ? left(info?.idleExpiresAt) : null,
    absoluteS: left(info?.absoluteExpiresAt),
    clockOffsetMs: offsetMs,
    serverTime: Math.floor(nowMs / 1000),
  };
}

/** 'ok' | 'soon' | 'critical' for a status: by the idle and absolute time left. */
export function statusLevel(st, warningS = 300) {
  const lefts = [st.idleS, st.absoluteS, st.refreshS].filter((v) => v !== null);
  const min = lefts.length ? Math.min(...lefts) : Infinity;
  if (!st.signedIn || min <= 60) return 'critical';
  if (min <= warningS) return 'soon';
  return 'ok';
}

const COLOURS = { ok: '#1b7f3b', soon: '#a15c00', critical: '#b3261e' };

/** The console line: [format, css] for console.log('%c' + text, css). */
export function statusLine(st, level) {
  const f = (s) => (s === null ? '—' : s <= 0 ? 'expired' : formatCountdown(s * 1000));
  const text = st.signedIn
    ? `[tether] access ${f(st.accessS)} · refresh ${f(st.refreshS)} · idle ${f(st.idleS)} · session ${f(st.absoluteS)} · clock offset ${Math.round(st.clockOffsetMs / 1000)} s`
    : '[tether] signed out';
  return [`%c${text}`, `color: ${COLOURS[level]}; font-weight: bold`];
}

/**
 * Starts the monitor.
 * @param {() => object} getStatus returns tokenStatus(...)
 * @returns {() => void} stop
 */
export function startMonitor(getStatus, { intervalMs = 30000, log = console, warningS = () => 300 } = {}) {
  const tick = () => {
    const st = getStatus();
    log.log(...statusLine(st, statusLevel(st, warningS())));
  };
  globalThis.__tokenMonitor = { getTokenStatus: getStatus };
  tick();
  const t = setInterval(tick, intervalMs);
  return () => {
    clearInterval(t);
    if (globalThis.__tokenMonitor?.getTokenStatus === getStatus) delete globalThis.__tokenMonitor;
  };
}
