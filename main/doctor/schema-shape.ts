/**
 * A structural check of a tool's `inputSchema`: what a client that compiles the schema (ChatGPT
 * does, to build its call form and validate arguments) would trip over. Not a full meta-schema
 * validation: it follows the keywords that shape arguments (JSON Schema 2020-12 core and validation
 * vocabularies, the MCP default dialect since 2025-11-25).
 */

const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);
/** Keywords whose value is a map of subschemas. */
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
/** Keywords whose value is one subschema. */
const SCHEMA_ONE = [
  'items',
  'additionalProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
];
/** Keywords whose value is a non-empty list of subschemas. */
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const MAX_DEPTH = 32;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first problem found in a (sub)schema at `path`, or null. Booleans are valid schemas. */
function subschemaProblem(schema: unknown, path: string, depth: number): string | null {
  if (typeof schema === 'boolean') return null;
  if (!isObject(schema)) return `${path} is not a schema (an object or a boolean)`;
  if (depth > MAX_DEPTH) return `${path} nests deeper than ${MAX_DEPTH} levels`;
  const type = schema['type'];
  if (type !== undefined) {
    const list = Array.isArray(type) ? type : [type];
    if (list.length === 0) return `${path}.type is an empty list`;
    const bad = list.find((t) => typeof t !== 'string' || !TYPES.has(t));
    if (bad !== undefined) return `${path}.type '${String(bad)}' is not a JSON Schema type`;
  }
  const required = schema['required'];
  if (required !== undefined && (!Array.isArray(required) || required.some((r) => typeof r !== 'string')))
    return `${path}.required must be a list of property names`;
  const enumValues = schema['enum'];
  if (enumValues !== undefined && !Array.isArray(enumValues)) return `${path}.enum must be a list`;
  for (const key of ['$ref', 'pattern', 'format'] as const) {
    if (schema[key] !== undefined && typeof schema[key] !== 'string')
      return `${path}.${key} must be a string`;
  }
  if (typeof schema['pattern'] === 'string') {
    try {
      new RegExp(schema['pattern'], 'u');
    } catch {
      return `${path}.pattern is not a valid regular expression`;
    }
  }
  for (const key of SCHEMA_MAPS) {
    const map = schema[key];
    if (map === undefined) continue;
    if (!isObject(map)) return `${path}.${key} must be an object of schemas`;
    for (const [name, sub] of Object.entries(map)) {
      const p = subschemaProblem(sub, `${path}.${key}.${name}`, depth + 1);
      if (p) return p;
    }
  }
  for (const key of SCHEMA_ONE) {
    if (schema[key] === undefined) continue;
    const p = subschemaProblem(schema[key], `${path}.${key}`, depth + 1);
    if (p) return p;
  }
  for (const key of SCHEMA_LISTS) {
    const list = schema[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0)
      return `${path}.${key} must be a non-empty list of schemas`;
    for (const [i, sub] of list.entries()) {
      const p = subschemaProblem(sub, `${path}.${key}[${i}]`, depth + 1);
      if (p) return p;
    }
  }
  return null;
}

/**
 * Why an `inputSchema` is unusable as MCP requires it (a JSON Schema object whose `type` is
 * "object", MCP 2025-11-25 tools), or null when it is fine.
 */
export function inputSchemaProblem(schema: unknown): string | null {
  if (schema === undefined) return 'inputSchema is missing';
  if (!isObject(schema)) return 'inputSchema is not a JSON object';
  if (schema['type'] !== 'object')
    return `inputSchema.type must be "object" (got ${JSON.stringify(schema['type'])})`;
  return subschemaProblem(schema, 'inputSchema', 0);
}
