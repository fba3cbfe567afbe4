// tests/browser/harness.js: what the browser tests (tests/browser/test_*.js,
// node:test files) share. scripts/test starts lighttpd + tether.fcgi with
// short timeouts and its own database, then runs each file with
//   node --test --test-concurrency=1 --test-reporter=tap FILE
// and these variables (all required, see cfg below):
//   TETHER_BROWSER_URL            http://127.0.0.1:PORT (htdocs/ and the API)
//   TETHER_BROWSER_MOUNT          /api/auth
//   TETHER_BROWSER_DATABASE_URL   libpq conninfo of the test database
//   TETHER_BROWSER_TETHERCTL      build/tetherctl
//   TETHER_BROWSER_SIGNING_KEY    the workers' signing key (for tetherctl)
//   TETHER_BROWSER_ACCESS_S, _IDLE_S, _WARNING_S, _GRACE_S
//                                 the workers' access token lifetime, idle
//                                 timeout, warning window, reuse grace (s)
//   TETHER_BROWSER_SHOTS          where screenshots go
//   TETHER_BROWSER_PSQL           (optional) the psql to use; default psql
//
// Chromium is Debian's (/usr/bin/chromium), driven by playwright-core:
// playwright's own browser downloads are not used.

import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const env = process.env;

function required(name) {
	const v = env[name];
	if (v === undefined || v === '') {
		throw new Error(`${name} is not set: the browser tests run inside scripts/test ` +
			'(TETHER_TEST_SUITES=browser ./scripts/test), which starts the server they need');
	}
	return v;
}

