/**
 * banner: the sign-in page's answer to "why was I signed out?".
 *
 * `explain(report)` turns a logout report (type, the server's reason and
 * ended reason, idle time) into plain words and an icon, pure; `showBanner`
 * puts them above the sign-in form with a "Show technical details" toggle,
 * a close button, and a 30-second self-dismissal that pauses while the
 * banner has the focus or the pointer.
 */
import { ENDED, LOCAL, LOGOUT, REASON } from './reasons.js';
import { formatDuration } from './timeout.js';

/** How long the banner stays (ms) when nobody is looking at it. */
export const DISMISS_MS = 30000;

const IDLE_WORDS = (r) => {
  const s = Number.isFinite(r.idle_for_s) ? r.idle_for_s : Number.isFinite(r.idle_minutes) ? r.idle_minutes * 60 : NaN;
  return Number.isFinite(s) && s > 0 ? formatDuration(s * 1000) : null;
};

/**
 * Plain words for a logout report.
 * @param {{type?: string, reason?: string, ended_reason?: string, cause?: string,
 *          idle_for_s?: number, idle_minutes?: number}} r
 * @returns {{key: string, tone: 'info'|'warning'|'danger', icon: string, title: string, text: string}}
 *   key names the case (for tests and styling); icon is a file name in img/
 */
export function explain(r = {}) {
  const reason = r.reason;
  const ended = r.ended_reason;
  if (r.cause === LOCAL.SIGNED_OUT_EVERYWHERE)
    return {
      key: 'you-everywhere',
      tone: 'info',
      icon: 'check',
      title: 'You signed out everywhere.',
      text: 'Every session of your account has ended, on this device and on all others.',
    };
  if (r.cause === LOCAL.SIGNED_OUT || (r.type === LOGOUT.USER_ACTION && !reason))
    return {
      key: 'you',
      tone: 'info',
      icon: 'check',
      title: 'You signed out.',
      text: 'Your session on this device has ended. Sign in again whenever you like.',
    };
  if (r.cause === LOCAL.UNAVAILABLE)
    return {
      key: 'unavailable',
      tone: 'warning',
      icon: 'warning',
      title: 'The server could not be reached.',
      text: 'This is a problem with the network or the server, not with your password. You may still be signed in: try again in a moment.',
    };
  if (reason === REASON.SESSION_IDLE_TIMEOUT || ended === ENDED.IDLE_TIMEOUT || r.type === LOGOUT.IDLE_TIMEOUT) {
    const idle = IDLE_WORDS(r);
    return {
      key: 'idle',
      tone: 'info',
      icon: 'clock',
      title: idle ? `You were signed out after ${idle} without activity.` : 'You were signed out after a period without activity.',
      text: 'Sessions end when nobody uses them for a while, to protect your account on a computer left alone. Work you had not saved on this device was kept.',
    };
  }
  if (reason === REASON.SESSION_EXPIRED || ended === ENDED.EXPIRED || reason === REASON.REFRESH_EXPIRED)
    return {
      key: 'max-age',
      tone: 'info',
      icon: 'clock',
      title: 'Your session reached its maximum age.',
      text: 'Sessions last a fixed time at most, even while you are active ("Remember me" makes it longer). Sign in again to continue; work you had not saved on this device was kept.',
    };
  if (reason === REASON.REFRESH_REUSED || ended === ENDED.REFRESH_REUSED)
    return {
      key: 'reuse',
      tone: 'danger',
      icon: 'lock',
      title: 'You were signed out to protect your account.',
      text: 'A sign-in token of this session was used twice, which happens when it has been copied. The session was ended everywhere it was used. Sign in again, and if this happens again, change your password.',
    };
  switch (ended) {
    case ENDED.USER_LOGOUT:
      return {
        key: 'you-elsewhere',
        tone: 'info',
        icon: 'check',
        title: 'You signed out.',
        text: 'This session was ended with "Log out", in this window or another one of this browser.',
      };
    case ENDED.REVOKED_BY_USER:
      return {
        key: 'revoked',
        tone: 'warning',
        icon: 'device',
        title: 'You were signed out from another device.',
        text: 'This session was ended from the list of signed-in devices. If that was not you, sign in and change your password.',
      };
    case ENDED.REVOKED_BY_ADMIN:
      return {
        key: 'admin',
        tone: 'warning',
        icon: 'device',
        title: 'An administrator ended your session.',
        text: 'The site\'s administrator signed this session out. Sign in again, or ask them why.',
      };
    case ENDED.LOGOUT_ALL:
      return {
        key: 'everywhere',
        tone: 'warning',
        icon: 'device',
        title: 'You were signed out everywhere.',
        text: '"Log out everywhere" was chosen on another device, which ended every session of your account. If that was not you, sign in and change your password.',
      };
    case ENDED.PASSWORD_CHANGED:
      return {
        key: 'password',
        tone: 'warning',
        icon: 'lock',
        title: 'Your password was changed.',
        text: 'Changing the password signs out every other session. Sign in with the new password. If you did not change it, contact the site\'s administrator.',
      };
    case ENDED.PASSWORD_GUESSES:
      return {
        key: 'guesses',
        tone: 'danger',
        icon: 'lock',
        title: 'You were signed out after too many wrong passwords.',
        text: 'The current password was entered wrongly too many times while changing it, so this session was ended to protect your account. Sign in again; if that was not you, change your password.',
      };
    case ENDED.USER_DISABLED:
      return {
        key: 'disabled',
        tone: 'danger',
        icon: 'lock',
        title: 'Your account has been disabled.',
        text: 'You cannot sign in until it is enabled again. Contact the site\'s administrator.',
      };
    default:
      break;
  }
  if (reason === REASON.SESSION_ENDED)
    return { key: 'ended', tone: 'info', icon: 'info', title: 'Your session has ended.', text: 'Sign in again to continue.' };
  if (r.type === LOGOUT.AUTH_ERROR || reason === REASON.TOKEN_INVALID || reason === REASON.REFRESH_INVALID)
    return {
      key: 'invalid',
      tone: 'warning',
      icon: 'warning',
      title: 'Your sign-in is no longer valid.',
      text: 'The browser\'s sign-in could not be verified (it may have been cleared or damaged). Sign in again.',
    };
  return { key: 'unknown', tone: 'info', icon: 'info', title: 'You were signed out.', text: 'Sign in again to continue.' };
}

