// The sign-in page's banner ("why was I signed out?") after each way a
// session ends: the user's own logout, "Log out everywhere", a device
// signed out from another one, a password changed elsewhere, too many
// wrong current passwords (driven by keyboard only), the maximum
// age, a refresh token used twice, an account disabled by the admin. Each
// checks the case the banner shows and the server's reason in its
// technical details; then the banner itself: the details toggle, the close
// button, accessibility, and the 30-second self-dismissal (paused while
// hovered or focused).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAxeClean, cfg, createUser, isTetherCookie, launch, newPage, sessionInfo, shot, signIn, sleep, sql, tetherctl, waitFor } from './harness.js';
import { appReady, bannerDetails, clean, onSigninWithBanner, signedInApp, waitForModal } from './flows.js';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// app.html's short alert (role=alert, the same case), then the sign-in
// page with the banner. go: press "Go to sign-in now" instead of waiting.
async function alertThenBanner(page, want, { go = false } = {}) {
  const alert = page.locator('.tether-alert');
  await alert.waitFor({ timeout: 15000 });
  assert.equal(await alert.getAttribute('role'), 'alert');
  assert.equal(await alert.getAttribute('data-case'), want, `alert case (${await alert.textContent()})`);
  if (go) await alert.getByRole('button', { name: 'Go to sign-in now' }).click();
  await onSigninWithBanner(page, want);
  assert.ok(new URL(page.url()).searchParams.get('next')?.endsWith('/app.html'), `next= on ${page.url()}`);
}

// The banner's technical details, checked: the report's type, the server's
// reason and ended reason (undefined: no such row; an array: any of them),
// the page it came from.
async function checkDetails(page, { type, reason, ended }) {
  const d = await bannerDetails(page);
  const rows = JSON.stringify(d);
  assert.equal(d.Type, type, `Type (${rows})`);
  assert.equal(d['Server reason'], reason, `Server reason (${rows})`);
  if (Array.isArray(ended)) assert.ok(ended.includes(d['Ended reason']), `Ended reason (${rows})`);
  else assert.equal(d['Ended reason'], ended, `Ended reason (${rows})`);
  assert.equal(d.Page, '/app.html');
  assert.ok(d.Message && d.Time, `Message and Time (${JSON.stringify(d)})`);
  return d;
}

// A second context signed in as the same user (its own session).
async function secondDevice(user) {
  return signedInApp(browser, { user });
}

const sessionIdOf = async (context) => {
  const r = await sessionInfo(context);
  assert.equal(r.status, 200, `session-info: ${JSON.stringify(r.body)}`);
  return r.body.session.id;
};

test('"Log out": case "you", no server reason; details toggle, axe, close button', async () => {
  const { context, page } = await signedInApp(browser);
  await page.click('#logout');
  await alertThenBanner(page, 'you');
  const banner = page.locator('.tether-banner');
  assert.match(await banner.textContent(), /You signed out\./);
  // Details folded at first; the toggle says what it controls.
  const toggle = banner.locator('button[aria-controls]');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  const dl = page.locator(`#${await toggle.getAttribute('aria-controls')}`);
  assert.equal(await dl.evaluate((el) => el.tagName), 'DL');
  assert.equal(await dl.isVisible(), false, 'details hidden at first');
  await checkDetails(page, { type: 'USER_ACTION', reason: undefined, ended: undefined });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  assert.equal(await dl.isVisible(), true, 'details shown');
  // A "you signed out" never pre-fills the email (it may be a shared computer).
  assert.equal(await page.inputValue('#email'), '');
  await shot(page, 'banner-you');
  await assertAxeClean(page, 'sign-in page with the banner, details expanded');
  await clean(context, page);
  // The close button removes it.
  await banner.getByRole('button', { name: 'Close this notice' }).click();
  assert.equal(await page.locator('.tether-banner').count(), 0, 'closed');
  assert.equal(await page.evaluate(() => document.getElementById('banner').textContent.trim()), '', 'nothing of it is left');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'email', 'the focus goes on to the form');
  await clean(context, page);
  await context.close();
});

test('"Log out everywhere": "you-everywhere" here, "everywhere" (SESSION_ENDED / LOGOUT_ALL) on the other device', async () => {
  const a = await signedInApp(browser);
  const b = await secondDevice(a.user);
  await a.page.click('#logout-all');
  await alertThenBanner(a.page, 'you-everywhere');
  await checkDetails(a.page, { type: 'USER_ACTION', reason: undefined, ended: undefined });
  await clean(a.context, a.page);
  // B learns it on its next request.
  await b.page.click('#sessions-reload');
  await alertThenBanner(b.page, 'everywhere');
  await checkDetails(b.page, { type: 'SESSION_ENDED', reason: 'SESSION_ENDED', ended: 'LOGOUT_ALL' });
  await clean(b.context, b.page);
  await a.context.close();
  await b.context.close();
});

