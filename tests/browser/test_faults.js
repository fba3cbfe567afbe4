// Faults that must never sign anyone out: a 503 or a dead network during a
// refresh, a browser that goes offline, a browser clock 10 minutes off;
// and a laptop lid closed past the idle timeout, which must be explained
// at once on waking, without a request that slides the timer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cfg, launch, shot, sleep, sql } from './harness.js';
import { clean, serverSession, signedInApp, waitFor, waitForModal, waitForToast } from './flows.js';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const status = (page) => page.evaluate(() => window.__tokenMonitor.getTokenStatus());

async function outageDuringRefresh(name, breakRefresh) {
  const { context, page } = await signedInApp(browser);
  const sid = (await serverSession(context)).id;
  const st = await status(page);
  await sleep((st.accessS + 1) * 1000); // the access token has expired
  await page.route('**/api/auth/refresh', breakRefresh);
  await page.click('#sessions-reload'); // a real request: 401, then the refresh fails
  await page.waitForFunction(() => /cannot be reached/.test(document.getElementById('connection').textContent), null, {
    timeout: 10000,
  });
  assert.match(await page.textContent('#connection'), /still signed in/);
  await shot(page, `reconnecting-${name}`);
  // Keep failing for a while, with back-off: still signed in, no alert, no modal.
  await sleep(4000);
  assert.ok(new URL(page.url()).pathname.endsWith('/app.html'));
  assert.equal(await page.locator('.tether-alert').count(), 0);
  assert.equal(await page.locator('dialog.tether-modal[open]').count(), 0);
  assert.equal(await sql('SELECT ended_at IS NULL FROM sessions WHERE id = $1', [sid]), 't', 'the session lives');
  // The API comes back: the page recovers by itself.
  await page.unroute('**/api/auth/refresh');
  await page.waitForFunction(() => document.getElementById('connection').textContent === '', null, { timeout: 35000 });
  await page.click('#sessions-reload');
  await page.waitForFunction(() => /\d+ session/.test(document.getElementById('sessions-status').textContent));
  assert.ok((await status(page)).accessS > 0, 'a fresh access token');
  await clean(context, page);
  await context.close();
}

test('a 503 from /refresh does not sign the user out; the page recovers when the API is back', async () => {
  await outageDuringRefresh('503', (route) =>
    route.fulfill({ status: 503, contentType: 'application/json', headers: { 'Retry-After': '1' }, body: '{"error":"unavailable"}' }),
  );
});

test('a network failure during the refresh does not sign the user out either', async () => {
  await outageDuringRefresh('network', (route) => route.abort('connectionreset'));
});

test('a browser that goes offline and comes back stays signed in', async () => {
  const { context, page } = await signedInApp(browser);
  await context.setOffline(true);
  await page.click('#sessions-reload');
  await page.waitForFunction(() => /cannot be reached/.test(document.getElementById('connection').textContent), null, {
    timeout: 10000,
  });
  await sleep(2000);
  await context.setOffline(false); // 'online': the page asks the server at once
  await page.waitForFunction(() => document.getElementById('connection').textContent === '', null, { timeout: 10000 });
  assert.equal(await page.locator('.tether-alert').count(), 0);
  assert.equal((await serverSession(context)).ended, false, "the session lives");
  await context.close();
});

