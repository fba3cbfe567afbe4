// The idle warning, "Stay signed in", the timeout modal with the kept
// draft, and signing in again to find the draft back. Idle 30 s, warning
// 20 s: the warning shows 10 s after the last activity the server saw.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAxeClean, cfg, countRequests, launch, shot } from './harness.js';
import { appReady, clean, onSigninWithBanner, serverSession, signedInApp, waitForModal, waitForToast } from './flows.js';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('warning at the right time, "Stay signed in" by keyboard slides the server timer, then the modal keeps the draft', async () => {
  const { user, context, page } = await signedInApp(browser);
  await page.fill('#draft-title-input', 'Quarterly report');
  await page.fill('#draft-body', 'First paragraph.\n\nSecond paragraph, long enough to count.');
  // Let the typing reach the server (one POST /activity at most per step).
  await page.waitForTimeout(5000);
  const s0 = await serverSession(context);
  const warnAt = (s0.idle_expires_at - cfg.warningS) * 1000;

  // No warning before warning_window ahead of the server's idle deadline...
  const early = warnAt - Date.now() - 1500;
  if (early > 0) await page.waitForTimeout(early);
  assert.equal(await page.locator('.tether-toast').isVisible(), false, 'no warning yet');
  // ...and then it shows, with a live countdown.
  await waitForToast(page, 6000);
  const shownAt = Date.now();
  assert.ok(Math.abs(shownAt - warnAt) < 3000, `warning ${shownAt - warnAt} ms from its time`);
  const c1 = await page.textContent('.tether-countdown');
  assert.match(c1, /^0:(1\d|20)$/);
  await page.waitForFunction((t) => document.querySelector('.tether-countdown').textContent !== t, c1, { timeout: 3000 });
  assert.equal(await page.getAttribute('.tether-countdown', 'role'), 'timer');
  const live = await page.textContent('.tether-toast + [aria-live="polite"]');
  assert.match(live, /signed out because of inactivity/);

  // Keyboard only: Tab to "Stay signed in" (Tab does not count as an answer), Enter.
  const activity = countRequests(context, 'POST', '/api/auth/activity');
  const stay = page.getByRole('button', { name: 'Stay signed in' });
  for (let i = 0; i < 40 && !(await stay.evaluate((b) => b === document.activeElement)); i++) await page.keyboard.press('Tab');
  assert.equal(await stay.evaluate((b) => b === document.activeElement), true, 'Stay signed in reachable by Tab');
  assert.equal(await page.locator('.tether-toast').isVisible(), true, 'tabbing did not dismiss the warning');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.tether-toast', { state: 'hidden', timeout: 5000 });
  assert.ok(activity.count >= 1);
  const s1 = await serverSession(context);
  assert.ok(s1.last_active_at > s0.last_active_at, 'the server idle timer slid');
  assert.ok(s1.idle_expires_at > s0.idle_expires_at);

  // Now nobody touches anything: the warning again, Escape closes it, then the timeout.
  await waitForToast(page, 15000);
  await shot(page, 'warning-idle');
  await assertAxeClean(page, 'app with the idle warning');
  await page.keyboard.press('Escape');
  await page.waitForSelector('.tether-toast', { state: 'hidden', timeout: 2000 });
  const noActivityAfter = countRequests(context, 'POST', '/api/auth/activity');
  await waitForModal(page, 30000);
  assert.equal(noActivityAfter.count, 0, 'Escape is not activity: it only closes the warning');
  const modal = page.locator('dialog.tether-modal[open]');
  assert.equal(await modal.getAttribute('aria-modal'), 'true');
  assert.match(await modal.textContent(), /Title.*Quarterly report/s);
  assert.match(await modal.textContent(), /Text.*characters/s);
  assert.match(await modal.textContent(), /no activity for \d+ seconds/);
  // Focus is inside, on the least destructive choice; Tab stays inside; Escape does not close it.
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Sign in again');
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => !!document.activeElement.closest('dialog[open]')), true, 'focus trapped');
  }
  await page.keyboard.press('Escape');
  assert.equal(await modal.isVisible(), true, 'Escape does not close the timeout modal');
  await shot(page, 'timeout-modal');
  await shot(page, 'timeout-modal-viewport', { fullPage: false });
  await assertAxeClean(page, 'timeout modal');
  await clean(context, page);

  // "Sign in again": the banner explains, and the draft is back after signing in.
  await page.getByRole('button', { name: 'Sign in again' }).click();
  await onSigninWithBanner(page, 'idle');
  assert.equal(await page.inputValue('#email'), user.email, 'the email is filled in');
  await page.fill('#password', user.password);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => u.pathname.endsWith('/app.html'));
  await appReady(page);
  assert.equal(await page.inputValue('#draft-title-input'), 'Quarterly report');
  assert.match(await page.inputValue('#draft-body'), /Second paragraph/);
  assert.match(await page.textContent('#draft-status'), /was restored/);
  await shot(page, 'draft-restored');
  await clean(context, page);
  await context.close();
});