test('"Sign out this device" from another device: "revoked" (SESSION_ENDED / REVOKED_BY_USER)', async () => {
  const a = await signedInApp(browser);
  const b = await secondDevice(a.user);
  const idA = await sessionIdOf(a.context);
  const button = b.page.locator(`tr[data-session="${idA}"] button`);
  await button.waitFor({ timeout: 10000 });
  assert.equal(await button.textContent(), 'Sign out this device');
  await button.click();
  // B's list reloads without A's row.
  await b.page.locator(`tr[data-session="${idA}"]`).waitFor({ state: 'detached', timeout: 10000 });
  assert.equal(await sql('SELECT end_reason FROM sessions WHERE id = $1 AND user_id = $2', [idA, a.user.id]), 'REVOKED_BY_USER');
  await a.page.reload();
  await alertThenBanner(a.page, 'revoked', { go: true });
  await checkDetails(a.page, { type: 'SESSION_ENDED', reason: 'SESSION_ENDED', ended: 'REVOKED_BY_USER' });
  await shot(a.page, 'banner-revoked');
  await clean(a.context, a.page);
  // B itself goes on.
  assert.equal((await sessionInfo(b.context)).status, 200);
  await clean(b.context, b.page);
  await a.context.close();
  await b.context.close();
});

test('password changed on another device: "password" (SESSION_ENDED / PASSWORD_CHANGED)', async () => {
  const a = await signedInApp(browser);
  const b = await secondDevice(a.user);
  await b.page.fill('#pw-current', a.user.password);
  await b.page.fill('#pw-new', 'a-brand-new-secret-77');
  await b.page.getByRole('button', { name: 'Change password' }).click();
  await b.page.waitForFunction(() => /was changed/.test(document.getElementById('password-result').textContent), null, {
    timeout: 10000,
  });
  assert.match(await b.page.textContent('#password-result'), /1 other session was signed out/);
  await a.page.reload();
  await alertThenBanner(a.page, 'password', { go: true });
  await checkDetails(a.page, { type: 'SESSION_ENDED', reason: 'SESSION_ENDED', ended: 'PASSWORD_CHANGED' });
  await clean(a.context, a.page);
  assert.equal((await sessionInfo(b.context)).status, 200, 'the device that changed it stays signed in');
  await clean(b.context, b.page);
  await a.context.close();
  await b.context.close();
});

