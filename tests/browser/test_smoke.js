// The browser suite's machinery works: Chromium starts, the server answers,
// and every helper of harness.js does what it says. (What the front end
// does is tested by the other files.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import {
	cfg, launch, newPage, createUser, shot, axe, countRequests, assertNoTokens,
	sessionInfo, sql, tetherctl, sleep, waitFor,
} from './harness.js';

let browser;

before(async () => {
	browser = await launch();
});

after(async () => {
	await browser?.close();
});

test('the home page loads, has a title and a language, and can be photographed', async () => {
	const { context, page } = await newPage(browser);
	try {
		const r = await page.goto('/');
		assert.equal(r.status(), 200);
		assert.ok((await page.title()).trim().length > 0, 'the page has a <title>');
		const lang = await page.getAttribute('html', 'lang');
		assert.ok(lang && lang.trim().length > 0, 'the <html> element has a lang attribute');
		const path = await shot(page, 'smoke-home');
		assert.equal(path, `${cfg.shots}/smoke-home.png`);
		assert.ok(existsSync(path) && statSync(path).size > 1000, `${path} was written`);
	} finally {
		await context.close();
	}
});

test('newPage collects console errors and uncaught exceptions, and applies initScript', async () => {
	const { context, page } = await newPage(browser, {
		initScript: () => {
			window.__initScriptRan = true;
		},
	});
	try {
		await page.goto('/');
		assert.equal(await page.evaluate(() => window.__initScriptRan), true);
		assert.equal(await page.evaluate(() => navigator.language), 'en-US');
		assert.equal(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), 'UTC');
		assert.deepEqual(page.viewportSize(), { width: 1280, height: 800 });
		const before = page.__errors.length;
		await page.evaluate(() => {
			console.error('smoke: a deliberate console error');
			setTimeout(() => {
				throw new Error('smoke: a deliberate uncaught error');
			}, 0);
		});
		await waitFor(() => page.__errors.length >= before + 2, { message: 'both errors collected' });
		assert.ok(page.__errors.some((e) => e.includes('a deliberate console error')));
		assert.ok(page.__errors.some((e) => e.includes('a deliberate uncaught error')));
		// A page opened later in the same context collects its own.
		const second = await context.newPage();
		await second.goto('/');
		await second.evaluate(() => console.error('smoke: second page'));
		await waitFor(() => second.__errors?.some((e) => e.includes('smoke: second page')),
			{ message: 'the second page collects errors' });
	} finally {
		await context.close();
	}
});

test('createUser registers a user (201) that tetherctl and the database see', async () => {
	const user = await createUser({ displayName: 'Smoke Tester' });
	assert.match(user.email, /^u\d+.*@example\.com$/);
	assert.equal(user.password, 'correct-horse-42');
	assert.equal(user.displayName, 'Smoke Tester');
	assert.ok(user.id, 'the user has an id');
	const other = await createUser();
	assert.notEqual(other.email, user.email, 'each call gets its own email');
	assert.equal(other.displayName, 'Test User');

	assert.equal(await sql('select 1'), '1');
	assert.equal(await sql('select display_name from users where email = $1', [user.email]), 'Smoke Tester');
	const list = await tetherctl(['user', 'list']);
	assert.ok(list.includes(user.email), `tetherctl user list shows ${user.email}`);
});

test('sessionInfo of a fresh context is 401 TOKEN_MISSING', async () => {
	const { context } = await newPage(browser);
	try {
		const { status, body } = await sessionInfo(context);
		assert.equal(status, 401);
		assert.equal(body.reason, 'TOKEN_MISSING');
	} finally {
		await context.close();
	}
});

test('countRequests counts the page\'s own requests by method and path', async () => {
	const { context, page } = await newPage(browser);
	try {
		await page.goto('/');
		// (The page may make requests of its own: this one is marked.)
		const health = countRequests(context, 'GET', '/api/auth/health');
		const posts = countRequests(context, 'POST', '/api/auth/health');
		const status = await page.evaluate(async () => (await fetch('/api/auth/health?smoke=1')).status);
		assert.equal(status, 200);
		await waitFor(() => health.urls.includes(cfg.api('/health?smoke=1')), { message: 'the fetch was counted' });
		assert.ok(health.count >= 1);
		assert.ok(!posts.urls.includes(cfg.api('/health?smoke=1')), 'another method is not counted');
		health.stop();
		const counted = health.count;
		await page.evaluate(() => fetch('/api/auth/health?smoke=2'));
		await sleep(200);
		assert.equal(health.count, counted, 'nothing is counted after stop()');
		posts.stop();
		// Chromium logs an HTTP error status as a console error ("Failed
		// to load resource: ... 401"): kept apart from the page's own.
		await page.evaluate(() => fetch('/api/auth/session-info?smoke=3'));
		await waitFor(() => page.__networkErrors.some((e) => e.includes('status of 401')),
			{ message: 'the 401 is in page.__networkErrors' });
		assert.ok(!page.__errors.some((e) => e.includes('status of 401')), 'and not in page.__errors');
	} finally {
		await context.close();
	}
});

test('assertNoTokens passes on a fresh page and catches a token in storage', async () => {
	const { context, page } = await newPage(browser);
	try {
		await page.goto('/');
		await assertNoTokens(context, page);
		await page.evaluate(() => localStorage.setItem('x', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'));
		await assert.rejects(assertNoTokens(context, page), /localStorage\["x"\] contains a JWT-shaped string/);
		await page.evaluate(() => localStorage.clear());
		await assertNoTokens(context, page);
	} finally {
		await context.close();
	}
});

test('axe runs in the page and returns a list of violations', async () => {
	const { context, page } = await newPage(browser);
	try {
		await page.goto('/');
		const violations = await axe(page, 'smoke home');
		assert.ok(Array.isArray(violations));
		for (const v of violations) assert.ok(['serious', 'critical'].includes(v.impact));
		assert.equal(await page.evaluate(() => typeof window.axe.run), 'function');
		// Loading axe trips no Content-Security-Policy (and so no console error).
		assert.deepEqual(page.__errors.filter((e) => /Content Security Policy/i.test(e)), []);
	} finally {
		await context.close();
	}
});

test('the configuration reached the tests', () => {
	assert.match(cfg.url, /^http:\/\/127\.0\.0\.1:\d+$/);
	assert.equal(cfg.mount, '/api/auth');
	assert.equal(cfg.api('/login'), `${cfg.url}/api/auth/login`);
	assert.ok(cfg.accessS > 0 && cfg.idleS > cfg.warningS && cfg.graceS > 0);
});