test('"Log out" in the timeout modal asks about the draft, and discarding it leaves nothing behind', async () => {
  const { user, context, page } = await signedInApp(browser);
  await page.fill('#draft-title-input', 'Shared computer notes');
  await page.waitForTimeout(600);
  // Skip the wait: a one-second idle timeout for this session (a change
  // the workers' session caches hear of at once), then a page load.
  const { sql } = await import('./harness.js');
  await sql('UPDATE sessions SET idle_timeout_s = 1 WHERE user_id = $1 AND ended_at IS NULL', [user.id]);
  await page.waitForTimeout(2000);
  await page.reload();
  await waitForModal(page, 15000);
  await page.locator('dialog[open]').getByRole('button', { name: 'Log out', exact: true }).click();
  const discard = page.getByRole('button', { name: 'Discard it and log out' });
  await discard.waitFor();
  assert.equal(await discard.evaluate((b) => b === document.activeElement), true);
  assert.equal(await page.locator('dialog[open]').getByRole('button', { name: 'Sign in again' }).isVisible(), false, 'one question at a time');
  await shot(page, 'timeout-modal-discard');
  await discard.click();
  await page.waitForURL((u) => u.pathname.endsWith('/index.html'));
  const kept = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('tether.drafts')));
  assert.deepEqual(kept, []);
  await context.close();
});

test('before the maximum age, a warning that offers no extension and says the work is kept; then the modal', async () => {
  const { sql } = await import('./harness.js');
  const { context, page } = await signedInApp(browser);
  await page.fill('#draft-body', 'Notes written near the end of a long day.');
  const sid = (await serverSession(context)).id;
  // The session reaches its maximum age 25 s from now (as if signed in 12 h ago).
  await sql(`UPDATE sessions SET absolute_expires_at = now() + interval '25 seconds' WHERE id = $1`, [sid]);
  await page.reload();
  await appReady(page);
  // Stay active the whole time: only the maximum age can end this session.
  let active = true;
  const wiggle = (async () => {
    for (let i = 0; active; i++) {
      await page.mouse.move(100 + (i % 7) * 30, 300 + (i % 5) * 20).catch(() => {});
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  try {
    await waitForToast(page, 15000);
    const toast = page.locator('.tether-toast');
    assert.match(await toast.textContent(), /Your session ends soon/);
    assert.match(await toast.textContent(), /cannot be extended/);
    assert.match(await toast.textContent(), /draft is kept/);
    assert.equal(await page.getByRole('button', { name: 'Stay signed in' }).count(), 0, 'nothing offers to extend it');
    await shot(page, 'warning-absolute');
    await assertAxeClean(page, 'app with the maximum-age warning');
    await waitForModal(page, 30000);
  } finally {
    active = false;
    await wiggle;
  }
  const text = await page.textContent('dialog.tether-modal[open]');
  assert.match(text, /Your session has ended/);
  assert.match(text, /Text — “Notes written near the end/);
  await page.locator('dialog[open]').getByRole('button', { name: 'Sign in again' }).click();
  await onSigninWithBanner(page, 'max-age');
  await clean(context, page);
  await context.close();
});
