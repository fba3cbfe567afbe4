import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deniedAction, signinUrl } from '../../htdocs/js/denied.js';

test('denied: an outage is never sent to sign in', () => {
  for (const h of [0, 502, 503]) assert.equal(deniedAction(h, 401), 'outage', String(h));
  assert.equal(deniedAction(200, 0), 'outage');
  assert.equal(deniedAction(200, 503), 'outage');
});

test('denied: signed out, ended or expired goes to sign in; signed in is refused here', () => {
  assert.equal(deniedAction(200, 401), 'signin');
  // Signed in but refused by the folder's rules: going to sign in would loop.
  assert.equal(deniedAction(200, 200), 'forbidden');
});

test('denied: the sign-in page comes back to this page, path and query', () => {
  assert.equal(signinUrl('/', { pathname: '/protected/a b.php', search: '?x=1&y=2' }),
    '/?next=%2Fprotected%2Fa%20b.php%3Fx%3D1%26y%3D2');
  assert.equal(signinUrl('/index.html?from=gate', { pathname: '/p/', search: '' }),
    '/index.html?from=gate&next=%2Fp%2F');
});