function seconds(name) {
	const v = Number(required(name));
	if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} is not a number of seconds: ${env[name]}`);
	return v;
}

export const cfg = {
	url: required('TETHER_BROWSER_URL').replace(/\/+$/, ''),
	mount: (env.TETHER_BROWSER_MOUNT || '/api/auth').replace(/\/+$/, ''),
	accessS: seconds('TETHER_BROWSER_ACCESS_S'),
	idleS: seconds('TETHER_BROWSER_IDLE_S'),
	warningS: seconds('TETHER_BROWSER_WARNING_S'),
	graceS: seconds('TETHER_BROWSER_GRACE_S'),
	shots: required('TETHER_BROWSER_SHOTS'),
	databaseUrl: required('TETHER_BROWSER_DATABASE_URL'),
	tetherctl: required('TETHER_BROWSER_TETHERCTL'),
	// cfg.api('/login') -> http://127.0.0.1:PORT/api/auth/login
	api(path) {
		return cfg.url + cfg.mount + path;
	},
};

// ------------------------------------------------------------------ browser

// The flags keep Chromium off the network (this machine has none: without
// them it keeps trying Google's hosts) and make it run as root (no sandbox).
const CHROMIUM_ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

// One browser per test file: launch() in before(), browser.close() in after().
export async function launch() {
	return chromium.launch({
		executablePath: '/usr/bin/chromium',
		headless: true,
		args: CHROMIUM_ARGS,
	});
}

// Chromium's own console line for an HTTP error status ("Failed to load
// resource: the server responded with a status of 401 (Unauthorized)") or
// a failed connection ("net::ERR_..."): a 401 is the API working and a
// network fault is what some tests cause on purpose, not the page failing,
// so these go to page.__networkErrors, not page.__errors.
const NETWORK_STATUS_LINE = /^Failed to load resource: (the server responded with a status of \d+|net::ERR_)/;

function watchErrors(page) {
	if (page.__errors) return;
	page.__errors = [];
	page.__networkErrors = [];
	page.on('console', (msg) => {
		if (msg.type() !== 'error') return;
		const text = msg.text();
		const loc = msg.location();
		const where = loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : '';
		if (NETWORK_STATUS_LINE.test(text)) page.__networkErrors.push(text + where);
		else page.__errors.push(`console.error: ${text}${where}`);
	});
	page.on('pageerror', (err) => {
		page.__errors.push(`pageerror: ${err && err.stack ? err.stack : String(err)}`);
	});
}

// A fresh context (its own cookies and storage) and a page in it. opts go
// to browser.newContext(), except initScript (a string or a function),
// which runs in every page of the context before the page's own scripts.
// Every page of the context collects its console errors and uncaught
// exceptions in page.__errors (strings), so a test can assert none;
// Chromium's lines for HTTP error statuses go to page.__networkErrors.
export async function newPage(browser, opts = {}) {
	const { initScript, ...contextOpts } = opts;
	const context = await browser.newContext({
		baseURL: cfg.url,
		locale: 'en-US',
		timezoneId: 'UTC',
		viewport: { width: 1280, height: 800 },
		...contextOpts,
	});
	if (initScript !== undefined) await context.addInitScript(initScript);
	context.on('page', watchErrors);
	const page = await context.newPage();
	watchErrors(page);
	return { context, page };
}

// Signs in through the sign-in page (index.html) and waits for app.html.
export async function signIn(page, user, { remember = false } = {}) {
	await page.goto('/');
	await page.fill('#email', user.email);
	await page.fill('#password', user.password);
	if (remember) await page.check('#remember');
	await Promise.all([
		page.waitForURL((u) => u.pathname.endsWith('/app.html')),
		page.click('button[type=submit]'),
	]);
}

// A full-page screenshot, kept in cfg.shots/NAME.png (it survives the run);
// { fullPage: false }: only the viewport, as a person sees it (a fixed
// backdrop covers the viewport, not the whole page of a full-page shot).
export async function shot(page, name, { fullPage = true } = {}) {
	await mkdir(cfg.shots, { recursive: true });
	const path = join(cfg.shots, `${name}.png`);
	await page.screenshot({ path, fullPage });
	return path;
}

// ------------------------------------------------------------ accessibility

const AXE_PATH = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

let axeSource;

// axe-core goes in through the DevTools protocol (Runtime.evaluate), not
// page.addScriptTag: the pages' Content-Security-Policy (script-src 'self')
// refuses an injected inline <script>, and Chromium logs that refusal as a
// console error, which would land in page.__errors. The protocol's evaluate
// is not subject to the page's CSP and leaves no trace in the console.
async function injectAxe(page) {
	if (await page.evaluate(() => typeof window.axe === 'object')) return;
	if (axeSource === undefined) axeSource = await readFile(AXE_PATH, 'utf8');
	const cdp = await page.context().newCDPSession(page);
	try {
		const r = await cdp.send('Runtime.evaluate', { expression: axeSource });
		if (r.exceptionDetails) {
			const e = r.exceptionDetails;
			throw new Error(`loading ${AXE_PATH} failed: ${e.exception?.description || e.text}`);
		}
	} finally {
		await cdp.detach();
	}
	if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
		throw new Error('axe-core did not load into the page');
	}
}

// Runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on the page; returns its
// violations of impact "serious" or "critical" (axe's own objects: id,
// impact, help, helpUrl, nodes[].target, nodes[].html, ...).
export async function axe(page, label = page.url()) {
	try {
		await injectAxe(page);
	} catch (err) {
		throw new Error(`axe (${label}): ${err.message}`);
	}
	const violations = await page.evaluate(async (values) => {
		const r = await window.axe.run(document, { runOnly: { type: 'tag', values } });
		return r.violations;
	}, AXE_TAGS);
	return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function assertAxeClean(page, label = page.url()) {
	const bad = await axe(page, label);
	if (bad.length === 0) return;
	const lines = bad.map((v) => {
		const targets = v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ');
		const more = v.nodes.length > 3 ? ` (+${v.nodes.length - 3} more)` : '';
		return `- ${v.id} [${v.impact}] ${v.help}: ${targets}${more}`;
	});
	throw new Error(`axe (${label}): ${bad.length} serious or critical violation(s):\n${lines.join('\n')}`);
}

// ----------------------------------------------------------------- requests

// Counts the requests of every page of the context (fetch, XHR, beacons,
// navigations) with this method (or '*': any) whose URL path ends with
// pathEnd. stop() stops counting. Requests of context.request (sessionInfo)
// are not page requests and are not counted.
export function countRequests(context, method, pathEnd) {
	const want = method === '*' || method == null ? null : method.toUpperCase();
	const counter = {
		count: 0,
		urls: [],
		stop() {
			context.off('request', onRequest);
		},
	};
	function onRequest(req) {
		if (want !== null && req.method() !== want) return;
		let path;
		try {
			path = new URL(req.url()).pathname;
		} catch {
			return;
		}
		if (!path.endsWith(pathEnd)) return;
		counter.count++;
		counter.urls.push(req.url());
	}
	context.on('request', onRequest);
	return counter;
}

// --------------------------------------------------------------- the tokens

const JWT_SHAPE = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
// Plain names on http (cookie_secure = false, as here); __Host- and
// __Secure- names when the cookies are Secure.
const TOKEN_COOKIES = ['tether_access', 'tether_refresh', '__Host-tether_access', '__Secure-tether_refresh'];

/** Whether a cookie name is tether's `base` cookie ('tether_access'), under either name. */
export function isTetherCookie(name, base) {
  return name === base || name === '__Host-' + base || name === '__Secure-' + base;
}

// Throws when a token is anywhere a script could read it: the values of
// the httpOnly cookies tether_access and tether_refresh, or anything shaped
// like a JWT, in localStorage, sessionStorage, the names of IndexedDB
// databases, document.cookie or the page's HTML, of every page of the
// context; or when document.cookie shows either cookie at all.
export async function assertNoTokens(context, page) {
	const secrets = (await context.cookies())
		.filter((c) => TOKEN_COOKIES.includes(c.name) && c.value)
		.map((c) => ({ name: c.name, value: c.value }));
	const pages = new Set(context.pages());
	if (page) pages.add(page);
	const problems = [];
	for (const p of pages) {
		const seen = await p.evaluate(async () => {
			const out = [];
			const add = (where, text) => out.push({ where, text: String(text) });
			for (const [label, get] of [
				['localStorage', () => window.localStorage],
				['sessionStorage', () => window.sessionStorage],
			]) {
				let store;
				try {
					store = get();
				} catch {
					continue; // an opaque origin (about:blank) has no storage
				}
				for (let i = 0; i < store.length; i++) {
					const k = store.key(i);
					add(`${label} key`, k);
					add(`${label}[${JSON.stringify(k)}]`, store.getItem(k));
				}
			}
			try {
				if (indexedDB.databases) {
					for (const db of await indexedDB.databases()) add('IndexedDB database name', db.name);
				}
			} catch {
				// no IndexedDB on an opaque origin
			}
			add('document.cookie', document.cookie);
			add('the page HTML', document.documentElement ? document.documentElement.outerHTML : '');
			return out;
		});
		const where = p.url();
		for (const { where: w, text } of seen) {
			for (const s of secrets) {
				if (text.includes(s.value)) problems.push(`${where}: ${w} contains the ${s.name} cookie's value`);
			}
			const m = JWT_SHAPE.exec(text);
			if (m) problems.push(`${where}: ${w} contains a JWT-shaped string (${m[0].slice(0, 16)}...)`);
			if (w === 'document.cookie') {
				const names = text.split(';').map((c) => c.split('=')[0].trim());
				for (const n of TOKEN_COOKIES) {
					if (names.includes(n)) problems.push(`${where}: document.cookie shows ${n} (it must be httpOnly)`);
				}
			}
		}
	}
	if (problems.length) throw new Error(`tokens readable by scripts:\n- ${problems.join('\n- ')}`);
}

