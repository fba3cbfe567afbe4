// The js suite's own check: node's test runner runs here, on a node the
// harness supports (Debian 12's nodejs is 18). The front end's real tests
// live beside this file as test_*.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';

test('node is version 18 or newer', () => {
	const major = Number(process.versions.node.split('.')[0]);
	assert.ok(major >= 18, `node ${process.versions.node} is older than 18`);
});
