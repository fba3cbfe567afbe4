// Several tabs of one browser: shared activity, one refresh between them
// (with Web Locks, and with BroadcastChannel alone), one logout for all
// with one report.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cfg, countRequests, launch, shot, sleep } from './harness.js';
import { appReady, clean, onSigninWithBanner, serverSession, signedInApp, waitForToast } from './flows.js';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function secondTab(context) {
  const page = await context.newPage();
  await page.goto('/app.html');
  await appReady(page);
  return page;
}

test('activity in one tab keeps another alive, and the warning goes away in both', async () => {
  const { context, page: a } = await signedInApp(browser);
  const b = await secondTab(context);
  await Promise.all([waitForToast(a, 25000), waitForToast(b, 25000)]);
  const before = await serverSession(context);
  await b.mouse.move(200, 200);
  await b.mouse.move(260, 240);
  await Promise.all([
    a.waitForSelector('.tether-toast', { state: 'hidden', timeout: 5000 }),
    b.waitForSelector('.tether-toast', { state: 'hidden', timeout: 5000 }),
  ]);
  const after = await serverSession(context);
  assert.ok(after.last_active_at > before.last_active_at, 'the activity reached the server');
  // Tab A never moved, yet its deadlines follow the server's.
  const st = await a.evaluate(() => window.__tokenMonitor.getTokenStatus());
  assert.ok(st.idleS > cfg.warningS, `tab A idle left ${st.idleS}`);
  await clean(context, a);
  await context.close();
});

async function oneRefreshForTwoTabs(initScript) {
  const { context, page: a } = await signedInApp(browser, { context: initScript ? { initScript } : {} });
  const b = await secondTab(context);
  const coord = await a.evaluate(() => window.__tokenMonitor.getTokenStatus().locks);
  // Let both tabs' access token expire while nobody is active.
  const st = await a.evaluate(() => window.__tokenMonitor.getTokenStatus());
  await sleep((st.accessS + 1) * 1000);
  const refreshes = countRequests(context, 'POST', '/api/auth/refresh');
  // The user acts in both tabs at once: each asks for its sessions list.
  await Promise.all([a.click('#sessions-reload'), b.click('#sessions-reload')]);
  await Promise.all([
    a.waitForFunction(() => /session/.test(document.getElementById('sessions-status').textContent)),
    b.waitForFunction(() => /session/.test(document.getElementById('sessions-status').textContent)),
  ]);
  await sleep(1500);
  refreshes.stop();
  assert.equal(refreshes.count, 1, `POST /refresh between two tabs (${coord})`);
  // Both go on working.
  assert.equal((await serverSession(context)).ended, false, "the session lives");
  for (const p of [a, b]) assert.equal(await p.locator('.tether-alert').count(), 0);
  await clean(context, a);
  await context.close();
  return coord;
}

test('two tabs with an expired access token make exactly one POST /refresh (Web Locks)', async () => {
  assert.equal(await oneRefreshForTwoTabs(null), 'Web Locks');
});

test('the same without Web Locks (plain http off localhost): BroadcastChannel alone', async () => {
  const coord = await oneRefreshForTwoTabs(() => {
    Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true });
  });
  assert.equal(coord, 'BroadcastChannel');
});

test('a logout in one tab signs every tab out at once, with one report', async () => {
  const { context, page: a } = await signedInApp(browser);
  const b = await secondTab(context);
  const reports = countRequests(context, 'POST', '/api/auth/logout-event');
  await a.click('#logout');
  await Promise.all([onSigninWithBanner(a, 'you'), onSigninWithBanner(b, 'you')]);
  await sleep(1000);
  assert.equal(reports.count, 1, 'one logout report for two tabs');
  await shot(b, 'banner-logout-other-tab');
  await clean(context, b);
  await context.close();
});