// GET /session-info with the context's cookies, as a background request
// (X-Activity: background), so it never slides the idle timer.
// -> { status, body } (body parsed as JSON, else the text).
export async function sessionInfo(context) {
	// Connection: close: playwright keeps one keep-alive agent, and a
	// connection lighttpd closed while idle (5 s) would hang up the call.
	const r = await context.request.get(cfg.api('/session-info'), {
		headers: { 'X-Activity': 'background', Connection: 'close' },
	});
	const text = await r.text();
	let body;
	try {
		body = JSON.parse(text);
	} catch {
		body = text;
	}
	return { status: r.status(), body };
}

// ------------------------------------------------------------------ users

let userCounter = 0;

// A new user, registered through POST /register. -> { email, password,
// displayName, id }. Throws unless the answer is 201.
export async function createUser(opts = {}) {
	userCounter++;
	const email = opts.email || `u${Date.now()}${process.pid}n${userCounter}@example.com`;
	const password = opts.password || 'correct-horse-42';
	const displayName = opts.displayName || 'Test User';
	const r = await fetch(cfg.api('/register'), {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ email, password, display_name: displayName }),
	});
	const text = await r.text();
	if (r.status !== 201) throw new Error(`POST /register ${email}: ${r.status} ${text}`);
	const body = JSON.parse(text);
	return { email, password, displayName, id: body.user && body.user.id };
}

