// tests/browser/flows.js: steps the browser scenarios share (on top of
// harness.js): a signed-in app page, reading the banner, waiting for the
// warning and the modal.
import assert from 'node:assert/strict';
import { assertNoTokens, createUser, isTetherCookie, newPage, signIn, sql, waitFor } from './harness.js';

// Waits until app.html has loaded the user (the session is running).
export async function appReady(page) {
  await page.waitForFunction(() => document.querySelector('#main')?.getAttribute('aria-busy') === null, null, {
    timeout: 10000,
  });
}

// A new user signed in on app.html in a fresh context.
// `before(context)` runs before the first page loads (e.g. context.clock.install()).
export async function signedInApp(browser, { remember = false, user, context: ctxOpts = {}, before } = {}) {
  const u = user || (await createUser({ displayName: 'Ada Lovelace' }));
  const { context, page } = await newPage(browser, ctxOpts);
  if (before) await before(context);
  await signIn(page, u, { remember });
  await appReady(page);
  return { user: u, context, page };
}

// The banner case shown on the sign-in page (data-case), once it is there.
export async function bannerCase(page) {
  await page.waitForSelector('.tether-banner', { timeout: 10000 });
  return page.getAttribute('.tether-banner', 'data-case');
}

// The banner's technical details as {term: value}.
export async function bannerDetails(page) {
  // The button's name changes to "Hide technical details" once open.
  const toggle = page.locator('.tether-banner button[aria-controls]');
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') {
    assert.equal(await toggle.textContent(), 'Show technical details');
    await toggle.click();
  }
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  assert.equal(await toggle.textContent(), 'Hide technical details');
  return page.evaluate(() => {
    const out = {};
    const dts = document.querySelectorAll('.tether-details dt');
    for (const dt of dts) out[dt.textContent] = dt.nextElementSibling.textContent;
    return out;
  });
}

export const toastVisible = (page) => page.locator('.tether-toast').isVisible();

export async function waitForToast(page, timeout = 20000) {
  await page.waitForSelector('.tether-toast:not([hidden])', { timeout });
}

export async function waitForModal(page, timeout = 45000) {
  await page.waitForSelector('dialog.tether-modal[role="alertdialog"][open]', { timeout });
}

// The server's idea of the context's session, read from the database (so
// it slides nothing, and works whether or not the access token has
// expired): {id, last_active_at, idle_timeout_s, idle_expires_at,
// absolute_expires_at, ended}. The session id comes from the access
// cookie's "sid" claim (the test can read the httpOnly cookie; the page
// cannot).
export async function serverSession(context) {
  const cookie = (await context.cookies()).find((c) => isTetherCookie(c.name, 'tether_access'));
  assert.ok(cookie && cookie.value, 'the context has an access cookie');
  const sid = JSON.parse(Buffer.from(cookie.value.split('.')[1], 'base64url').toString()).sid;
  const row = await sql(
    `SELECT floor(extract(epoch FROM last_active_at))::bigint, idle_timeout_s,
            floor(extract(epoch FROM absolute_expires_at))::bigint, ended_at IS NOT NULL
       FROM sessions WHERE id = $1`,
    [sid],
  );
  assert.ok(row, `no session ${sid}`);
  const [last, idle, abs, ended] = row.split('|');
  return {
    id: sid,
    last_active_at: Number(last),
    idle_timeout_s: Number(idle),
    idle_expires_at: Number(last) + Number(idle),
    absolute_expires_at: Number(abs),
    ended: ended === 't',
  };
}

// No token readable by scripts, and no script error on any page.
export async function clean(context, page) {
  await assertNoTokens(context, page);
  for (const p of context.pages()) assert.deepEqual(p.__errors || [], [], `script errors on ${p.url()}`);
}

// The sign-in page with a banner of this case after a redirect.
export async function onSigninWithBanner(page, want) {
  await page.waitForURL((u) => u.pathname.endsWith('/index.html') || u.pathname === '/', { timeout: 20000 });
  const got = await bannerCase(page);
  assert.equal(got, want, `banner case (${await page.textContent('.tether-banner')})`);
}

export { waitFor };