// Tab until target (an element id, or a locator) has the focus: the
// keyboard only, as a user without a mouse gets there.
async function tabTo(page, target) {
  const loc = typeof target === 'string' ? page.locator(`#${target}`) : target;
  for (let i = 0; i < 60; i++) {
    if (await loc.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${target}`);
}

test('wrong current passwords, too many, by keyboard: "guesses" (SESSION_ENDED / PASSWORD_GUESSES)', async () => {
  const { context, page } = await signedInApp(browser);
  const alert = page.locator('.tether-alert');
  // The server's limit is 5 (TETHER_LOGIN_MAX_ATTEMPTS): the guess that
  // reaches it ends the session it came with.
  for (let i = 0; i < 5 && (await alert.count()) === 0; i++) {
    await tabTo(page, 'pw-current');
    await page.keyboard.type(`wrong-guess-${i}`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'pw-new');
    await page.keyboard.type('a-brand-new-secret-77');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => document.getElementById('password-result').textContent !== '' || document.querySelector('.tether-alert'),
      null,
      { timeout: 10000 },
    );
    if ((await alert.count()) === 0) {
      assert.match(await page.textContent('#password-result'), /not correct/);
      await page.evaluate(() => {
        document.getElementById('password-result').textContent = '';
      });
    }
  }
  await alert.waitFor({ timeout: 15000 });
  // "Go to sign-in now", reached and pressed by keyboard.
  await tabTo(page, alert.getByRole('button', { name: 'Go to sign-in now' }));
  await page.keyboard.press('Enter');
  await onSigninWithBanner(page, 'guesses');
  assert.match(await page.textContent('.tether-banner'), /too many wrong passwords/);
  await checkDetails(page, { type: 'SESSION_ENDED', reason: 'SESSION_ENDED', ended: 'PASSWORD_GUESSES' });
  await shot(page, 'banner-guesses');
  await assertAxeClean(page, 'sign-in page with the "guesses" banner');
  // Closed by keyboard too; the focus goes on to the form.
  await tabTo(page, page.getByRole('button', { name: 'Close this notice' }));
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('.tether-banner').count(), 0, 'closed by keyboard');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'email');
  await clean(context, page);
  await context.close();
});

test('maximum age: the timeout modal, then "max-age" (SESSION_EXPIRED)', async () => {
  const { user, context, page } = await signedInApp(browser);
  const id = await sessionIdOf(context);
  await sql("UPDATE sessions SET absolute_expires_at = now() - interval '1 second' WHERE id = $1 AND user_id = $2", [id, user.id]);
  await page.reload();
  await waitForModal(page, 15000);
  const modal = page.locator('dialog.tether-modal[open]');
  assert.match(await modal.textContent(), /Your session has ended/);
  assert.equal(await page.locator('.tether-alert').count(), 0, 'a modal, not the short alert');
  await page.locator('dialog[open]').getByRole('button', { name: 'Sign in again' }).click();
  await onSigninWithBanner(page, 'max-age');
  assert.equal(await page.inputValue('#email'), user.email, 'the same person signs in again: the email is filled in');
  await checkDetails(page, { type: 'TOKEN_EXPIRED', reason: 'SESSION_EXPIRED', ended: [undefined, 'EXPIRED'] });
  await shot(page, 'banner-max-age');
  await clean(context, page);
  await context.close();
});

test('a refresh token used twice: 401 REFRESH_REUSED for the replay, then "reuse" on the device', async () => {
  const { context, page } = await signedInApp(browser);
  const refreshCookie = async () => (await context.cookies()).find((c) => isTetherCookie(c.name, 'tether_refresh'))?.value;
  const old = await refreshCookie();
  assert.ok(old, 'a refresh cookie');
  // Let the access token expire, then a request of the user's: one refresh, which rotates.
  await sleep((cfg.accessS + 0.5) * 1000);
  await page.click('#sessions-reload');
  await waitFor(async () => (await refreshCookie()) !== old, { timeout: 10000, message: 'the refresh token rotated' });
  const rotatedAt = Date.now();
  await page.waitForFunction(() => /session/.test(document.getElementById('sessions-status').textContent));
  assert.equal(await page.locator('.tether-alert').count(), 0, 'the rotation itself signs nobody out');
  // Past the grace, the old token is a stolen one.
  await sleep(Math.max(0, rotatedAt + (cfg.graceS + 1) * 1000 - Date.now()));
  const r = await fetch(cfg.api('/refresh'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: old }),
  });
  const body = await r.json();
  assert.equal(r.status, 401, JSON.stringify(body));
  assert.equal(body.reason, 'REFRESH_REUSED');
  assert.equal(body.access_token, undefined);
  await page.reload();
  await alertThenBanner(page, 'reuse', { go: true });
  const d = await bannerDetails(page);
  assert.ok(
    (d['Server reason'] === 'SESSION_ENDED' && d['Ended reason'] === 'REFRESH_REUSED') || d['Server reason'] === 'REFRESH_REUSED',
    `reasons ${JSON.stringify(d)}`,
  );
  assert.equal(d.Type, 'REFRESH_FAILED');
  assert.equal(d.Page, '/app.html');
  await shot(page, 'banner-reuse');
  await clean(context, page);
  await context.close();
});

test('account disabled by the admin: "disabled" (SESSION_ENDED / USER_DISABLED)', async () => {
  const { user, context, page } = await signedInApp(browser);
  await tetherctl(['user', 'disable', user.email]);
  await page.reload();
  await alertThenBanner(page, 'disabled', { go: true });
  await checkDetails(page, { type: 'SESSION_ENDED', reason: 'SESSION_ENDED', ended: 'USER_DISABLED' });
  assert.match(await page.textContent('.tether-banner'), /disabled/);
  await clean(context, page);
  await context.close();
});

test('the banner dismisses itself after 30 s, but not while it is hovered or focused', async () => {
  const { context, page } = await newPage(browser);
  await context.clock.install(); // before any page loads: the banner's timer is a fake one
  const user = await createUser();
  await signIn(page, user);
  await appReady(page);
  await page.click('#logout');
  await alertThenBanner(page, 'you');
  // Hovered: it stays, however long.
  await page.hover('.tether-banner');
  await page.clock.fastForward(31000);
  assert.equal(await page.locator('.tether-banner').count(), 1, 'stays while hovered');
  // Focused too, then the pointer leaves: the focus alone holds it.
  await page.focus('.tether-banner button.tether-link');
  await page.mouse.move(5, 5);
  await page.clock.fastForward(31000);
  assert.equal(await page.locator('.tether-banner').count(), 1, 'stays while focused');
  // Focus elsewhere, pointer away: it goes after its time.
  await page.focus('#password');
  await page.clock.fastForward(31000);
  assert.equal(await page.locator('.tether-banner').count(), 0, 'gone after 30 s unattended');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'password', 'the focus was left alone');
  assert.equal(await page.evaluate(() => document.getElementById('banner').textContent.trim()), '', 'nothing of it is left');
  await clean(context, page);
  await context.close();
});
