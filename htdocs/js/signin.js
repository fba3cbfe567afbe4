/**
 * signin: the wiring of the sign-in page (index.html). Shows why the last
 * session ended (the banner), sends a visitor who is still signed in on to
 * the app, and signs in, with a distinct message for wrong credentials, a
 * disabled account, too many attempts (counting down Retry-After) and a
 * server that cannot be reached (never shown as a credentials problem).
 */
import { createAuthClient, endOf } from './api.js';
import { showBanner } from './banner.js';
import { createClock } from './clock.js';
import { safeNext } from './devices.js';
import { buildReport, history, pushHistory, takeHandoff } from './logout.js';
import { KEY, LOCAL, REASON, isSessionEnd } from './reasons.js';
import { createTabs } from './tabs.js';
import { formatCountdown, formatDuration } from './timeout.js';

const meta = (n) => document.querySelector(`meta[name="${n}"]`)?.content;
const base = meta('tether-api') || '/api/auth';
const next = safeNext(new URLSearchParams(location.search).get('next'), location.origin, 'app.html');

const clock = createClock();
const tabs = createTabs();
const api = createAuthClient({ base, clock, tabs });

const $ = (id) => document.getElementById(id);
const form = $('signin');
const submit = $('submit');
const errorBox = $('form-error');
let throttleTimer = null;

/** Marks an end as explained on this device; false if it already was. */
function explainOnce(report) {
  const id = `${report.reason || report.type}:${report.ended_at || report.at}`;
  let seen = [];
  try {
    seen = JSON.parse(localStorage.getItem(KEY.explained) || '[]');
  } catch {
    seen = [];
  }
  if (seen.includes(id)) return false;
  try {
    localStorage.setItem(KEY.explained, JSON.stringify([id, ...seen].slice(0, 20)));
  } catch {
    /* shown again next time, that is all */
  }
  return true;
}

function banner(report) {
  showBanner($('banner'), report);
}

function showError(kind, text) {
  clearInterval(throttleTimer);
  errorBox.dataset.kind = kind;
  errorBox.textContent = text;
  errorBox.hidden = false;
}

function clearError() {
  clearInterval(throttleTimer);
  errorBox.hidden = true;
  errorBox.textContent = '';
  delete errorBox.dataset.kind;
  submit.disabled = false;
}

function throttled(seconds) {
  showError('throttled', '');
  const lead = document.createElement('span');
  lead.textContent = 'Too many sign-in attempts. For your security, you can try again in ';
  const timer = document.createElement('strong');
  timer.setAttribute('role', 'timer');
  const tail = document.createElement('span');
  tail.textContent = '.';
  errorBox.replaceChildren(lead, timer, tail);
  submit.disabled = true;
  const until = Date.now() + seconds * 1000;
  const tick = () => {
    const left = until - Date.now();
    if (left <= 0) {
      clearInterval(throttleTimer);
      errorBox.replaceChildren('You can try again now.');
      submit.disabled = false;
      return;
    }
    timer.textContent = formatCountdown(left);
  };
  tick();
  throttleTimer = setInterval(tick, 1000);
}

async function onSubmit(e) {
  e.preventDefault();
  clearError();
  const email = form.email.value.trim();
  const password = form.password.value;
  if (!email || !password) {
    showError('invalid', 'Enter your email and your password.');
    (email ? form.password : form.email).focus();
    return;
  }
  submit.disabled = true;
  form.setAttribute('aria-busy', 'true');
  const r = await api.send('/login', {
    method: 'POST',
    body: { email, password, remember_me: form.remember.checked },
  });
  form.removeAttribute('aria-busy');
  submit.disabled = false;
  if (r.ok) {
    try {
      sessionStorage.removeItem(KEY.handoff);
    } catch {
      /* nothing to remove */
    }
    tabs.post({ type: 'signedin' });
    location.replace(next);
    return;
  }
  const err = r.body?.error;
  if (r.status === 401) {
    showError('credentials', 'The email or password is not correct. Check both and try again.');
    form.password.value = '';
    form.password.focus();
  } else if (r.status === 403 && err === 'account_disabled') {
    showError('disabled', 'This account is disabled, so it cannot sign in. Contact the site\'s administrator.');
  } else if (r.status === 429) {
    const after = parseInt(r.headers?.get('Retry-After') || '', 10);
    throttled(Number.isFinite(after) && after > 0 ? after : 60);
  } else if (r.status === 0 || r.status >= 500) {
    showError(
      'unavailable',
      'The sign-in service cannot be reached right now. This is not a problem with your password: try again in a moment.',
    );
  } else {
    showError('invalid', r.body?.message || 'The sign-in request was not accepted.');
  }
  if (!errorBox.hidden && document.activeElement !== form.password) errorBox.focus();
}

async function loadSettings() {
  const r = await api.send('/settings');
  if (!r.ok || !r.body) return;
  const s = r.body;
  if (s.session_max_age_remember_me_s > 0)
    $('remember-days').textContent = String(Math.round(s.session_max_age_remember_me_s / 86400));
  const parts = [];
  if (s.idle_timeout_s > 0)
    parts.push(`You are signed out after ${formatDuration(s.idle_timeout_s * 1000)} without activity; you are warned before, and unsaved work is kept.`);
  if (s.session_max_age_s > 0)
    parts.push(`Without "Remember me", a session lasts at most ${formatDuration(s.session_max_age_s * 1000)}.`);
  $('idle-note').textContent = parts.join(' ');
}

/** Is the visitor still signed in? Goes on to the app if so; explains the end if not. */
async function probe(shown) {
  const status = $('checking');
  let r = await api.send('/session-info', { background: true });
  if (r.status === 401 && r.body?.reason !== REASON.TOKEN_MISSING && !isSessionEnd(r.body?.reason)) {
    const rr = await api.refresh({ background: true, since: r.sentAt });
    if (rr.outcome === 'ok') r = { ok: true };
    else if (rr.outcome === 'over') r = { status: 401, body: rr.end };
    else r = { status: 0 };
  }
  if (r.ok) {
    status.textContent = 'You are still signed in. Taking you back…';
    location.replace(next);
    return;
  }
  if (r.status === 0 || r.status >= 500) {
    if (!shown) banner({ cause: LOCAL.UNAVAILABLE, at: Date.now() });
    return;
  }
  const end = endOf(r.body);
  if (shown || !isSessionEnd(end.reason)) return;
  // The session ended while no page of it was open (a closed lid, a closed
  // browser): explain it once, and keep it in this device's history.
  const report = buildReport({ ...end, at: Date.now(), location: 'signed out while away' });
  if (!explainOnce(report)) return;
  try {
    localStorage.setItem(KEY.history, JSON.stringify(pushHistory(history(), report)));
  } catch {
    /* the banner still shows */
  }
  banner(report);
}

function main() {
  form.addEventListener('submit', onSubmit);
  const handoff = takeHandoff();
  if (handoff) {
    explainOnce(handoff);
    banner(handoff);
    // Signing in again after a timeout: the same person, most likely.
    if (handoff.email && handoff.type !== 'USER_ACTION') form.email.value = handoff.email;
  }
  loadSettings();
  probe(!!handoff);
  // Another tab signed in: this one is signed in too.
  tabs.on('signedin', () => location.replace(next));
}

main();
