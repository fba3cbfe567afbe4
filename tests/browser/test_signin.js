// Sign-in: remember-me, the distinct error messages, throttling with a
// countdown, outages, redirects, keyboard-only use, accessibility.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAxeClean, assertNoTokens, cfg, createUser, launch, newPage, sessionInfo, shot, signIn, sql, tetherctl } from './harness.js';
import { appReady, clean } from './flows.js';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('sign in without "Remember me": an ordinary session, and the app shows who is signed in', async () => {
  const user = await createUser({ displayName: 'Grace Hopper' });
  const { context, page } = await newPage(browser);
  await page.goto('/');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.waitForFunction(() => document.getElementById('idle-note').textContent.length > 0);
  assert.match(await page.textContent('label[for=remember]'), /Remember me for 20 days/);
  await shot(page, 'signin');
  await assertAxeClean(page, 'sign-in page');
  await signIn(page, user);
  await appReady(page);
  assert.equal(await page.textContent('#user-email'), user.email);
  assert.equal(await page.textContent('#user-name'), 'Grace Hopper');
  const info = await sessionInfo(context);
  assert.equal(info.status, 200);
  assert.equal(info.body.session.remember_me, false);
  assert.equal(info.body.session.idle_timeout_s, cfg.idleS);
  await page.waitForSelector('#sessions tbody tr');
  assert.match(await page.textContent('#sessions tbody'), /this device/);
  await shot(page, 'app');
  await assertAxeClean(page, 'app page');
  await clean(context, page);
  await context.close();
});

test('sign in with "Remember me": the session says so', async () => {
  const user = await createUser();
  const { context, page } = await newPage(browser);
  await signIn(page, user, { remember: true });
  await appReady(page);
  const info = await sessionInfo(context);
  assert.equal(info.body.session.remember_me, true);
  await assertNoTokens(context, page);
  await context.close();
});

test('a wrong password says so, and nothing else', async () => {
  const user = await createUser();
  const { context, page } = await newPage(browser);
  await page.goto('/');
  await page.fill('#email', user.email);
  await page.fill('#password', 'not-the-password');
  await page.click('button[type=submit]');
  await page.waitForSelector('#form-error:not([hidden])');
  assert.equal(await page.getAttribute('#form-error', 'data-kind'), 'credentials');
  assert.match(await page.textContent('#form-error'), /email or password is not correct/);
  assert.equal(await page.getAttribute('#form-error', 'role'), 'alert');
  await shot(page, 'signin-wrong-password');
  await assertAxeClean(page, 'sign-in with an error');
  await context.close();
});

test('a disabled account gets its own message', async () => {
  const user = await createUser();
  await tetherctl(['user', 'disable', user.email]);
  const { context, page } = await newPage(browser);
  await page.goto('/');
  await page.fill('#email', user.email);
  await page.fill('#password', user.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('#form-error:not([hidden])');
  assert.equal(await page.getAttribute('#form-error', 'data-kind'), 'disabled');
  assert.match(await page.textContent('#form-error'), /disabled/);
  await context.close();
});

test('too many attempts: the wait from Retry-After counts down, and the button waits too', async () => {
  const user = await createUser();
  const { context, page } = await newPage(browser);
  await page.goto('/');
  await page.fill('#email', user.email);
  try {
    let kind = null;
    for (let i = 0; i < 8 && kind !== 'throttled'; i++) {
      await page.fill('#password', `wrong-password-${i}`);
      await page.click('button[type=submit]');
      await page.waitForSelector('#form-error:not([hidden])');
      await page.waitForFunction(() => document.querySelector('button[type=submit]').disabled === false || document.getElementById('form-error').dataset.kind === 'throttled');
      kind = await page.getAttribute('#form-error', 'data-kind');
    }
    assert.equal(kind, 'throttled');
    const first = await page.textContent('#form-error [role=timer]');
    assert.match(first, /^\d+:\d\d$/);
    assert.equal(await page.isDisabled('button[type=submit]'), true);
    await page.waitForFunction((t) => document.querySelector('#form-error [role=timer]')?.textContent !== t, first, { timeout: 3000 });
    assert.match(await page.textContent('#form-error'), /Too many sign-in attempts/);
    await shot(page, 'signin-throttled');
  } finally {
    // The per-address count would throttle every later test's sign-in.
    await sql('DELETE FROM login_attempts');
  }
  await context.close();
});

test('the server unavailable (503) or the network down is never shown as a credentials problem', async () => {
  const user = await createUser();
  const { context, page } = await newPage(browser);
  await page.goto('/');
  await page.fill('#email', user.email);
  await page.fill('#password', user.password);
  await page.route('**/api/auth/login', (route) =>
    route.fulfill({ status: 503, contentType: 'application/json', headers: { 'Retry-After': '5' }, body: '{"error":"unavailable","message":"down"}' }),
  );
  await page.click('button[type=submit]');
  await page.waitForSelector('#form-error:not([hidden])');
  assert.equal(await page.getAttribute('#form-error', 'data-kind'), 'unavailable');
  assert.match(await page.textContent('#form-error'), /not a problem with your password/);
  await shot(page, 'signin-unavailable');
  await page.unroute('**/api/auth/login');
  await page.route('**/api/auth/login', (route) => route.abort('internetdisconnected'));
  await page.click('button[type=submit]');
  await page.waitForFunction(() => document.getElementById('form-error').dataset.kind === 'unavailable');
  await page.unroute('**/api/auth/login');
  await page.click('button[type=submit]');
  await page.waitForURL((u) => u.pathname.endsWith('/app.html'));
  await context.close();
});

test('the app page opened signed out ends on the sign-in page, without a banner', async () => {
  const { context, page } = await newPage(browser);
  await page.goto('/app.html');
  await page.waitForURL((u) => u.pathname.endsWith('/index.html'));
  assert.equal(new URL(page.url()).searchParams.get('next'), '/app.html');
  await page.waitForTimeout(500);
  assert.equal(await page.locator('.tether-banner').count(), 0);
  await context.close();
});

test('a signed-in visitor goes straight from the sign-in page to the app', async () => {
  const user = await createUser();
  const { context, page } = await newPage(browser);
  await signIn(page, user);
  await appReady(page);
  await page.goto('/');
  await page.waitForURL((u) => u.pathname.endsWith('/app.html'));
  await context.close();
});

test('after sign-in, "next" only ever leads to a path of this site', async () => {
  const user = await createUser();
  const { context, page } = await newPage(browser);
  await page.goto('/index.html?next=//evil.example/steal');
  await page.fill('#email', user.email);
  await page.fill('#password', user.password);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => u.pathname.endsWith('/app.html'));
  assert.equal(new URL(page.url()).host, new URL(cfg.url).host);
  await context.close();
});

