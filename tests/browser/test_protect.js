// A folder of the site guarded by tether's authorizer (/protected/: a PHP
// page and a static file), as a person meets it in a browser through
// lighttpd: signed out, the sign-in page and back; an expired access token
// of a live session costs one refresh and no sign-in; after a logout the
// banner says why. And htdocs/denied.html, the page Apache shows for its
// bare 401, in each of its three cases.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAxeClean, cfg, countRequests, createUser, launch, newPage, shot, signIn, sleep } from './harness.js';
import { appReady, clean, onSigninWithBanner } from './flows.js';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const PAGE = '/protected/index.php';

async function onProtectedPage(page, user) {
  await page.waitForURL((u) => u.pathname === PAGE, { timeout: 15000 });
  assert.equal(await page.textContent('#user-email'), user.email);
  assert.match(await page.textContent('#user-id'), /^\d+$/);
}

test('signed out: the sign-in page, then straight back to the protected page', async () => {
  const user = await createUser({ displayName: 'Grace Hopper' });
  const { context, page } = await newPage(browser);
  await page.goto(PAGE);
  await page.waitForURL((u) => u.pathname === '/' && u.searchParams.get('next') === PAGE);
  await page.fill('#email', user.email);
  await page.fill('#password', user.password);
  await page.click('button[type=submit]');
  await onProtectedPage(page, user);
  assert.equal(await page.textContent('#user-name'), 'Grace Hopper');
  await shot(page, 'protected-page');
  const file = await page.goto('/protected/hello.txt');
  assert.equal(file.status(), 200);
  assert.match(await file.text(), /protected static file/);
  await clean(context, page);
  await context.close();
});

test('an expired access token of a live session: one refresh and back, no sign-in', async () => {
  const user = await createUser();
  const { context, page } = await newPage(browser);
  await signIn(page, user);
  await appReady(page);
  // Leave the app (its own timer would refresh ahead), let the access token expire.
  await page.goto('about:blank');
  await sleep((cfg.accessS + 1.5) * 1000);
  const refreshes = countRequests(context, 'POST', '/api/auth/refresh');
  const logins = countRequests(context, 'POST', '/api/auth/login');
  await page.goto(PAGE);
  await onProtectedPage(page, user);
  assert.equal(refreshes.count, 1, 'exactly one refresh');
  assert.equal(logins.count, 0, 'no sign-in');
  await clean(context, page);
  await context.close();
});

test('after a logout the protected page sends to sign in, and the banner says why', async () => {
  const user = await createUser();
  const { context, page } = await newPage(browser);
  await signIn(page, user);
  await appReady(page);
  await page.click('#logout');
  await onSigninWithBanner(page, 'you');
  await page.goto(PAGE);
  await page.waitForURL((u) => u.pathname === '/' && u.searchParams.get('next') === PAGE);
  await page.waitForSelector('#signin');
  assert.equal(await page.isVisible('#email'), true, 'the sign-in form, not the page');
  await context.close();
});

test('denied.html (Apache\'s 401 page): sign in, outage, not for this account', async () => {
  const user = await createUser();
  // Signed out: on to the sign-in page, coming back to the page asked for.
  let { context, page } = await newPage(browser);
  await page.goto('/denied.html?x=1');
  await page.waitForURL((u) => u.pathname === '/' && u.searchParams.get('next') === '/denied.html?x=1');
  await context.close();

  // An outage: said as such, with a retry; never the sign-in page.
  ({ context, page } = await newPage(browser));
  await context.route('**/api/auth/health', (r) => r.fulfill({ status: 503, body: '{}' }));
  await page.goto('/denied.html');
  await page.waitForFunction(() => !document.getElementById('retry').hidden);
  assert.match(await page.textContent('h1'), /Temporarily unavailable/);
  assert.equal(new URL(page.url()).pathname, '/denied.html');
  await shot(page, 'denied-outage');
  await assertAxeClean(page, 'denied page, outage');
  // The service is back: "Try again" by keyboard goes on.
  await context.unroute('**/api/auth/health');
  await page.focus('#retry');
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname === '/');
  await context.close();

  // Signed in, but refused here (the folder's rules): no loop through sign-in.
  ({ context, page } = await newPage(browser));
  await signIn(page, user);
  await appReady(page);
  await page.goto('/denied.html');
  await page.waitForFunction(() => /Not for this account/.test(document.querySelector('h1').textContent));
  assert.equal(new URL(page.url()).pathname, '/denied.html');
  await shot(page, 'denied-forbidden');
  await assertAxeClean(page, 'denied page, not for this account');
  await clean(context, page);
  await context.close();
});
