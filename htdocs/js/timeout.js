/**
 * timeout: when to warn and what the warning and the timeout modal show.
 *
 * `phase()` is the decision, pure: from the session's deadlines (server
 * seconds) and the server's time now, is the session fine, about to go idle,
 * about to reach its maximum age, or over? The UI half builds its own
 * elements (nothing is needed in the page): a toast with a live countdown —
 * announced to screen readers politely at a few milestones, never every
 * second — and, at the timeout, a modal alert dialog (WAI-ARIA alertdialog:
 * focus moved in, trapped, restored after; Escape closes the warning but
 * never the timeout modal) that lists the work that was kept.
 *
 * WCAG 2.2 SC 2.2.1: at least 20 s to respond and one simple action ("Stay
 * signed in", or any activity); the maximum age cannot be extended, so its
 * warning offers no such button (it would lie), and says the work is kept
 * (SC 2.2.5).
 */

/** Never warn later than this before a deadline (WCAG 2.2.1: 20 s to respond). */
export const MIN_WARNING_MS = 20000;

/** Countdown milestones announced to screen readers (ms left). */
export const MILESTONES = [60000, 30000, 10000];

/**
 * The session's phase now.
 * @param {object} info idleTimeoutS, idleExpiresAt, absoluteExpiresAt, warningWindowS (server s)
 * @param {number} nowMs server ms
 * @returns {{kind: 'ok'|'warn-idle'|'warn-absolute'|'over-idle'|'over-absolute',
 *            deadlineMs: number, remainingMs: number, nextMs: number}}
 *   nextMs: ms until the phase can next change without activity
 */
export function phase(info, nowMs) {
  const idle =
    info && info.idleTimeoutS > 0 && Number.isFinite(info.idleExpiresAt)
      ? info.idleExpiresAt * 1000
      : Infinity;
  const abs = info && Number.isFinite(info.absoluteExpiresAt) ? info.absoluteExpiresAt * 1000 : Infinity;
  const warnMs = Math.max(MIN_WARNING_MS, (info?.warningWindowS ?? 300) * 1000);
  const first = Math.min(idle, abs);
  const isAbs = abs <= idle;
  const remainingMs = first - nowMs;
  if (remainingMs <= 0)
    return { kind: isAbs ? 'over-absolute' : 'over-idle', deadlineMs: first, remainingMs: 0, nextMs: Infinity };
  if (remainingMs <= warnMs)
    return { kind: isAbs ? 'warn-absolute' : 'warn-idle', deadlineMs: first, remainingMs, nextMs: remainingMs };
  return { kind: 'ok', deadlineMs: first, remainingMs, nextMs: remainingMs - warnMs };
}

/** "4:05", "0:09", "1:02:03" for a countdown (rounded up to whole seconds). */
export function formatCountdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** "5 minutes", "1 minute", "30 seconds", "1 hour 5 minutes" — for sentences. */
export function formatDuration(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const plural = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;
  if (total < 60) return plural(total, 'second');
  const h = Math.floor(total / 3600);
  const m = Math.round((total % 3600) / 60);
  if (h === 0) return plural(m, 'minute');
  return m ? `${plural(h, 'hour')} ${plural(m, 'minute')}` : plural(h, 'hour');
}

/**
 * The sentence to announce when the countdown crosses a milestone between
 * two readings, or null.
 */
export function milestoneText(prevMs, nowMs, kind) {
  for (const m of MILESTONES) {
    if (prevMs > m && nowMs <= m) {
      const what = kind === 'warn-absolute' ? 'Your session ends' : 'You will be signed out';
      return `${what} in ${formatDuration(m)}.`;
    }
  }
  return null;
}

/** The words of the warning toast for a phase. */
export function warningText(kind, deadlineMs, timeZone) {
  if (kind === 'warn-absolute') {
    const at = new Date(deadlineMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', timeZone });
    return {
      title: 'Your session ends soon',
      lead: `For your security, sessions last at most a fixed time. This one ends at ${at}, in`,
      tail: 'It cannot be extended. Your draft is kept: sign in again to continue.',
    };
  }
  return {
    title: 'Are you still there?',
    lead: 'You will be signed out because of inactivity in',
    tail: 'Your draft is kept either way.',
  };
}

function el(doc, tag, attrs = {}, text) {
  const e = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (v === true) e.setAttribute(k, '');
    else if (v !== false && v != null) e.setAttribute(k, v);
  }
  if (text != null) e.textContent = text;
  return e;
}