// ---------------------------------------------------------- processes

// run(cmd, args, { env, input }) -> stdout; rejects with stderr on a
// non-zero exit.
function run(cmd, args, { env: runEnv = process.env, input } = {}) {
	return new Promise((resolvePromise, reject) => {
		const child = spawn(cmd, args, { env: runEnv, stdio: ['pipe', 'pipe', 'pipe'] });
		let out = '';
		let err = '';
		child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
		child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
		child.on('error', reject);
		child.on('close', (code, signal) => {
			if (code === 0) resolvePromise(out);
			else reject(new Error(`${cmd} ${args.join(' ')}: exit ${code ?? signal}: ${err.trim() || out.trim()}`));
		});
		child.stdin.on('error', () => {}); // the program may not read its input
		child.stdin.end(input === undefined ? '' : input);
	});
}

// $1, $2, ... as SQL literals (standard_conforming_strings: only ' doubles).
function sqlLiteral(v) {
	if (v === null || v === undefined) return 'NULL';
	if (typeof v === 'number' || typeof v === 'bigint') return String(v);
	if (typeof v === 'boolean') return v ? 'true' : 'false';
	if (v instanceof Date) v = v.toISOString();
	return `'${String(v).replace(/'/g, "''")}'`;
}

// Runs one query in the test database with psql -At (unaligned, tuples
// only: "a|b" per row, rows on separate lines) and returns its output
// trimmed. params, when given, replace $1, $2, ... as quoted literals.
// (psql connects over the cluster's Unix socket as the "tether" role; as
// root it gets through the socket directory's 0700 like scripts/lib.sh's
// tether_psql does.)
export async function sql(query, params = []) {
	const text = params.length
		? query.replace(/\$(\d+)/g, (m, n) => {
			if (Number(n) < 1 || Number(n) > params.length) throw new Error(`sql: no parameter ${m}`);
			return sqlLiteral(params[Number(n) - 1]);
		})
		: query;
	const psql = env.TETHER_BROWSER_PSQL || 'psql';
	const out = await run(psql, ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-d', cfg.databaseUrl, '-c', text]);
	return out.trim();
}

// Runs build/tetherctl ARGS against the test database with the workers'
// key and timings (no other TETHER_* variable gets through); input is its
// stdin (e.g. a password). -> stdout.
export async function tetherctl(args, input) {
	const ctlEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TETHER_')));
	Object.assign(ctlEnv, {
		TETHER_DATABASE_URL: cfg.databaseUrl,
		TETHER_SIGNING_KEYS: required('TETHER_BROWSER_SIGNING_KEY'),
		TETHER_SQL_DIR: join(ROOT, 'sql'),
		TETHER_ACCESS_TOKEN_LIFETIME: `${cfg.accessS}s`,
		TETHER_IDLE_TIMEOUT: `${cfg.idleS}s`,
		TETHER_WARNING_WINDOW: `${cfg.warningS}s`,
		TETHER_REFRESH_REUSE_GRACE: `${cfg.graceS}s`,
		// The workers' cost: a user added here signs in as fast as one
		// registered through the API.
		TETHER_SCRYPT_N: '1024',
		TETHER_SCRYPT_R: '8',
		TETHER_SCRYPT_P: '1',
	});
	return run(cfg.tetherctl, args, { env: ctlEnv, input });
}

// ------------------------------------------------------------------- time

export function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

// Polls fn (sync or async) every interval ms until it returns something
// truthy, and returns that; a throw counts as "not yet". Throws after
// timeout ms, with message and fn's last error.
export async function waitFor(fn, { timeout = 10000, interval = 100, message } = {}) {
	const end = Date.now() + timeout;
	let last;
	for (;;) {
		try {
			const v = await fn();
			if (v) return v;
			last = undefined;
		} catch (err) {
			last = err;
		}
		if (Date.now() >= end) {
			const why = message || `condition not met: ${fn.toString().slice(0, 120)}`;
			throw new Error(`waitFor: ${why} (after ${timeout} ms)${last ? `; last error: ${last.message}` : ''}`);
		}
		await sleep(interval);
	}
}
