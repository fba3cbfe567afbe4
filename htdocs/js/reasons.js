/**
 * reasons: the names the front end shares with the server and with itself —
 * the server's refusal and end reasons, the logout types, the storage keys,
 * the cross-tab channel and lock names. Nothing else in js/ spells them.
 *
 * The lists match the server's tables (src/reason.c); a name the server adds
 * later still works everywhere here, it is only explained in general words.
 */

/** The server's 401 reasons. */
export const REASON = Object.freeze({
  TOKEN_MISSING: 'TOKEN_MISSING',
  TOKEN_INVALID: 'TOKEN_INVALID',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  TOKEN_REVOKED: 'TOKEN_REVOKED',
  SESSION_IDLE_TIMEOUT: 'SESSION_IDLE_TIMEOUT',
  SESSION_EXPIRED: 'SESSION_EXPIRED',
  SESSION_ENDED: 'SESSION_ENDED',
  REFRESH_INVALID: 'REFRESH_INVALID',
  REFRESH_EXPIRED: 'REFRESH_EXPIRED',
  REFRESH_REUSED: 'REFRESH_REUSED',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
});

/** Why a session ended (the server's `ended_reason`). */
export const ENDED = Object.freeze({
  USER_LOGOUT: 'USER_LOGOUT',
  LOGOUT_ALL: 'LOGOUT_ALL',
  REVOKED_BY_USER: 'REVOKED_BY_USER',
  REVOKED_BY_ADMIN: 'REVOKED_BY_ADMIN',
  PASSWORD_CHANGED: 'PASSWORD_CHANGED',
  REFRESH_REUSED: 'REFRESH_REUSED',
  USER_DISABLED: 'USER_DISABLED',
  IDLE_TIMEOUT: 'IDLE_TIMEOUT',
  EXPIRED: 'EXPIRED',
  PASSWORD_GUESSES: 'PASSWORD_GUESSES',
});

/** Logout types of a report (POST /logout-event accepts exactly these). */
export const LOGOUT = Object.freeze({
  USER_ACTION: 'USER_ACTION',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  IDLE_TIMEOUT: 'IDLE_TIMEOUT',
  REFRESH_FAILED: 'REFRESH_FAILED',
  SESSION_ENDED: 'SESSION_ENDED',
  AUTH_ERROR: 'AUTH_ERROR',
  UNKNOWN: 'UNKNOWN',
});

/** Client-side causes that are not server reasons (banner and report context). */
export const LOCAL = Object.freeze({
  SIGNED_OUT: 'SIGNED_OUT', // the user pressed "Log out"
  SIGNED_OUT_EVERYWHERE: 'SIGNED_OUT_EVERYWHERE', // the user pressed "Log out everywhere"
  UNAVAILABLE: 'UNAVAILABLE', // the server or the network failed
});

/** localStorage / sessionStorage keys. None of them ever holds a token. */
export const KEY = Object.freeze({
  activity: 'tether.activity', // ms of the last user activity, any tab
  refresh: 'tether.refresh', // the last refresh result (no token): {at, ok, ...}
  history: 'tether.logouts', // the last 10 logout reports
  explained: 'tether.explained', // ends already explained on the sign-in page
  handoff: 'tether.handoff', // sessionStorage: the report the sign-in page shows
  drafts: 'tether.drafts', // prefix; + '.' + user id + '.' + page
  user: 'tether.user', // {id, email} of the last user signed in here: whose drafts to list
});

/** The BroadcastChannel every tab of the origin joins. */
export const CHANNEL = 'tether';

/** Web Locks names. */
export const LOCK = Object.freeze({ refresh: 'tether-refresh', report: 'tether-report' });

/** How many logout reports the browser keeps. */
export const HISTORY_MAX = 10;

/**
 * The logout type for a server answer: `reason` is the 401 reason, `ended`
 * its `ended_reason` (if any).
 */
export function logoutTypeFor(reason, ended) {
  switch (reason) {
    case REASON.SESSION_IDLE_TIMEOUT:
      return LOGOUT.IDLE_TIMEOUT;
    case REASON.SESSION_EXPIRED:
    case REASON.REFRESH_EXPIRED:
      return LOGOUT.TOKEN_EXPIRED;
    case REASON.REFRESH_REUSED:
    case REASON.REFRESH_INVALID:
      return LOGOUT.REFRESH_FAILED;
    case REASON.SESSION_ENDED:
      if (ended === ENDED.IDLE_TIMEOUT) return LOGOUT.IDLE_TIMEOUT;
      if (ended === ENDED.EXPIRED) return LOGOUT.TOKEN_EXPIRED;
      // The session was ended by a refresh token used twice: the same
      // logout as the 401 REFRESH_REUSED that the replay itself got.
      if (ended === ENDED.REFRESH_REUSED) return LOGOUT.REFRESH_FAILED;
      return LOGOUT.SESSION_ENDED;
    case REASON.TOKEN_MISSING:
    case REASON.TOKEN_INVALID:
    case REASON.TOKEN_REVOKED:
    case REASON.TOKEN_EXPIRED:
      return LOGOUT.AUTH_ERROR;
    default:
      return LOGOUT.UNKNOWN;
  }
}

/** True when a 401 reason says the session itself is over (not just a token). */
export function isSessionEnd(reason) {
  return (
    reason === REASON.SESSION_IDLE_TIMEOUT ||
    reason === REASON.SESSION_EXPIRED ||
    reason === REASON.SESSION_ENDED ||
    reason === REASON.REFRESH_REUSED
  );
}
