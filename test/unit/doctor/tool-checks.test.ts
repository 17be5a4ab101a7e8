import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTool, checkToolList } from '../../../main/doctor/tool-checks.js';
import { inputSchemaProblem } from '../../../main/doctor/schema-shape.js';
import { applyHintOverride, hintOverrideFor } from '../../../main/config/annotation-overrides.js';

const good = {
  name: 'files__read',
  description: 'Reads a file.',
  inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
};
const codes = (t: Record<string, unknown>) => checkTool(t).map((f) => f.code);

test('a well-formed tool has no findings', () => {
  assert.deepEqual(checkTool(good), []);
});

test('names: over 64 characters or with other characters are failures', () => {
  assert.deepEqual(codes({ ...good, name: 'x'.repeat(65) }), ['name-too-long']);
  assert.deepEqual(codes({ ...good, name: 'files.read' }), ['name-invalid']);
  assert.deepEqual(codes({ ...good, name: 'x'.repeat(64) }), []);
  assert.equal(checkTool({ ...good, name: 'a b' })[0]!.level, 'failure');
});

test('input schemas must be JSON Schema objects of type object', () => {
  assert.equal(inputSchemaProblem(undefined), 'inputSchema is missing');
  assert.match(inputSchemaProblem({ type: 'string' })!, /must be "object"/);
  assert.match(
    inputSchemaProblem({ type: 'object', properties: { a: { type: 'text' } } })!,
    /'text' is not a JSON Schema type/,
  );
  assert.match(inputSchemaProblem({ type: 'object', properties: [] })!, /properties must be an object/);
  assert.match(inputSchemaProblem({ type: 'object', required: 'a' })!, /required must be a list/);
  assert.match(
    inputSchemaProblem({ type: 'object', properties: { a: { pattern: '(' } } })!,
    /not a valid regular expression/,
  );
  assert.match(inputSchemaProblem({ type: 'object', anyOf: [] })!, /non-empty list/);
  assert.equal(
    inputSchemaProblem({ type: 'object', properties: { a: true, b: { type: ['string', 'null'] } } }),
    null,
  );
  assert.deepEqual(codes({ ...good, inputSchema: { type: 'array' } }), ['schema-invalid']);
});

test('descriptions present and not huge; the three hints set explicitly', () => {
  assert.deepEqual(codes({ ...good, description: '' }), ['description-missing']);
  assert.deepEqual(codes({ ...good, description: 'x'.repeat(3000) }), ['description-huge']);
  const f = checkTool({ ...good, annotations: { readOnlyHint: true } });
  assert.deepEqual(
    f.map((x) => x.code),
    ['hint-missing'],
  );
  assert.match(f[0]!.message, /destructiveHint, openWorldHint are not set/);
  assert.equal(f[0]!.level, 'warning');
  assert.deepEqual(codes({ ...good, annotations: undefined }), ['hint-missing']);
});

test('the list: duplicates, near-duplicates, count and size', () => {
  const list = checkToolList([good, { ...good }, { ...good, name: 'Files-Read' }]);
  assert.deepEqual(
    list.tools.map((t) => t.findings.map((f) => f.code)),
    [[], ['name-duplicate'], ['name-near-duplicate']],
  );
  assert.equal(list.count, 3);
  assert.equal(list.bytes, Buffer.byteLength(JSON.stringify([good, good, { ...good, name: 'Files-Read' }])));
  assert.deepEqual(
    checkToolList([]).list.map((f) => f.code),
    ['list-empty'],
  );
  const many = Array.from({ length: 101 }, (_, i) => ({ ...good, name: `t${i}` }));
  assert.deepEqual(
    checkToolList(many).list.map((f) => f.code),
    ['list-long'],
  );
  const big = [
    {
      ...good,
      description: 'x'.repeat(2000),
      inputSchema: { type: 'object', description: 'y'.repeat(300_000) },
    },
  ];
  assert.ok(checkToolList(big).list.some((f) => f.code === 'list-large'));
});

test('hint overrides: globs then the exact name; only the hint fields change, and they are reported', () => {
  const overrides = {
    'read_*': { readOnlyHint: true, destructiveHint: false },
    read_file: { openWorldHint: false, destructiveHint: true },
  };
  assert.deepEqual(hintOverrideFor(overrides, 'read_file'), {
    readOnlyHint: true,
    destructiveHint: true,
    openWorldHint: false,
  });
  assert.equal(hintOverrideFor(overrides, 'write_file'), undefined);
  const raw = { name: 'read_file', _meta: { x: 1 }, annotations: { title: 'Read', readOnlyHint: false } };
  const { tool, overridden } = applyHintOverride(raw, hintOverrideFor(overrides, 'read_file'));
  assert.deepEqual(tool, {
    name: 'read_file',
    _meta: { x: 1 },
    annotations: { title: 'Read', readOnlyHint: true, destructiveHint: true, openWorldHint: false },
  });
  assert.deepEqual(overridden, ['readOnlyHint', 'destructiveHint', 'openWorldHint']);
  assert.equal(applyHintOverride(raw, undefined).tool, raw, 'no override: the very same object');
  assert.deepEqual(
    raw.annotations,
    { title: 'Read', readOnlyHint: false },
    'the upstream object is not mutated',
  );
});
