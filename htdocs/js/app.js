/**
 * app: the wiring of the demo application page (app.html): who is signed
 * in, a draft kept through timeouts, the user's sessions with "Sign out
 * this device", log out (here or everywhere), change password — and the
 * session's warning, timeout modal, logout alert, token monitor and debug
 * panel. Everything it decides, it asks of the modules.
 */
import { ago, describeUserAgent } from './devices.js';
import { createDebugPanel } from './debug.js';
import { clearAllDrafts, createDrafts } from './drafts.js';
import { explain } from './banner.js';
import { startMonitor } from './monitor.js';
import { KEY, LOGOUT, REASON } from './reasons.js';
import { createSession } from './session.js';
import { createTimeoutUI, formatDuration } from './timeout.js';

const meta = (n) => document.querySelector(`meta[name="${n}"]`)?.content;
const base = meta('tether-api') || '/api/auth';
const signinPage = meta('tether-signin') || 'index.html';
const $ = (id) => document.getElementById(id);

const ALERT_MS = 3000; // the short notice before going to the sign-in page

let drafts = null;
let redirectTimer = null;

function signinUrl() {
  const u = new URL(signinPage, location.href);
  u.searchParams.set('next', location.pathname + location.search);
  return u.href;
}

function goToSignin() {
  clearTimeout(redirectTimer);
  drafts?.saveNow();
  location.replace(signinUrl());
}

/** The short, skippable notice before the redirect. */
function showAlert(report) {
  const words = explain(report);
  const box = document.createElement('div');
  box.className = `tether-alert tether-banner-${words.tone}`;
  box.setAttribute('role', 'alert');
  box.dataset.case = words.key;
  const title = document.createElement('p');
  title.className = 'tether-alert-title';
  title.textContent = words.title;
  const text = document.createElement('p');
  text.textContent = 'Taking you to the sign-in page…';
  const go = document.createElement('button');
  go.type = 'button';
  go.className = 'tether-primary';
  go.textContent = 'Go to sign-in now';
  go.addEventListener('click', goToSignin);
  box.append(title, text, go);
  $('alert-slot').replaceChildren(box);
  go.focus();
  redirectTimer = setTimeout(goToSignin, ALERT_MS);
}

const timeoutUI = createTimeoutUI({
  onStay: () => session.stay(),
  onSignIn: goToSignin,
  onLogout: async (discard) => {
    if (discard && drafts) drafts.clear();
    else drafts?.saveNow();
    // The session is over already; this only clears its cookies.
    await session.api.send('/logout', { method: 'POST' });
    location.replace(new URL(signinPage, location.href).href);
  },
});

/** The last user signed in on this device ({id, email}), or null. */
function lastUser() {
  try {
    return JSON.parse(localStorage.getItem(KEY.user) || 'null');
  } catch {
    return null;
  }
}

function onLogout(report) {
  // A session found over as the page loads: the user is not known yet, but
  // the drafts kept on this device are the last user's.
  if (!drafts && lastUser()?.id) drafts = createDrafts({ userId: lastUser().id });
  drafts?.saveNow();
  drafts?.detach();
  const timedOut = report.type === LOGOUT.IDLE_TIMEOUT || report.type === LOGOUT.TOKEN_EXPIRED;
  if (timedOut) {
    const words = explain(report);
    const idle = report.idle_for_s ? formatDuration(report.idle_for_s * 1000) : null;
    timeoutUI.showModal({
      title: report.type === LOGOUT.IDLE_TIMEOUT ? 'You have been signed out' : 'Your session has ended',
      text:
        report.type === LOGOUT.IDLE_TIMEOUT
          ? `There was no activity for ${idle || 'a while'}, so your session ended to protect your account.`
          : words.text,
      kept: drafts ? drafts.list() : [],
    });
  } else {
    timeoutUI.hideWarning();
    showAlert(report);
  }
}

const session = createSession({
  base,
  ui: {
    showWarning: (p) => timeoutUI.showWarning(p),
    hideWarning: () => timeoutUI.hideWarning(),
    warningShown: () => timeoutUI.warningShown(),
    onConnection: (state, ms) => {
      const c = $('connection');
      if (state === 'online') {
        c.textContent = '';
        c.classList.remove('shown');
      } else {
        c.textContent = `The server cannot be reached. You are still signed in; reconnecting${ms ? ` (next try in ${Math.ceil(ms / 1000)} s)` : ''}…`;
        c.classList.add('shown');
      }
    },
    onLogout,
    onSignedOut: () => location.replace(signinUrl()),
  },
});

// ---- sessions list

async function loadSessions() {
  const status = $('sessions-status');
  const r = await session.api.request('/sessions');
  if (!r.ok || !r.body) {
    if (r.fault) status.textContent = 'The list could not be loaded: the server cannot be reached.';
    return;
  }
  const now = session.clock.serverNow() / 1000;
  const list = [...r.body.sessions].sort((a, b) => (b.current ? 1 : 0) - (a.current ? 1 : 0) || b.last_active_at - a.last_active_at);
  const rows = list.map((s) => {
    const tr = document.createElement('tr');
    const { browser, device } = describeUserAgent(s.user_agent);
    const cells = [device, browser, s.ip || 'unknown', ago(now - s.last_active_at)];
    cells.forEach((text, i) => {
      const td = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) td.scope = 'row';
      td.textContent = text;
      if (i === 0 && s.current) {
        const tag = document.createElement('span');
        tag.className = 'tag';
        tag.textContent = 'this device';
        td.append(' ', tag);
      }
      if (i === 3) td.title = new Date(s.last_active_at * 1000).toLocaleString();
      tr.append(td);
    });
    const act = document.createElement('td');
    if (!s.current) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'tether-secondary';
      b.textContent = 'Sign out this device';
      b.setAttribute('aria-label', `Sign out ${device}, ${browser}`);
      b.dataset.session = s.id;
      b.addEventListener('click', () => revoke(s.id, `${device}, ${browser}`));
      act.append(b);
    }
    tr.append(act);
    tr.dataset.session = s.id;
    if (s.current) tr.classList.add('current');
    return tr;
  });
  $('sessions').tBodies[0].replaceChildren(...rows);
  status.textContent = `${list.length} session${list.length === 1 ? '' : 's'}.`;
}

