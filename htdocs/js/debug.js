/**
 * debug: the debug panel, for the people who run the site and for support.
 *
 * Only when the server's `debug_panel` is on. Ctrl+Shift+D (or a button)
 * opens it: auth status, live countdowns (access, refresh, idle, absolute),
 * the clock offset, recent logouts of this device and from the server
 * (GET /logout-events), and "Log full state to console". While open it asks
 * the server every 5 s — as background requests, so looking at the panel
 * never keeps a session alive. It never shows or logs a token's value
 * (JavaScript never has one).
 */
import { history } from './logout.js';
import { formatCountdown } from './timeout.js';

/** Whether a keydown is the panel's shortcut (Ctrl+Shift+D). */
export function isShortcut(e) {
  return e.ctrlKey && e.shiftKey && !e.altKey && !e.metaKey && (e.key === 'D' || e.key === 'd' || e.code === 'KeyD');
}

/** "in 4:59", "expired 0:03 ago", "none" for seconds left. */
export function describeLeft(s) {
  if (s === null || s === undefined) return 'none';
  if (s <= 0) return `expired ${formatCountdown(-s * 1000)} ago`;
  return `in ${formatCountdown(s * 1000)}`;
}

/** "+600.0 s (this browser's clock is 10 minutes slow)" for an offset in ms. */
export function describeOffset(ms) {
  const s = ms / 1000;
  const sign = s >= 0 ? '+' : '−';
  const abs = Math.abs(s);
  const words =
    abs < 1 ? 'in step with the server' : `this browser's clock is ${abs >= 90 ? `${Math.round(abs / 60)} minutes` : `${Math.round(abs)} seconds`} ${s > 0 ? 'slow' : 'fast'}`;
  return `${sign}${abs.toFixed(1)} s (${words})`;
}

function el(doc, tag, cls, text) {
  const e = doc.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

/**
 * @param {object} o
 * @param {ReturnType<import('./session.js').createSession>} o.session
 * @param {HTMLElement} [o.button] a button that toggles the panel
 * @param {Document} [o.doc]
 */
export function createDebugPanel(o) {
  const doc = o.doc || globalThis.document;
  const s = o.session;
  const pollMs = o.pollMs ?? 5000;
  const panel = el(doc, 'section', 'tether-debug');
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-labelledby', 'tether-debug-title');
  panel.hidden = true;
  const head = el(doc, 'div', 'tether-debug-head');
  const title = el(doc, 'h2', null, 'Session debug panel');
  title.id = 'tether-debug-title';
  title.tabIndex = -1;
  const close = el(doc, 'button', 'tether-close', '×');
  close.type = 'button';
  close.setAttribute('aria-label', 'Close the debug panel');
  head.append(title, close);
  const status = el(doc, 'dl', 'tether-debug-grid');
  const localTitle = el(doc, 'h3', null, 'Recent logouts on this device');
  const localList = el(doc, 'ol', 'tether-debug-list');
  const serverTitle = el(doc, 'h3', null, 'Recent logouts and session ends (server)');
  const serverList = el(doc, 'ol', 'tether-debug-list');
  const dump = el(doc, 'button', 'tether-secondary', 'Log full state to console');
  dump.type = 'button';
  panel.append(head, status, localTitle, localList, serverTitle, serverList, dump);
  doc.body.append(panel);

  let serverEvents = [];
  let serverNote = 'Not loaded yet.';
  let tickTimer = null;
  let pollTimer = null;
  let returnFocus = null;

  function rows() {
    const st = s.status();
    const u = s.user();
    return [
      ['Auth status', st.signedIn ? `signed in${u ? ` as ${u.email}` : ''}` : 'signed out'],
      ['Session', st.sessionId || 'none'],
      ['Connection', st.connection],
      ['Access token', describeLeft(st.accessS)],
      ['Refresh token', describeLeft(st.refreshS)],
      ['Idle timeout', st.idleS === null ? 'none (remember me)' : describeLeft(st.idleS)],
      ['Absolute lifetime', describeLeft(st.absoluteS)],
      ['Clock offset', describeOffset(st.clockOffsetMs)],
      ['Last activity', st.lastActivity || 'none'],
      ['Tabs coordinate with', st.locks],
    ];
  }

  function render() {
    const items = [];
    for (const [k, v] of rows()) {
      const dt = el(doc, 'dt', null, k);
      const dd = el(doc, 'dd', null, v);
      dd.dataset.field = k;
      items.push(dt, dd);
    }
    status.replaceChildren(...items);
    const local = history();
    localList.replaceChildren(
      ...(local.length
        ? local.map((r) =>
            el(doc, 'li', null, `${new Date(r.at).toISOString()} ${r.type}${r.reason ? ` (${r.reason}${r.ended_reason ? `/${r.ended_reason}` : ''})` : ''}: ${r.message}`),
          )
        : [el(doc, 'li', null, 'None.')]),
    );
    serverList.replaceChildren(
      ...(serverEvents.length
        ? serverEvents.map((e) =>
            el(
              doc,
              'li',
              null,
              e.kind === 'report'
                ? `${new Date(e.at * 1000).toISOString()} report ${e.type}: ${e.message || ''}`
                : `${new Date(e.at * 1000).toISOString()} session ended ${e.reason}`,
            ),
          )
        : [el(doc, 'li', null, serverNote)]),
    );
  }

  async function poll() {
    await s.poll();
    const r = await s.api.request('/logout-events', { background: true });
    if (r.ok && r.body && Array.isArray(r.body.events)) {
      serverEvents = r.body.events.slice(0, 10);
      serverNote = 'None.';
    } else if (r.fault) serverNote = 'The server could not be reached.';
    if (!panel.hidden) render();
  }

  const api = {
    element: panel,
    isOpen: () => !panel.hidden,
    open() {
      if (!panel.hidden) return;
      returnFocus = doc.activeElement;
      panel.hidden = false;
      o.button?.setAttribute('aria-expanded', 'true');
      render();
      title.focus();
      tickTimer = setInterval(render, 1000);
      pollTimer = setInterval(poll, pollMs);
      poll();
    },
    close() {
      if (panel.hidden) return;
      panel.hidden = true;
      o.button?.setAttribute('aria-expanded', 'false');
      clearInterval(tickTimer);
      clearInterval(pollTimer);
      if (returnFocus?.focus) returnFocus.focus();
    },
    toggle() {
      if (panel.hidden) api.open();
      else api.close();
    },
  };
  close.addEventListener('click', () => api.close());
  dump.addEventListener('click', () => {
    console.log('[tether] full state', {
      status: s.status(),
      info: s.info(),
      user: s.user(),
      clockBounds: s.clock.bounds(),
      localLogouts: history(),
      serverEvents,
    });
  });
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      api.close();
    }
  });
  doc.addEventListener('keydown', (e) => {
    if (isShortcut(e)) {
      e.preventDefault();
      api.toggle();
    }
  });
  o.button?.addEventListener('click', () => api.toggle());
  return api;
}
