/**
 * A form from a tool's input schema (JSON Schema, as MCP tools declare it): one field per top-level
 * property. Strings, numbers, integers, booleans and enums get their own inputs; anything else
 * (objects, arrays, unions) is typed as JSON. The raw JSON view is always there for the rest.
 */

export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'json';

export interface Field {
  name: string;
  kind: FieldKind;
  required: boolean;
  title?: string;
  description?: string;
  options?: string[];
  /** The schema's default, as the text the input starts with. */
  initial: string;
}

type Schema = Record<string, unknown>;

function kindOf(p: Schema): FieldKind {
  if (Array.isArray(p.enum) && p.enum.every((v) => typeof v === 'string')) return 'enum';
  const t = Array.isArray(p.type) ? p.type.filter((x) => x !== 'null') : [p.type];
  if (t.length === 1 && ['string', 'number', 'integer', 'boolean'].includes(t[0] as string))
    return t[0] as FieldKind;
  return 'json';
}

/** The fields of a schema's top-level properties, required ones first. */
export function fieldsOf(schema: Schema | undefined): Field[] {
  const props = (schema?.properties ?? {}) as Record<string, Schema>;
  const required = new Set(Array.isArray(schema?.required) ? (schema.required as string[]) : []);
  const fields = Object.entries(props).map(([name, p]): Field => {
    const kind = kindOf(p ?? {});
    const d = p?.default;
    const initial =
      d === undefined
        ? ''
        : kind === 'json'
          ? JSON.stringify(d, null, 2)
          : kind === 'boolean'
            ? String(!!d)
            : String(d);
    const f: Field = { name, kind, required: required.has(name), initial };
    if (typeof p?.title === 'string') f.title = p.title;
    if (typeof p?.description === 'string') f.description = p.description;
    if (kind === 'enum') f.options = p.enum as string[];
    return f;
  });
  return fields.sort((a, b) => Number(b.required) - Number(a.required));
}

/** Starting values of the form. */
export function initialValues(fields: Field[]): Record<string, string> {
  return Object.fromEntries(fields.map((f) => [f.name, f.initial]));
}

/**
 * The arguments object from the form's texts; empty optional fields are left out. Throws an Error
 * naming the field when a value does not fit its type.
 */
export function argumentsOf(
  fields: Field[],
  values: Record<string, string>,
  { partial = false }: { partial?: boolean } = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const text = values[f.name] ?? '';
    if (f.kind === 'boolean') {
      if (text !== '' || f.required) out[f.name] = text === 'true';
      continue;
    }
    if (text.trim() === '') {
      // A draft (switching to the raw JSON) may leave a required field out; a call may not.
      if (f.required && !partial) throw new Error(`${f.name}: required; enter a value.`);
      continue;
    }
    if (f.kind === 'number' || f.kind === 'integer') {
      const n = Number(text);
      if (!Number.isFinite(n) || (f.kind === 'integer' && !Number.isInteger(n)))
        throw new Error(
          `${f.name}: must be ${f.kind === 'integer' ? 'a whole number' : 'a number'} (got '${text}').`,
        );
      out[f.name] = n;
    } else if (f.kind === 'json') {
      try {
        out[f.name] = JSON.parse(text);
      } catch (err) {
        throw new Error(`${f.name}: not valid JSON (${(err as Error).message}).`);
      }
    } else out[f.name] = text;
  }
  return out;
}

/** The form's texts from an arguments object (after editing the raw JSON). */
export function valuesOf(fields: Field[], args: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = args[f.name];
    out[f.name] =
      v === undefined
        ? ''
        : f.kind === 'json'
          ? JSON.stringify(v, null, 2)
          : typeof v === 'string'
            ? v
            : String(v);
  }
  return out;
}
