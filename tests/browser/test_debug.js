// The debug panel and the token monitor: Ctrl+Shift+D, live countdowns,
// recent logouts from this device and the server, a full-state dump with
// no token in it — and their polling never keeps a session alive.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAxeClean, createUser, isTetherCookie, launch, newPage, shot, signIn, sleep } from './harness.js';
import { appReady, clean, serverSession, signedInApp, waitFor } from './flows.js';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const field = (page, name) => page.textContent(`.tether-debug dd[data-field="${name}"]`);

test('Ctrl+Shift+D opens the panel: countdowns that change, clock offset, logouts local and from the server', async () => {
  const user = await createUser();
  // An earlier session of this user that was logged out, for the lists.
  {
    const { context, page } = await newPage(browser);
    await signIn(page, user);
    await appReady(page);
    await page.click('#logout');
    await page.waitForURL((u) => u.pathname.endsWith('/index.html'));
    await context.close();
  }
  const { context, page } = await signedInApp(browser, { user });
  await page.keyboard.press('Control+Shift+D');
  await page.waitForSelector('.tether-debug:not([hidden])');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tether-debug-title');
  assert.equal(await page.getAttribute('#debug-open', 'aria-expanded'), 'true');
  assert.match(await field(page, 'Auth status'), new RegExp(`signed in as ${user.email}`));
  assert.match(await field(page, 'Clock offset'), /s \(/);
  const a1 = await field(page, 'Access token');
  const i1 = await field(page, 'Idle timeout');
  assert.match(a1, /^(in \d+:\d\d|expired)/);
  assert.match(await field(page, 'Absolute lifetime'), /^in \d+:\d\d:\d\d$/);
  await page.waitForFunction((t) => document.querySelector('.tether-debug dd[data-field="Idle timeout"]').textContent !== t, i1, {
    timeout: 3000,
  });
  // The server's list: the earlier logout's report and session end.
  await page.waitForFunction(() => /USER_LOGOUT|USER_ACTION/.test(document.querySelectorAll('.tether-debug-list')[1].textContent), null, {
    timeout: 8000,
  });
  const text = await page.textContent('.tether-debug');
  assert.ok(!/eyJ[\w-]+\.[\w-]+\./.test(text), 'no token in the panel');
  await shot(page, 'debug-panel');
  await assertAxeClean(page, 'debug panel');

  // "Log full state to console": a full state, no token.
  const logged = [];
  page.on('console', (m) => logged.push(m));
  await page.getByRole('button', { name: 'Log full state to console' }).click();
  await sleep(300);
  const dump = logged.find((m) => m.text().includes('[tether] full state'));
  assert.ok(dump, 'the state was logged');
  const value = JSON.stringify(await dump.args()[1].jsonValue());
  assert.match(value, /"sessionId"/);
  assert.ok(!/eyJ[\w-]+\.[\w-]+\./.test(value), 'no token in the dump');
  for (const c of await context.cookies()) if (!isTetherCookie(c.name, 'tether_csrf')) assert.ok(!value.includes(c.value));

  // Escape closes it and gives the focus back.
  await page.keyboard.press('Escape');
  await page.waitForSelector('.tether-debug', { state: 'hidden' });
  await page.click('#debug-open');
  await page.waitForSelector('.tether-debug:not([hidden])');
  await page.click('.tether-debug .tether-close');
  await page.waitForSelector('.tether-debug', { state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'debug-open');
  await clean(context, page);
  await context.close();
});

test('the panel polls every 5 s as background requests, which never slide the idle timer', async () => {
  const { context, page } = await signedInApp(browser);
  // Opening it is a key press, which is activity like any other; what
  // counts is what happens after, while nobody touches anything.
  const signedIn = await serverSession(context);
  await sleep(1100); // the key press falls in a later second than the sign-in
  await page.keyboard.press('Control+Shift+D');
  await page.waitForSelector('.tether-debug:not([hidden])');
  // That key press reaches the server within one activity step (3 s).
  const s0 = await waitFor(
    async () => {
      const s = await serverSession(context);
      return s.last_active_at > signedIn.last_active_at && s;
    },
    { timeout: 8000, message: 'the key press was reported' },
  );
  await sleep(500);
  const seen = [];
  context.on('request', (r) => {
    if (r.url().includes('/api/auth/')) seen.push({ path: new URL(r.url()).pathname, bg: r.headers()['x-activity'] });
  });
  await sleep(11000);
  const polls = seen.filter((r) => r.path.endsWith('/session-info'));
  assert.ok(polls.length >= 2, `${polls.length} polls in 11 s`);
  for (const r of seen) assert.equal(r.bg, 'background', `${r.path} is a background request`);
  const s1 = await serverSession(context);
  assert.equal(s1.last_active_at, s0.last_active_at, 'the idle timer did not slide');
  await context.close();
});

test('the token monitor logs a coloured line at start and every 30 s, and answers getTokenStatus()', async () => {
  const lines = [];
  const { context, page } = await signedInApp(browser, {
    before: async (ctx) => {
      await ctx.clock.install();
      ctx.on('console', (m) => {
        if (m.text().includes('[tether] access')) lines.push(m.text());
      });
    },
  });
  await page.waitForTimeout(300);
  assert.ok(lines.length >= 1, 'a line at start');
  assert.match(lines[0], /%c\[tether\] access \d+:\d\d · refresh .* · idle \d+:\d\d · session .* · clock offset/);
  assert.match(lines[0], /color: #[0-9a-f]{6}/);
  const n = lines.length;
  await page.clock.runFor(30000);
  await page.waitForTimeout(300);
  assert.ok(lines.length > n, 'another line 30 s later');
  const st = await page.evaluate(() => window.__tokenMonitor.getTokenStatus());
  for (const k of ['accessS', 'refreshS', 'idleS', 'absoluteS', 'clockOffsetMs']) assert.equal(typeof st[k], 'number', k);
  assert.equal(st.signedIn, true);
  await context.close();
});
