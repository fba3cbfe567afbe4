/**
 * activity: what the person at the keyboard does, shared by every tab.
 *
 * Pointer, keys, wheel (scrolling) and touch mark the time of the last activity
 * (in server ms, so that tabs and deadlines agree); marks are throttled to
 * one a second, and each one is told to the other tabs. Whether to tell the
 * server (POST /activity) is the pure `reportDue`: only when there is
 * activity the server has not seen and the server's own write step has
 * passed — never on every event — or at once while a warning is showing.
 */
import { KEY } from './reasons.js';

/**
 * The events that count as a person being there. Scrolling counts through
 * the events that cause it (wheel, keys, touch, a pointer on the scroll
 * bar): the `scroll` event itself also fires when the page scrolls on its
 * own (focus moving down the page, scrollIntoView), which is nobody there.
 */
export const EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'];

/** At most one mark per this many ms. */
export const THROTTLE_MS = 1000;

/**
 * Whether to report activity to the server now.
 * @param {object} a
 * @param {number} a.lastActivityMs the last activity, server ms
 * @param {number} a.lastActiveAtS what the server has as the last activity, server s
 * @param {number} a.stepS the server's activity write step
 * @param {number} a.nowMs server ms
 * @param {boolean} [a.urgent] a warning is showing: report any unseen activity now
 */
export function reportDue({ lastActivityMs, lastActiveAtS, stepS, nowMs, urgent = false }) {
  if (!Number.isFinite(lastActiveAtS)) return false;
  const seenMs = lastActiveAtS * 1000;
  if (!(lastActivityMs >= seenMs + 1000)) return false; // nothing the server has not seen
  if (urgent) return true;
  return nowMs - seenMs >= Math.max(1, stepS || 60) * 1000;
}

/**
 * @param {object} o
 * @param {() => number} o.now server ms
 * @param {ReturnType<import('./tabs.js').createTabs>} o.tabs
 * @param {(ms: number, local: boolean) => void} [o.onActivity] a new mark (local: in this tab)
 * @param {EventTarget} [o.target] window
 * @param {Storage} [o.storage]
 * @param {(e: Event) => boolean} [o.ignore] events that are not activity now
 *   (always ignored: events inside an element marked data-tether-no-activity,
 *   such as the warning itself: reaching for "Stay signed in" is no answer yet)
 */
export function createActivity(o) {
  const target = o.target || globalThis.window;
  const storage = o.storage || globalThis.localStorage;
  const onActivity = o.onActivity || (() => {});
  let last = Number(storage?.getItem(KEY.activity)) || 0;
  let lastLocalMark = 0;

  function mark() {
    const t = o.now();
    if (t - lastLocalMark < THROTTLE_MS) return;
    lastLocalMark = t;
    last = Math.max(last, t);
    try {
      storage.setItem(KEY.activity, String(last));
    } catch {
      /* the channel still tells the open tabs */
    }
    o.tabs.post({ type: 'activity', at: last });
    onActivity(last, true);
  }

  const off = o.tabs.on('activity', (msg) => {
    if (Number.isFinite(msg.at) && msg.at > last) {
      last = msg.at;
      onActivity(last, false);
    }
  });
  const opts = { capture: true, passive: true };
  const ignore = o.ignore || (() => false);
  function onEvent(e) {
    if (e.target?.closest?.('[data-tether-no-activity]') || ignore(e)) return;
    mark();
  }

  return {
    /** The last activity in any tab (server ms, 0 = none known). */
    last: () => last,
    /** Marks activity now (also what the events do). */
    mark,
    start() {
      for (const e of EVENTS) target.addEventListener(e, onEvent, opts);
    },
    stop() {
      for (const e of EVENTS) target.removeEventListener(e, onEvent, opts);
      off();
    },
  };
}
