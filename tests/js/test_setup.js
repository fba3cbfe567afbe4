import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setupOutcome } from '../../htdocs/js/setup.js';

test('setup: the first account created, with the migrations named', () => {
  const o = setupOutcome(201, { migrations: ['001_init.sql', '002_x.sql'], user: { email: 'a@example.org' } });
  assert.equal(o.ok, true);
  assert.match(o.text, /001_init\.sql, 002_x\.sql/);
  assert.match(o.text, /a@example\.org/);
  assert.match(o.text, /delete the setup_code line/);
});

test('setup: an upgrade with nothing to apply says so', () => {
  const o = setupOutcome(200, { migrations: [] });
  assert.equal(o.ok, true);
  assert.match(o.text, /already up to date/);
});

test('setup: every refusal has its own words, never a success', () => {
  const seen = new Set();
  for (const s of [0, 400, 403, 404, 409, 500, 503, 502]) {
    const o = setupOutcome(s, null);
    assert.equal(o.ok, false, String(s));
    seen.add(o.text);
  }
  assert.equal(seen.size, 8);
  assert.match(setupOutcome(409, null).text, /already done/);
  assert.match(setupOutcome(503, null).text, /database/);
  assert.equal(setupOutcome(400, { message: 'A valid email address is required.' }).text,
    'A valid email address is required.');
  // A 201 without a user is not a success of the form (it asked for one).
  assert.equal(setupOutcome(201, { migrations: [] }).ok, false);
});