async function revoke(id, label) {
  const r = await session.api.request(`/sessions/${encodeURIComponent(id)}`, { method: 'DELETE' });
  const status = $('sessions-status');
  if (r.ok) {
    status.textContent = `Signed out ${label}.`;
    await loadSessions();
    $('sessions-reload').focus();
  } else {
    status.textContent = r.fault ? 'That did not work: the server cannot be reached.' : 'That did not work.';
  }
}

// ---- logout

async function logout(everywhere) {
  let discard = false;
  if (drafts && drafts.list().length) {
    const choice = await askAboutDraft();
    if (choice === 'cancel') return;
    discard = choice === 'discard';
  }
  if (discard) clearAllDrafts(session.user()?.id);
  const ok = await session.logout({ everywhere });
  if (!ok) $('connection').textContent = 'You could not be signed out: the server cannot be reached. Try again in a moment.';
}

function askAboutDraft() {
  const d = $('logout-dialog');
  return new Promise((resolve) => {
    const done = (v) => {
      d.close();
      resolve(v);
    };
    $('logout-keep').onclick = () => done('keep');
    $('logout-discard').onclick = () => done('discard');
    $('logout-cancel').onclick = () => done('cancel');
    d.oncancel = (e) => {
      e.preventDefault();
      done('cancel');
    };
    d.showModal();
    $('logout-keep').focus();
  });
}

// ---- password

async function changePassword(e) {
  e.preventDefault();
  const f = e.target;
  const out = $('password-result');
  out.className = 'form-result';
  if (f.new_password.value.length < 8) {
    out.textContent = 'The new password needs at least 8 characters.';
    out.classList.add('error');
    f.new_password.focus();
    return;
  }
  const r = await session.api.request('/password', {
    method: 'POST',
    body: { current_password: f.current_password.value, new_password: f.new_password.value },
  });
  if (r.ok) {
    const n = r.body?.ended || 0;
    out.textContent = `Your password was changed.${n ? ` ${n} other session${n === 1 ? ' was' : 's were'} signed out.` : ''}`;
    f.reset();
    loadSessions();
  } else if (r.status === 401 && r.body?.reason === REASON.INVALID_CREDENTIALS) {
    out.textContent = 'The current password is not correct.';
    out.classList.add('error');
  } else if (r.fault) {
    out.textContent = 'The password was not changed: the server cannot be reached.';
    out.classList.add('error');
  } else {
    out.textContent = r.body?.message || 'The password was not changed.';
    out.classList.add('error');
  }
}

// ---- start

async function main() {
  const state = await session.start();
  if (state === 'ok') return main2();
  if (state === 'fault') {
    // The server cannot be reached yet: carry on once the session loads.
    $('who').textContent = 'Reconnecting…';
    const off = session.onChange(() => {
      if (!session.info()) return;
      off();
      main2();
    });
  }
}

async function main2() {
  const me = await session.api.request('/me');
  if (!me.ok || !me.body?.user) return;
  const u = me.body.user;
  session.setUser(u);
  try {
    localStorage.setItem(KEY.user, JSON.stringify({ id: u.id, email: u.email }));
  } catch {
    /* then a timeout at the next page load cannot list the drafts */
  }
  $('who').textContent = u.email;
  $('user-name').textContent = u.display_name || u.email;
  $('user-email').textContent = u.email;
  $('welcome-name').textContent = u.display_name ? `, ${u.display_name}` : '';
  $('pw-username').value = u.email;
  drafts = createDrafts({ userId: u.id });
  const restored = drafts.restore();
  if (restored)
    $('draft-status').textContent = `Your draft from ${new Date(restored).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })} was restored.`;
  drafts.attach();
  $('draft-clear').addEventListener('click', () => {
    $('draft').reset();
    drafts.clear();
    $('draft-status').textContent = 'The draft was cleared.';
  });
  $('sessions-reload').addEventListener('click', loadSessions);
  $('logout').addEventListener('click', () => logout(false));
  $('logout-all').addEventListener('click', () => logout(true));
  $('password-form').addEventListener('submit', changePassword);
  $('main').removeAttribute('aria-busy');
  if (session.info()?.debugPanel) {
    const button = $('debug-open');
    button.hidden = false;
    createDebugPanel({ session, button });
  }
  startMonitor(() => session.status(), { warningS: () => session.info()?.warningWindowS || 300 });
  // A sign-in in another tab while this one shows the timeout modal: carry on here.
  session.tabs.on('signedin', () => {
    if (session.isOver()) location.reload();
  });
  loadSessions();
}

// Until /me answers, the last user of this device stands in (for the
// report and the email on the sign-in page if the session is found over).
if (lastUser()) session.setUser(lastUser());
main();
