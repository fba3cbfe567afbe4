// Small fakes for the front end's modules under node: a Storage.
export class MemoryStorage {
  constructor() {
    this.m = new Map();
  }
  get length() {
    return this.m.size;
  }
  key(i) {
    return [...this.m.keys()][i] ?? null;
  }
  getItem(k) {
    return this.m.has(k) ? this.m.get(k) : null;
  }
  setItem(k, v) {
    this.m.set(k, String(v));
  }
  removeItem(k) {
    this.m.delete(k);
  }
  clear() {
    this.m.clear();
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves once cond() is true, checking every few ms; rejects after ms.
 * For what arrives "soon" (a BroadcastChannel message): a fixed sleep is
 * too short on a loaded machine. */
export async function waitFor(cond, ms = 2000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await sleep(5);
  }
}
