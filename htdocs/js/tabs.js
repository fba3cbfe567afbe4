/**
 * tabs: what the tabs of one browser say to each other, and one-at-a-time
 * work among them.
 *
 * Messages are objects with a `type`, sent on one BroadcastChannel (a tab
 * never receives its own). `exclusive(name, fn)` runs fn while no other tab
 * runs work of that name: with the Web Locks API where the origin has it
 * (secure contexts), otherwise with claims on the channel alone (plain http
 * off localhost). Neither can hang the page: waiting gives up after
 * `waitMs` and runs fn anyway — the server's refresh grace covers a
 * duplicate — and fn itself must bound its own work (one fetch with a
 * timeout). A tab that closes while holding a Web Lock releases it; a
 * channel claim of a closed tab expires after `waitMs`.
 */
import { CHANNEL } from './reasons.js';

const SETTLE_MS = 60; // how long a channel claim waits for a competing one

/** A random id for this tab: claims are ordered by it. */
export function tabId() {
  const a = new Uint32Array(2);
  crypto.getRandomValues(a);
  return a[0].toString(36) + a[1].toString(36);
}

/**
 * Who wins among channel claims: the lowest id. Pure.
 * @param {string} mine @param {Iterable<string>} others
 */
export function winsClaim(mine, others) {
  for (const o of others) if (o < mine) return false;
  return true;
}

/**
 * @param {object} [opts]
 * @param {string} [opts.name] channel name
 * @param {LockManager|null} [opts.locks] navigator.locks, or null to use claims
 * @param {typeof BroadcastChannel} [opts.Channel]
 */
export function createTabs(opts = {}) {
  const name = opts.name || CHANNEL;
  const locks = opts.locks !== undefined ? opts.locks : globalThis.navigator?.locks || null;
  const Channel = opts.Channel || globalThis.BroadcastChannel;
  const id = tabId();
  const chan = Channel ? new Channel(name) : null;
  const handlers = new Map(); // type -> Set(fn)
  const claims = new Map(); // lock name -> Map(tab id -> expiry ms)
  const waiters = new Set(); // fns to call when claims change

  function emit(msg) {
    const set = handlers.get(msg.type);
    if (set) for (const fn of set) fn(msg);
  }

  function claimsOf(lock) {
    let m = claims.get(lock);
    if (!m) claims.set(lock, (m = new Map()));
    const now = Date.now();
    for (const [k, exp] of m) if (exp < now) m.delete(k);
    return m;
  }

  function changed() {
    for (const w of [...waiters]) w();
  }

  if (chan) {
    chan.onmessage = (ev) => {
      const msg = ev.data;
      if (!msg || typeof msg.type !== 'string') return;
      if (msg.type === '_claim') {
        claimsOf(msg.lock).set(msg.from, Date.now() + msg.ttl);
        changed();
      } else if (msg.type === '_release') {
        claimsOf(msg.lock).delete(msg.from);
        changed();
      } else {
        emit(msg);
      }
    };
  }

  function post(msg) {
    if (chan) chan.postMessage({ ...msg, from: id });
  }

  // Resolves when no other tab claims `lock`, or at `deadline`.
  function untilFree(lock, deadline) {
    return new Promise((resolve) => {
      let timer = null;
      const check = () => {
        if (claimsOf(lock).size === 0 || Date.now() >= deadline) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      waiters.add(check);
      timer = setTimeout(check, Math.max(0, deadline - Date.now()));
      check();
    });
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function claimExclusive(lock, fn, waitMs) {
    const deadline = Date.now() + waitMs;
    let contended = false;
    for (;;) {
      if (claimsOf(lock).size > 0) contended = true;
      await untilFree(lock, deadline);
      if (Date.now() >= deadline) return fn({ contended: true });
      post({ type: '_claim', lock, ttl: waitMs });
      await sleep(SETTLE_MS);
      const others = [...claimsOf(lock).keys()];
      if (winsClaim(id, others)) {
        try {
          return await fn({ contended });
        } finally {
          post({ type: '_release', lock });
        }
      }
      contended = true;
      post({ type: '_release', lock }); // withdraw, then wait for the winner
    }
  }

  return {
    id,
    /** True when Web Locks coordinate (false: channel claims). */
    hasLocks: !!locks,
    /** Sends a message ({type, ...}) to every other tab. */
    post,
    /** Calls fn(msg) for every message of that type from another tab; returns an unsubscribe. */
    on(type, fn) {
      if (!handlers.has(type)) handlers.set(type, new Set());
      handlers.get(type).add(fn);
      return () => handlers.get(type).delete(fn);
    },
    /**
     * Runs fn({contended}) while no other tab runs work named `lock`; gives
     * up waiting after waitMs and runs it anyway. `contended`: another tab
     * held or claimed it first (its result may still be on its way here).
     * Returns fn's result.
     */
    async exclusive(lock, fn, { waitMs = 15000 } = {}) {
      if (!locks) return chan ? claimExclusive(lock, fn, waitMs) : fn({ contended: false });
      let ran = false;
      const run = (contended) => {
        ran = true;
        return fn({ contended });
      };
      try {
        // Free at once? Then nobody else was at it.
        const busy = Symbol('busy');
        const r = await locks.request(lock, { ifAvailable: true }, (l) => (l ? run(false) : busy));
        if (r !== busy) return r;
        return await locks.request(lock, { signal: AbortSignal.timeout(waitMs) }, () => run(true));
      } catch (e) {
        if (ran) throw e;
        return fn({ contended: true }); // the wait timed out: the server's grace is the backstop
      }
    },
    close() {
      if (chan) chan.close();
      handlers.clear();
    },
  };
}
