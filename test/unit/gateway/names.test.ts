import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createNameFilter,
  disambiguate,
  EXPOSED_NAME_RE,
  joinName,
  toValidName,
} from '../../../main/gateway/router/names.js';
import { uriTemplateToRegExp } from '../../../main/gateway/router/uri-template.js';

test('joinName uses prefix__name, and no separator for an empty prefix', () => {
  assert.equal(joinName('fs', 'read_file'), 'fs__read_file');
  assert.equal(joinName('', 'read_file'), 'read_file');
});

test('toValidName keeps valid names and repairs invalid ones deterministically', () => {
  assert.equal(toValidName('fs__read_file'), 'fs__read_file');
  const dotted = toValidName('gh__repo.search');
  assert.match(dotted, EXPOSED_NAME_RE);
  assert.match(dotted, /^gh__repo_search_[0-9a-f]{8}$/);
  assert.equal(toValidName('gh__repo.search'), dotted, 'same input, same output');
  const long = toValidName(`srv__${'x'.repeat(100)}`);
  assert.equal(long.length, 64);
  assert.match(long, EXPOSED_NAME_RE);
  assert.notEqual(toValidName(`srv__${'x'.repeat(100)}a`), long, 'different long names stay different');
  assert.match(toValidName(''), EXPOSED_NAME_RE);
});

test('disambiguate gives a stable, valid, server-specific alternative', () => {
  const a = disambiguate('b', 'echo');
  assert.match(a, /^echo_[0-9a-f]{8}$/);
  assert.equal(disambiguate('b', 'echo'), a);
  assert.notEqual(disambiguate('c', 'echo'), a);
  assert.equal(disambiguate('b', 'y'.repeat(64)).length, 64);
});

test('name filter: allow globs, deny wins', () => {
  const f = createNameFilter(['read_*', 'list'], ['read_secret*']);
  assert.equal(f('read_file'), true);
  assert.equal(f('list'), true);
  assert.equal(f('write_file'), false);
  assert.equal(f('read_secret_key'), false);
  const all = createNameFilter(undefined, ['rm']);
  assert.equal(all('anything'), true);
  assert.equal(all('rm'), false);
  assert.equal(createNameFilter(undefined, undefined)('x.y'), true, 'dots are literal, not regex');
  assert.equal(createNameFilter(['a.b'], undefined)('axb'), false);
});

test('uri templates match what they expand to', () => {
  assert.ok(uriTemplateToRegExp('ui://widget/{name}').test('ui://widget/clock.html'));
  assert.ok(!uriTemplateToRegExp('ui://widget/{name}').test('ui://other/clock.html'));
  assert.ok(!uriTemplateToRegExp('file:///{name}').test('file:///a/b'), 'simple expansion stops at /');
  assert.ok(uriTemplateToRegExp('file:///{+path}').test('file:///a/b/c.txt'));
  assert.ok(uriTemplateToRegExp('demo://resource/{id}{?q}').test('demo://resource/7?q=1'));
  assert.ok(uriTemplateToRegExp('demo://r.{id}').test('demo://r.1'));
  assert.ok(!uriTemplateToRegExp('demo://r.{id}').test('demo://rx1'), 'literal dot is escaped');
});