for (const [label, skewMin] of [
  ['10 minutes fast', 10],
  ['10 minutes slow', -10],
]) {
  test(`a browser clock ${label}: countdowns, warning and session as if it were right`, async () => {
    const { context, page } = await signedInApp(browser, {
      context: {},
      before: async (ctx) => ctx.clock.install({ time: new Date(Date.now() + skewMin * 60000) }),
    });
    const browserNow = await page.evaluate(() => Date.now());
    assert.ok(Math.abs(browserNow - Date.now() - skewMin * 60000) < 5000, 'the browser clock is off');
    const st = await status(page);
    assert.ok(Math.abs(st.clockOffsetMs + skewMin * 60000) < 1500, `offset ${st.clockOffsetMs}`);
    assert.ok(st.idleS > cfg.idleS - 6 && st.idleS <= cfg.idleS, `idle left ${st.idleS}`);
    assert.ok(st.accessS > 0 && st.accessS <= cfg.accessS, `access left ${st.accessS}`);
    // The warning neither early nor late, by the server's clock.
    const s = await serverSession(context);
    const warnAt = (s.idle_expires_at - cfg.warningS) * 1000;
    const early = warnAt - Date.now() - 1500;
    if (early > 0) await sleep(early);
    assert.equal(await page.locator('.tether-toast').isVisible(), false, 'no early warning');
    await waitForToast(page, 6000);
    assert.ok(Math.abs(Date.now() - warnAt) < 3000, `warning ${Date.now() - warnAt} ms from its time`);
    assert.match(await page.textContent('.tether-countdown'), /^0:(1\d|20)$/);
    // And no logout: "Stay signed in" works, and the session lives on.
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    await page.waitForSelector('.tether-toast', { state: 'hidden' });
    assert.ok(new URL(page.url()).pathname.endsWith('/app.html'));
    assert.equal((await serverSession(context)).ended, false, "the session lives");
    await clean(context, page);
    await context.close();
  });
}

test('a laptop lid closed past the idle timeout: on waking, the modal and the reason at once, nothing slides the timer', async () => {
  const { context, page } = await signedInApp(browser, {
    before: async (ctx) => ctx.clock.install(),
  });
  await page.fill('#draft-title-input', 'Before the lid closed');
  await sleep(800); // the draft is saved (debounced)
  const s0 = await serverSession(context);
  // Close the lid: the page's timers stop, the server's clock goes on.
  await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 50);
  const seen = [];
  context.on('request', (r) => {
    if (r.url().includes('/api/auth/')) seen.push({ m: r.method(), path: new URL(r.url()).pathname, bg: r.headers()['x-activity'] });
  });
  const asleepMs = (s0.idle_expires_at + 2) * 1000 - Date.now();
  await sleep(asleepMs);
  assert.deepEqual(seen, [], 'nothing happens while the lid is closed');
  // Open it: time jumps.
  await page.clock.fastForward(asleepMs);
  await page.clock.resume();
  await waitForModal(page, 10000);
  const text = await page.textContent('dialog.tether-modal[open]');
  assert.match(text, /You have been signed out/);
  assert.match(text, /no activity for \d+ seconds/);
  assert.match(text, /Before the lid closed/);
  assert.equal(await page.locator('.tether-toast').isVisible(), false, 'no warning flashed before the answer');
  await shot(page, 'lid-closed-modal');
  // Every request since waking was a background one; none was /activity.
  assert.ok(seen.length > 0);
  for (const r of seen) {
    assert.notEqual(r.path, '/api/auth/activity', 'no activity report');
    assert.equal(r.bg, 'background', `${r.m} ${r.path} must be a background request`);
  }
  const end = (await sql("SELECT end_reason FROM sessions WHERE id = $1", [s0.id])) || '';
  assert.equal(end, 'IDLE_TIMEOUT');
  await clean(context, page);
  await context.close();
});

test('the app page opened while the API is down waits and loads when it is back, without signing out', async () => {
  const { context, page } = await signedInApp(browser);
  await page.route('**/api/auth/session-info', (route) =>
    route.fulfill({ status: 503, contentType: 'application/json', headers: { 'Retry-After': '1' }, body: '{"error":"unavailable"}' }),
  );
  await page.reload();
  await page.waitForFunction(() => /cannot be reached/.test(document.getElementById('connection').textContent));
  assert.equal(await page.textContent('#who'), 'Reconnecting…');
  await sleep(2500);
  assert.ok(new URL(page.url()).pathname.endsWith('/app.html'), 'still on the app page');
  await page.unroute('**/api/auth/session-info');
  await page.waitForFunction(() => document.querySelector('#main').getAttribute('aria-busy') === null, null, { timeout: 15000 });
  assert.match(await page.textContent('#who'), /@example\.com/);
  assert.equal(await page.textContent('#connection'), '');
  await clean(context, page);
  await context.close();
});