/** The rows of "technical details": [[term, value]], only those known. */
export function detailRows(r, timeZone) {
  const rows = [];
  const add = (k, v) => {
    if (v !== undefined && v !== null && v !== '') rows.push([k, String(v)]);
  };
  add('Type', r.type);
  add('Server reason', r.reason);
  add('Ended reason', r.ended_reason);
  add('Message', r.message);
  const idle = IDLE_WORDS(r);
  if (idle) add('Idle time', idle);
  add('Page', r.location);
  if (Number.isFinite(r.at)) add('Time', new Date(r.at).toLocaleString('en-GB', { timeZone }));
  if (Number.isFinite(r.ended_at))
    add('Ended at (server)', new Date(r.ended_at * 1000).toLocaleString('en-GB', { timeZone }));
  return rows;
}

/**
 * Shows the banner for a report inside `container` (emptied first).
 * @returns {{close: () => void, element: HTMLElement}}
 */
export function showBanner(container, report, { dismissMs = DISMISS_MS, iconBase = 'img/', doc = globalThis.document } = {}) {
  const words = explain(report);
  const id = `tb-${Math.random().toString(36).slice(2, 8)}`;
  const box = doc.createElement('section');
  box.className = `tether-banner tether-banner-${words.tone}`;
  box.dataset.case = words.key;
  box.setAttribute('aria-labelledby', `${id}-title`);
  const icon = doc.createElement('img');
  icon.src = `${iconBase}${words.icon}.svg`;
  icon.alt = '';
  icon.className = 'tether-banner-icon';
  const body = doc.createElement('div');
  body.className = 'tether-banner-body';
  const title = doc.createElement('h2');
  title.id = `${id}-title`;
  title.textContent = words.title;
  const text = doc.createElement('p');
  text.textContent = words.text;
  const toggle = doc.createElement('button');
  toggle.type = 'button';
  toggle.className = 'tether-link';
  toggle.textContent = 'Show technical details';
  toggle.setAttribute('aria-expanded', 'false');
  toggle.setAttribute('aria-controls', `${id}-details`);
  const details = doc.createElement('dl');
  details.id = `${id}-details`;
  details.className = 'tether-details';
  details.hidden = true;
  for (const [k, v] of detailRows(report)) {
    const dt = doc.createElement('dt');
    dt.textContent = k;
    const dd = doc.createElement('dd');
    dd.textContent = v;
    details.append(dt, dd);
  }
  const close = doc.createElement('button');
  close.type = 'button';
  close.className = 'tether-close';
  close.setAttribute('aria-label', 'Close this notice');
  close.textContent = '×';
  body.append(title, text, toggle, details);
  box.append(icon, body, close);
  // Announced once as it appears (polite: the page is just loading).
  const live = doc.createElement('div');
  live.className = 'tether-sr-only';
  live.setAttribute('role', 'status');
  container.replaceChildren(box, live);
  setTimeout(() => {
    live.textContent = `${words.title} ${words.text}`;
  }, 100);

  let remaining = dismissMs;
  let startedAt = Date.now();
  let timer = null;
  let held = 0; // focus and hover each hold it open
  const run = () => {
    clearTimeout(timer);
    startedAt = Date.now();
    timer = setTimeout(doClose, remaining);
  };
  const hold = () => {
    if (held++ === 0) {
      clearTimeout(timer);
      remaining = Math.max(0, remaining - (Date.now() - startedAt));
    }
  };
  const release = () => {
    if (held > 0 && --held === 0) run();
  };
  function doClose() {
    clearTimeout(timer);
    const hadFocus = box.contains(doc.activeElement);
    box.remove();
    live.remove();
    // Focus goes on to the form, never lost to the page's body.
    if (hadFocus)
      (doc.querySelector('main input:not([type=hidden])') || doc.querySelector('main button') || doc.querySelector('main'))?.focus();
  }
  toggle.addEventListener('click', () => {
    const open = details.hidden;
    details.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? 'Hide technical details' : 'Show technical details';
  });
  close.addEventListener('click', doClose);
  box.addEventListener('focusin', hold);
  box.addEventListener('focusout', release);
  box.addEventListener('mouseenter', hold);
  box.addEventListener('mouseleave', release);
  if (dismissMs > 0) run();
  return { close: doClose, element: box };
}
