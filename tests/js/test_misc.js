import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeLeft, describeOffset, isShortcut } from '../../htdocs/js/debug.js';
import { ago, describeUserAgent, safeNext } from '../../htdocs/js/devices.js';
import { clearAllDrafts, draftKey, preservable, summarize } from '../../htdocs/js/drafts.js';
import { statusLevel, statusLine, tokenStatus } from '../../htdocs/js/monitor.js';
import { MemoryStorage } from './helpers.js';

const O = 'https://site.example';

test('after sign-in, only same-origin paths: never another origin', () => {
  assert.equal(safeNext('/app.html?x=1#y', O), '/app.html?x=1#y');
  assert.equal(safeNext('/members/index.php', O), '/members/index.php');
  for (const bad of ['//evil.example/', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', 'app.html', '', null])
    assert.equal(safeNext(bad, O), 'app.html', String(bad));
});

test('drafts never keep a password, hidden or file field', () => {
  assert.equal(preservable({ tagName: 'INPUT', type: 'password', name: 'p' }), false);
  assert.equal(preservable({ tagName: 'INPUT', type: 'hidden', name: 'h' }), false);
  assert.equal(preservable({ tagName: 'INPUT', type: 'file', name: 'f' }), false);
  assert.equal(preservable({ tagName: 'INPUT', type: 'text', name: 't' }), true);
  assert.equal(preservable({ tagName: 'TEXTAREA', name: 'b' }), true);
  assert.equal(preservable({ tagName: 'INPUT', type: 'text', name: '' }), false);
});

test('drafts are keyed per user and page, and listed in words', () => {
  assert.equal(draftKey(7, '/app.html'), 'tether.drafts.7./app.html');
  const list = summarize({ fields: { title: 'Quarterly report', body: 'x'.repeat(1204), empty: '  ' } }, { title: 'Title', body: 'Text' });
  assert.deepEqual(list, [
    { label: 'Title', detail: '“Quarterly report”' },
    { label: 'Text', detail: '1,204 characters' },
  ]);
});

test('discarding drafts removes only that user\'s', () => {
  const s = new MemoryStorage();
  s.setItem('tether.drafts.7./a', '{}');
  s.setItem('tether.drafts.7./b', '{}');
  s.setItem('tether.drafts.8./a', '{}');
  clearAllDrafts(7, s);
  assert.deepEqual([...s.m.keys()], ['tether.drafts.8./a']);
});

test('the session list names browsers and devices', () => {
  assert.deepEqual(
    describeUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'),
    { browser: 'Chrome 156', device: 'Linux computer' },
  );
  assert.deepEqual(
    describeUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1'),
    { browser: 'Safari 17', device: 'iPhone' },
  );
  assert.deepEqual(describeUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0'), {
    browser: 'Firefox 128',
    device: 'Windows computer',
  });
  assert.deepEqual(describeUserAgent(null), { browser: 'Unknown browser', device: 'Unknown device' });
  assert.equal(ago(5), 'just now');
  assert.equal(ago(120), '2 minutes ago');
  assert.equal(ago(7200), '2 hours ago');
});

test('the monitor reads time left from the deadlines, and colours by what ends first', () => {
  const st = tokenStatus(
    { sessionId: 's', accessExpiresAt: 1010, refreshExpiresAt: 5000, idleTimeoutS: 30, idleExpiresAt: 1025, absoluteExpiresAt: 9000 },
    1000 * 1000,
    1234,
  );
  assert.equal(st.accessS, 10);
  assert.equal(st.idleS, 25);
  assert.equal(st.clockOffsetMs, 1234);
  assert.equal(statusLevel(st, 20), 'critical');
  assert.equal(statusLevel({ ...st, idleS: 100 }, 120), 'soon');
  assert.equal(statusLevel({ ...st, idleS: 1000, refreshS: 4000, absoluteS: 8000 }, 300), 'ok');
  const [fmt, css] = statusLine(st, 'critical');
  assert.match(fmt, /^%c\[tether\] access 0:10 · refresh .* idle 0:25/);
  assert.match(css, /color: #b3261e/);
  assert.equal(tokenStatus(null, 0).signedIn, false);
});

test('the debug panel opens with Ctrl+Shift+D only', () => {
  assert.equal(isShortcut({ ctrlKey: true, shiftKey: true, key: 'D' }), true);
  assert.equal(isShortcut({ ctrlKey: true, shiftKey: false, key: 'd' }), false);
  assert.equal(isShortcut({ ctrlKey: true, shiftKey: true, altKey: true, key: 'D' }), false);
  assert.equal(describeLeft(65), 'in 1:05');
  assert.equal(describeLeft(-3), 'expired 0:03 ago');
  assert.equal(describeLeft(null), 'none');
  assert.match(describeOffset(600000), /10 minutes slow/);
  assert.match(describeOffset(-600000), /10 minutes fast/);
  assert.match(describeOffset(200), /in step/);
});

test('drafts: saving fields nobody typed in never erases a kept draft; typing saves, clearing the fields forgets', async () => {
  const { createDrafts } = await import('../../htdocs/js/drafts.js');
  const s = new MemoryStorage();
  s.setItem('tether.drafts.7./app.html', JSON.stringify({ savedAt: 1, fields: { title: 'kept' } }));
  const field = { tagName: 'INPUT', type: 'text', name: 'title', value: '', labels: [{ textContent: 'Title' }], matches: () => true, getAttribute: () => null };
  const listeners = {};
  const root = { querySelectorAll: () => [field], addEventListener: (t, f) => (listeners[t] = f), removeEventListener: () => {} };
  const d = createDrafts({ userId: 7, page: '/app.html', root, storage: s, debounceMs: 0 });
  d.saveNow();
  assert.deepEqual(d.list(), [{ label: 'Title', detail: '“kept”' }], 'an untouched page keeps the draft');
  assert.equal(d.restore(), 1);
  assert.equal(field.value, 'kept');
  d.attach();
  field.value = 'typed';
  listeners.input({ target: field });
  d.saveNow();
  assert.equal(JSON.parse(s.getItem('tether.drafts.7./app.html')).fields.title, 'typed');
  field.value = '';
  listeners.input({ target: field });
  d.saveNow();
  assert.equal(s.getItem('tether.drafts.7./app.html'), null);
  d.detach();
});
