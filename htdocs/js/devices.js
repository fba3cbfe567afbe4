/**
 * devices: a person's words for a session's browser and device, from its
 * User-Agent string. Pure; a rough guess by design (the list of sessions
 * only has to let a person tell their laptop from their phone).
 */

/** {browser, device} for a User-Agent string ('Unknown' parts when unsure). */
export function describeUserAgent(ua) {
  const s = String(ua || '');
  let browser = 'Unknown browser';
  const pick = [
    [/Edg\/(\d+)/, 'Edge'],
    [/OPR\/(\d+)/, 'Opera'],
    [/Firefox\/(\d+)/, 'Firefox'],
    [/HeadlessChrome\/(\d+)/, 'Chrome (headless)'],
    [/Chrome\/(\d+)/, 'Chrome'],
    [/Version\/(\d+)[.\d]* .*Safari\//, 'Safari'],
    [/curl\/([\d.]+)/, 'curl'],
  ];
  for (const [re, name] of pick) {
    const m = s.match(re);
    if (m) {
      browser = `${name} ${m[1]}`;
      break;
    }
  }
  let device = 'Unknown device';
  if (/iPhone/.test(s)) device = 'iPhone';
  else if (/iPad/.test(s)) device = 'iPad';
  else if (/Android/.test(s)) device = /Mobile/.test(s) ? 'Android phone' : 'Android tablet';
  else if (/Windows/.test(s)) device = 'Windows computer';
  else if (/Macintosh|Mac OS X/.test(s)) device = 'Mac';
  else if (/CrOS/.test(s)) device = 'Chromebook';
  else if (/Linux|X11/.test(s)) device = 'Linux computer';
  return { browser, device };
}

/** "2 minutes ago", "just now", "3 hours ago" for an age in seconds. */
export function ago(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 30) return 'just now';
  const unit = (n, w) => `${n} ${w}${n === 1 ? '' : 's'} ago`;
  if (s < 3600) return unit(Math.max(1, Math.round(s / 60)), 'minute');
  if (s < 86400) return unit(Math.round(s / 3600), 'hour');
  return unit(Math.round(s / 86400), 'day');
}

/**
 * The path to go to after signing in: `next` when it is a path on this
 * origin, else `fallback`. Never another origin (no open redirect).
 */
export function safeNext(next, origin, fallback = 'app.html') {
  if (typeof next !== 'string' || next === '') return fallback;
  // Only absolute paths: "//host" and "/\\host" are other origins to a browser.
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  let u;
  try {
    u = new URL(next, origin);
  } catch {
    return fallback;
  }
  if (u.origin !== origin) return fallback;
  return u.pathname + u.search + u.hash;
}