/**
 * Builds the toast and the modal in `doc` (appended to its body).
 * @param {object} h
 * @param {() => void} h.onStay "Stay signed in"
 * @param {() => void} h.onSignIn "Sign in again"
 * @param {(discard: boolean) => void} h.onLogout "Log out" (after the discard question)
 * @param {Document} [h.doc]
 * @param {string} [h.iconBase] where img/clock.svg is ('img/')
 */
export function createTimeoutUI(h) {
  const doc = h.doc || globalThis.document;
  const uid = Math.random().toString(36).slice(2, 8);

  // ---- the warning toast
  const toast = el(doc, 'section', {
    class: 'tether-toast',
    'aria-labelledby': `tw-title-${uid}`,
    'data-tether-no-activity': true,
    hidden: true,
  });
  const tTitle = el(doc, 'h2', { id: `tw-title-${uid}`, class: 'tether-toast-title' });
  const tIcon = el(doc, 'img', { src: h.iconBase ? `${h.iconBase}clock.svg` : 'img/clock.svg', alt: '', class: 'tether-toast-icon' });
  const tHead = el(doc, 'div', { class: 'tether-toast-head' });
  tHead.append(tIcon, tTitle);
  const tBody = el(doc, 'p', { class: 'tether-toast-text' });
  const tLead = el(doc, 'span');
  const tTimer = el(doc, 'strong', { role: 'timer', class: 'tether-countdown' });
  const tTail = el(doc, 'span');
  tBody.append(tLead, ' ', tTimer, '. ', tTail);
  const tActions = el(doc, 'div', { class: 'tether-actions' });
  const stay = el(doc, 'button', { type: 'button', class: 'tether-primary' }, 'Stay signed in');
  const dismiss = el(doc, 'button', { type: 'button', class: 'tether-secondary' }, 'Dismiss');
  tActions.append(stay, dismiss);
  toast.append(tHead, tBody, tActions);
  const live = el(doc, 'div', { class: 'tether-sr-only', 'aria-live': 'polite', 'aria-atomic': 'true' });

  // ---- the timeout modal
  const modal = el(doc, 'dialog', {
    class: 'tether-modal',
    role: 'alertdialog',
    'aria-modal': 'true',
    'aria-labelledby': `tm-title-${uid}`,
    'aria-describedby': `tm-desc-${uid}`,
  });
  const mTitle = el(doc, 'h2', { id: `tm-title-${uid}` });
  const mDesc = el(doc, 'p', { id: `tm-desc-${uid}` });
  const mKeptTitle = el(doc, 'h3', { class: 'tether-kept-title' });
  const mKept = el(doc, 'ul', { class: 'tether-kept' });
  const mActions = el(doc, 'div', { class: 'tether-actions' });
  const signIn = el(doc, 'button', { type: 'button', class: 'tether-primary' }, 'Sign in again');
  const logout = el(doc, 'button', { type: 'button', class: 'tether-secondary' }, 'Log out');
  mActions.append(signIn, logout);
  const mConfirm = el(doc, 'div', { class: 'tether-confirm', hidden: true });
  const mConfirmText = el(
    doc,
    'p',
    { id: `tm-confirm-${uid}` },
    'Discard the work kept on this device? Choose this on a shared or public computer.',
  );
  const discard = el(doc, 'button', { type: 'button', class: 'tether-danger' }, 'Discard it and log out');
  const keep = el(doc, 'button', { type: 'button', class: 'tether-secondary' }, 'Keep it and log out');
  const cActions = el(doc, 'div', { class: 'tether-actions' });
  cActions.append(discard, keep);
  mConfirm.append(mConfirmText, cActions);
  modal.append(mTitle, mDesc, mKeptTitle, mKept, mActions, mConfirm);

  doc.body.append(toast, live, modal);

  let shownKind = null;
  let prevRemaining = Infinity;
  let dismissedFor = null; // the deadline the user dismissed the warning for
  let returnFocus = null;

  stay.addEventListener('click', () => h.onStay());
  dismiss.addEventListener('click', () => api.dismissWarning());
  signIn.addEventListener('click', () => h.onSignIn());
  logout.addEventListener('click', () => {
    if (!mKept.childElementCount) return h.onLogout(false);
    mActions.hidden = true;
    mConfirm.hidden = false;
    discard.focus();
  });
  discard.addEventListener('click', () => h.onLogout(true));
  keep.addEventListener('click', () => h.onLogout(false));
  // Escape never closes the timeout modal: the session is over either way.
  modal.addEventListener('cancel', (e) => e.preventDefault());
  modal.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const items = [...modal.querySelectorAll('button')].filter((b) => !b.closest('[hidden]'));
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && doc.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && doc.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  });
  doc.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !toast.hidden && !modal.open) api.dismissWarning();
  });

  const api = {
    /** Shows or updates the warning for a phase ({kind, deadlineMs, remainingMs}). */
    showWarning(p) {
      if (dismissedFor === p.deadlineMs) return;
      if (shownKind !== p.kind) {
        const words = warningText(p.kind, p.deadlineMs, h.timeZone);
        tTitle.textContent = words.title;
        tLead.textContent = words.lead;
        tTail.textContent = words.tail;
        stay.hidden = p.kind !== 'warn-idle';
        dismiss.textContent = p.kind === 'warn-idle' ? 'Dismiss' : 'OK';
        toast.classList.toggle('tether-toast-final', p.kind === 'warn-absolute');
        toast.hidden = false;
        shownKind = p.kind;
        live.textContent = `${words.title} ${words.lead} ${formatDuration(p.remainingMs)}.`;
        prevRemaining = p.remainingMs;
      }
      tTimer.textContent = formatCountdown(p.remainingMs);
      const said = milestoneText(prevRemaining, p.remainingMs, p.kind);
      if (said) live.textContent = said;
      prevRemaining = p.remainingMs;
    },
    /** Hides the warning (activity slid the timer, or the session ended). */
    hideWarning() {
      if (!toast.hidden && toast.contains(doc.activeElement)) doc.activeElement.blur();
      toast.hidden = true;
      shownKind = null;
      dismissedFor = null;
    },
    /** The user closed the warning: it stays closed for this deadline. */
    dismissWarning() {
      const wasShown = shownKind;
      api.hideWarning();
      if (wasShown) dismissedFor = api.deadline;
    },
    /** True while the warning shows. */
    warningShown: () => !toast.hidden,
    /**
     * Opens the timeout modal.
     * @param {{title: string, text: string, kept: {label: string, detail: string}[]}} m
     */
    showModal(m) {
      mTitle.textContent = m.title;
      mDesc.textContent = m.text;
      mKept.replaceChildren(
        ...m.kept.map((k) => {
          const li = el(doc, 'li');
          li.append(el(doc, 'strong', {}, k.label), ` — ${k.detail}`);
          return li;
        }),
      );
      mKeptTitle.textContent = m.kept.length
        ? 'Your work is kept on this device:'
        : 'There was no unsaved work to keep.';
      mActions.hidden = false;
      mConfirm.hidden = true;
      api.hideWarning();
      if (!modal.open) {
        returnFocus = doc.activeElement;
        modal.showModal();
      }
      signIn.focus(); // the least destructive choice first
    },
    hideModal() {
      if (modal.open) modal.close();
      if (returnFocus && typeof returnFocus.focus === 'function') returnFocus.focus();
      returnFocus = null;
    },
    modalShown: () => modal.open,
    elements: { toast, modal, live },
    deadline: null,
  };
  // dismissWarning needs the deadline of what it hides.
  const show = api.showWarning;
  api.showWarning = (p) => {
    api.deadline = p.deadlineMs;
    show(p);
  };
  return api;
}