test('keyboard only: skip link, fields, remember-me and submit', async () => {
  const user = await createUser();
  const { context, page } = await newPage(browser);
  await page.goto('/');
  await page.waitForFunction(() => document.getElementById('idle-note').textContent.length > 0);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'tether-skip');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'email');
  await page.keyboard.type(user.email);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'password');
  await page.keyboard.type(user.password);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'remember');
  await page.keyboard.press('Space');
  // the focus ring is visible
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname.endsWith('/app.html'));
  await appReady(page);
  assert.equal((await sessionInfo(context)).body.session.remember_me, true);
  await context.close();
});

test('forced colors (high contrast) and reduced motion are respected', async () => {
  const user = await createUser();
  const { context, page } = await newPage(browser, { forcedColors: 'active', reducedMotion: 'reduce' });
  await signIn(page, user);
  await appReady(page);
  const styles = await page.evaluate(() => ({
    forced: matchMedia('(forced-colors: active)').matches,
    toastAnimation: getComputedStyle(document.querySelector('.tether-toast')).animationName,
    cardBorder: getComputedStyle(document.querySelector('.card')).borderTopWidth,
    focusOutline: (() => {
      document.getElementById('logout').focus();
      return getComputedStyle(document.activeElement).outlineStyle;
    })(),
  }));
  assert.equal(styles.forced, true);
  assert.equal(styles.toastAnimation, 'none', 'no animation with reduced motion');
  assert.equal(styles.cardBorder, '2px', 'boxes keep a visible border in forced colors');
  assert.notEqual(styles.focusOutline, 'none');
  await shot(page, 'app-forced-colors');
  await assertAxeClean(page, 'app in forced colors');
  await context.close();
});

test('the sign-in page that cannot reach the server says so in its banner, not as a sign-out reason', async () => {
  const { context, page } = await newPage(browser);
  await page.route('**/api/auth/session-info', (route) => route.abort('connectionrefused'));
  await page.goto('/');
  await page.waitForSelector('.tether-banner');
  assert.equal(await page.getAttribute('.tether-banner', 'data-case'), 'unavailable');
  assert.match(await page.textContent('.tether-banner'), /not with your password/);
  await shot(page, 'signin-banner-unavailable');
  await context.close();
});

test('first setup page: keyboard only, a wrong code, then "already done", axe-clean', async () => {
  const code = process.env.TETHER_BROWSER_SETUP_CODE;
  assert.ok(code && code.length >= 20, 'TETHER_BROWSER_SETUP_CODE is set');
  const { context, page } = await newPage(browser);
  await page.goto('/setup.html');
  await shot(page, 'setup');
  await assertAxeClean(page, 'setup page');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'tether-skip');
  await page.keyboard.press('Enter');
  const fill = async (id, text) => {
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), id);
    await page.keyboard.type(text);
  };
  await fill('code', 'not-the-setup-code-at-all');
  await fill('email', `setup-${Date.now()}@example.com`);
  await fill('name', 'Owner');
  await fill('password', 'correct horse battery');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !document.getElementById('form-error').hidden);
  assert.match(await page.textContent('#form-error'), /not the one in tether\.conf/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'form-error');
  await shot(page, 'setup-wrong-code');
  // The right code, but this site has users: refused, and said so.
  await page.fill('#code', code);
  await page.click('#submit');
  await page.waitForFunction(() => /already done/.test(document.getElementById('form-error').textContent));
  assert.equal(await page.isVisible('#setup'), true, 'the form stays for another try');
  await shot(page, 'setup-done-already');
  await assertAxeClean(page, 'setup page with an error');
  assert.equal(await sql('SELECT count(*) FROM users WHERE display_name = $1', ['Owner']), '0');
  await context.close();
});
