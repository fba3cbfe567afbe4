/**
 * drafts: the user's unsaved work, kept on this device.
 *
 * Fields marked `data-preserve` are saved to localStorage as the user types
 * (debounced), under a key of the user and the page, and put back after
 * signing in again (WCAG 2.2 SC 2.2.5). A timeout keeps them; an explicit
 * logout discards them only when the user says so (a shared computer).
 * Never a password field, never a hidden one, never a token. A browser may
 * still purge the storage (Safari: after 7 days without a visit); drafts
 * are a safety net, not a store.
 */
import { KEY } from './reasons.js';

/** Whether a form element may be kept: a named text field that is not a password. */
export function preservable(field) {
  if (!field || !field.name) return false;
  const tag = (field.tagName || '').toLowerCase();
  if (tag === 'textarea') return true;
  if (tag === 'select') return true;
  if (tag !== 'input') return false;
  const type = (field.type || 'text').toLowerCase();
  return !['password', 'hidden', 'file', 'submit', 'button', 'reset', 'image'].includes(type);
}

/** The storage key of one user's draft on one page. */
export function draftKey(userId, page) {
  return `${KEY.drafts}.${userId}.${page}`;
}

/**
 * What a draft holds, for people: [{label, detail}] for each non-empty
 * field, e.g. {label: 'Title', detail: '"Quarterly report"'} or
 * {label: 'Text', detail: '1,204 characters'}.
 * @param {{fields: Record<string, string>}} draft
 * @param {Record<string, string>} labels field name -> its label
 */
export function summarize(draft, labels = {}) {
  const out = [];
  for (const [name, value] of Object.entries(draft?.fields || {})) {
    if (typeof value !== 'string' || value.trim() === '') continue;
    const label = labels[name] || name;
    const oneLine = !value.includes('\n') && value.length <= 60;
    const detail = oneLine
      ? `“${value}”`
      : `${value.length.toLocaleString('en-US')} character${value.length === 1 ? '' : 's'}`;
    out.push({ label, detail });
  }
  return out;
}

/**
 * Keeps the marked fields of one page for one user.
 * @param {object} o
 * @param {string|number} o.userId
 * @param {string} [o.page] defaults to location.pathname
 * @param {ParentNode} [o.root] where the fields are (document)
 * @param {Storage} [o.storage]
 * @param {number} [o.debounceMs]
 * @param {() => number} [o.now]
 */
export function createDrafts(o) {
  const root = o.root || globalThis.document;
  const storage = o.storage || globalThis.localStorage;
  const key = draftKey(o.userId, o.page || globalThis.location.pathname);
  const debounceMs = o.debounceMs ?? 400;
  const now = o.now || (() => Date.now());
  let timer = null;
  // Only what the user typed on this page is written: saving untouched
  // (say, not yet restored) fields must never erase a kept draft.
  let touched = false;

  const fields = () => [...root.querySelectorAll('[data-preserve]')].filter(preservable);

  function labelOf(f) {
    const l = f.labels && f.labels[0];
    return (l ? l.textContent : f.getAttribute('aria-label') || f.name).trim();
  }

  function read() {
    try {
      const d = JSON.parse(storage.getItem(key) || 'null');
      return d && typeof d.fields === 'object' ? d : null;
    } catch {
      return null;
    }
  }

  function saveNow() {
    clearTimeout(timer);
    timer = null;
    if (!touched) return;
    const values = {};
    let any = false;
    for (const f of fields()) {
      values[f.name] = f.value;
      if (f.value.trim() !== '') any = true;
    }
    try {
      if (any) storage.setItem(key, JSON.stringify({ savedAt: now(), fields: values }));
      else storage.removeItem(key);
    } catch {
      /* storage full or blocked: nothing to do but carry on */
    }
  }

  // Typing just before a reload or a redirect is kept too.
  const onHide = () => {
    if (timer) saveNow();
  };

  function onInput(e) {
    if (!e.target.matches?.('[data-preserve]') || !preservable(e.target)) return;
    touched = true;
    clearTimeout(timer);
    timer = setTimeout(saveNow, debounceMs);
  }

  return {
    /** Starts saving as the user types. */
    attach() {
      root.addEventListener('input', onInput);
      root.addEventListener('change', onInput);
      globalThis.addEventListener?.('pagehide', onHide);
    },
    detach() {
      root.removeEventListener('input', onInput);
      root.removeEventListener('change', onInput);
      globalThis.removeEventListener?.('pagehide', onHide);
      clearTimeout(timer);
    },
    /** Saves at once what the user typed (before a redirect). */
    saveNow,
    /**
     * Puts a kept draft back into empty fields. Returns the draft's time
     * (ms) when something was restored, else 0.
     */
    restore() {
      const d = read();
      if (!d) return 0;
      let restored = false;
      for (const f of fields()) {
        const v = d.fields[f.name];
        if (typeof v === 'string' && v !== '' && f.value === '') {
          f.value = v;
          restored = true;
        }
      }
      return restored ? d.savedAt || 1 : 0;
    },
    /** What is kept, for people ([{label, detail}]). */
    list() {
      if (timer) saveNow();
      const labels = {};
      for (const f of fields()) labels[f.name] = labelOf(f);
      return summarize(read(), labels);
    },
    /** Forgets the kept draft. */
    clear() {
      clearTimeout(timer);
      timer = null;
      try {
        storage.removeItem(key);
      } catch {
        /* nothing kept then */
      }
    },
  };
}

/** Forgets every draft of a user on this device (all pages). */
export function clearAllDrafts(userId, storage = globalThis.localStorage) {
  const prefix = `${KEY.drafts}.${userId}.`;
  const doomed = [];
  for (let i = 0; i < storage.length; i++) {
    const k = storage.key(i);
    if (k && k.startsWith(prefix)) doomed.push(k);
  }
  for (const k of doomed) storage.removeItem(k);
}
