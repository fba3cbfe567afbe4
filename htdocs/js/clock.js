/**
 * clock: the server's time as seen from the browser.
 *
 * The browser's clock may be minutes off. Every answer that carries
 * `server_time` (whole Unix seconds) bounds the offset (server − browser):
 * the server read its clock somewhere between the moment the request left
 * and the moment the answer arrived, and the true time was within the second
 * it reports. Intersecting those bounds over several answers narrows the
 * offset well below a second; an answer whose bounds do not meet the known
 * ones means the browser's clock jumped (the user set it, a VM resumed), and
 * the offset starts again from that answer. Deadlines are then compared with
 * `serverNow()`, never with `Date.now()`.
 */

/**
 * The bounds on (server ms − browser ms) that one answer gives.
 * @returns {{lo: number, hi: number}}
 */
export function offsetBounds(sentMs, receivedMs, serverTimeS) {
  const server = serverTimeS * 1000;
  return { lo: server - receivedMs, hi: server + 1000 - sentMs };
}

/**
 * Merges a new answer's bounds into the known ones: their intersection, or
 * the new bounds alone when they do not meet (a jump of the browser clock).
 */
export function mergeBounds(known, sample) {
  if (!known) return sample;
  const lo = Math.max(known.lo, sample.lo);
  const hi = Math.min(known.hi, sample.hi);
  return lo <= hi ? { lo, hi } : sample;
}

/** The offset estimate of some bounds: their middle (0 without any). */
export function offsetOf(bounds) {
  return bounds ? Math.round((bounds.lo + bounds.hi) / 2) : 0;
}

/**
 * A clock that learns the offset from answers.
 * @param {() => number} [now] the browser clock (ms)
 */
export function createClock(now = () => Date.now()) {
  let bounds = null;
  return {
    /** Records one answer: when its request left, when it came back (browser ms). */
    observe(sentMs, receivedMs, serverTimeS) {
      if (!Number.isFinite(serverTimeS) || !(receivedMs >= sentMs)) return;
      bounds = mergeBounds(bounds, offsetBounds(sentMs, receivedMs, serverTimeS));
    },
    /** server ms − browser ms */
    offset: () => offsetOf(bounds),
    /** The bounds as known, for the debug panel ({lo, hi} or null). */
    bounds: () => (bounds ? { ...bounds } : null),
    /** The server's time now, in ms. */
    serverNow: () => now() + offsetOf(bounds),
    /** The browser's own clock (ms): for intervals between two local events. */
    localNow: () => now(),
  };
}
