import { GatewayError } from '../../http/errors';
import type { GeminiSchema } from './types';

type Json = Record<string, unknown>;

const TYPES: Record<string, GeminiSchema['type']> = {
  string: 'STRING',
  number: 'NUMBER',
  integer: 'INTEGER',
  boolean: 'BOOLEAN',
  array: 'ARRAY',
  object: 'OBJECT',
};

/** The formats Gemini accepts per type; any other one is rejected with a 400, so it is left out. */
const FORMATS: Partial<Record<NonNullable<GeminiSchema['type']>, readonly string[]>> = {
  STRING: ['enum', 'date-time'],
  NUMBER: ['float', 'double'],
  INTEGER: ['int32', 'int64'],
};

const NUMERIC_KEYS = ['minItems', 'maxItems', 'minLength', 'maxLength', 'minProperties', 'maxProperties', 'minimum', 'maximum'] as const;

interface Walk {
  root: Json;
  /** `$ref`s being expanded on the current path: seeing one again means the schema is recursive. */
  expanding: string[];
  param: string;
}

/**
 * A JSON Schema (as clients write them for OpenAI or Anthropic) as Gemini's schema subset.
 *
 * Gemini's `Schema` is a slice of OpenAPI 3.0: unknown keywords (`additionalProperties`,
 * `$schema`, `$id`, `strict`, `title`, `default`, `examples`, …) are 400s there, so only the
 * keywords it knows are kept. `$ref`s into the document are inlined (Gemini has no references;
 * a recursive one cannot be inlined and is refused), `type: [x, "null"]` and `anyOf` with a null
 * branch become `nullable`, `oneOf` becomes `anyOf`, `allOf` is merged, `const` becomes a
 * one-value enum, non-string enums (Gemini takes strings only) move into the description,
 * `properties`/`required` stay on objects only, and `required` keeps only names it defines.
 *
 * @example
 * toGeminiSchema({ type: 'object', properties: { q: { type: ['string', 'null'] } }, additionalProperties: false }, 'tools[0].parameters')
 * // → { type: 'OBJECT', properties: { q: { type: 'STRING', nullable: true } } }
 */
export function toGeminiSchema(schema: Json, param: string): GeminiSchema {
  return convert(schema, { root: schema, expanding: [], param });
}

/**
 * Function parameters for Gemini: the converted schema, or none when the function takes no
 * arguments (an empty schema or an object without properties), because Gemini rejects an
 * OBJECT whose `properties` is empty.
 */
export function toGeminiParameters(schema: Json, param: string): GeminiSchema | undefined {
  const converted = toGeminiSchema(schema, param);
  const takesNothing = (converted.type === 'OBJECT' || converted.type === undefined) && !converted.anyOf && Object.keys(converted.properties ?? {}).length === 0;
  return takesNothing ? undefined : converted;
}

function convert(node: unknown, walk: Walk): GeminiSchema {
  if (!isObject(node)) return {}; // `true` or garbage: any value.
  if (typeof node.$ref === 'string') return convert(expandRef(node, walk), { ...walk, expanding: [...walk.expanding, node.$ref] });
  if (Array.isArray(node.allOf)) {
    const refs = node.allOf.flatMap((part) => (isObject(part) && typeof part.$ref === 'string' ? [part.$ref] : []));
    const parts = node.allOf.map((part) => (isObject(part) && typeof part.$ref === 'string' ? expandRef(part, walk) : part));
    return convert(mergeAllOf({ ...node, allOf: parts }), { ...walk, expanding: [...walk.expanding, ...refs] });
  }

  const union = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
  if (union) return convertUnion(node, union, walk);

  const declared = Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type];
  const nonNull = declared.filter((t) => t !== 'null');
  const nullable = declared.includes('null') || node.nullable === true;
  if (nonNull.length > 1) {
    const rest = { ...node };
    delete rest.type;
    delete rest.description;
    const anyOf = nonNull.map((t) => convert({ ...rest, type: t }, walk));
    return withCommon({ anyOf }, node, nullable);
  }
  return convertSingle(node, nonNull[0], nullable, walk);
}

function convertSingle(node: Json, jsonType: unknown, nullable: boolean, walk: Walk): GeminiSchema {
  const out: GeminiSchema = {};
  let description = typeof node.description === 'string' ? node.description : undefined;
  let type = typeof jsonType === 'string' ? TYPES[jsonType] : undefined;
  if (!type && isObject(node.properties)) type = 'OBJECT';
  if (!type && node.items !== undefined) type = 'ARRAY';

  let values = node.const !== undefined ? [node.const] : Array.isArray(node.enum) ? node.enum : undefined;
  if (values?.includes(null)) {
    nullable = true;
    values = values.filter((v) => v !== null);
  }
  if (values && values.length > 0) {
    if (values.every((v) => typeof v === 'string') && (type === undefined || type === 'STRING')) {
      type = 'STRING';
      out.enum = values;
    } else {
      const allowed = `Allowed values: ${values.map((v) => JSON.stringify(v)).join(', ')}.`;
      description = description ? `${description} ${allowed}` : allowed;
    }
  }

  if (type) out.type = type;
  if (typeof node.format === 'string' && type && FORMATS[type]?.includes(node.format)) out.format = node.format;
  if (type === 'OBJECT' && isObject(node.properties)) {
    const properties: Record<string, GeminiSchema> = {};
    for (const [name, sub] of Object.entries(node.properties)) properties[name] = convert(sub, walk);
    out.properties = properties;
    const required = Array.isArray(node.required) ? node.required.filter((r): r is string => typeof r === 'string' && r in properties) : [];
    if (required.length > 0) out.required = required;
  }
  if (type === 'ARRAY' && node.items !== undefined) {
    // Draft-4 tuples (`items: [a, b]`) have no Gemini form; any of the listed schemas is the closest.
    out.items = Array.isArray(node.items) ? { anyOf: node.items.map((i) => convert(i, walk)) } : convert(node.items, walk);
  }
  if (type === 'STRING' && typeof node.pattern === 'string') out.pattern = node.pattern;
  for (const key of NUMERIC_KEYS) if (typeof node[key] === 'number') out[key] = node[key];
  return withCommon(out, { ...node, description }, nullable);
}

/** `anyOf`/`oneOf`: a null branch becomes `nullable`; a single remaining branch is inlined. */
function convertUnion(node: Json, branches: unknown[], walk: Walk): GeminiSchema {
  const isNull = (b: unknown): boolean => isObject(b) && b.type === 'null' && Object.keys(b).length === 1;
  const nullable = branches.some(isNull) || node.nullable === true;
  const rest = branches.filter((b) => !isNull(b));
  const outer = { ...node };
  delete outer.anyOf;
  delete outer.oneOf;
  if (rest.length === 1) {
    // Keep the outer description (it usually describes the field) over the branch's.
    const branch = convert(rest[0], walk);
    return withCommon(branch, typeof node.description === 'string' ? node : { description: branch.description }, nullable || branch.nullable === true);
  }
  return withCommon({ anyOf: rest.map((b) => convert(b, walk)) }, outer, nullable);
}

function withCommon(out: GeminiSchema, node: Json, nullable: boolean): GeminiSchema {
  if (typeof node.description === 'string' && node.description !== '') out.description = node.description;
  else delete out.description;
  if (nullable) out.nullable = true;
  else delete out.nullable;
  return out;
}

function expandRef(node: Json, walk: Walk): Json {
  const ref = node.$ref as string;
  if (walk.expanding.includes(ref)) {
    throw new GatewayError('invalid_request', `The schema in ${walk.param} refers to itself ($ref "${ref}"); recursive schemas are not supported by provider type gemini.`, {
      param: walk.param,
      code: 'unsupported_schema',
    });
  }
  const target = ref.startsWith('#') ? resolvePointer(walk.root, ref.slice(1)) : undefined;
  if (!isObject(target)) {
    throw new GatewayError('invalid_request', `The schema in ${walk.param} has a $ref "${ref}" that does not point into the schema's own definitions.`, {
      param: walk.param,
      code: 'invalid_schema',
    });
  }
  // Keywords next to a $ref (a description, usually) describe this use of it and win.
  const siblings = { ...node };
  delete siblings.$ref;
  return { ...target, ...siblings };
}

/** RFC 6901 JSON pointer (`/$defs/Name`), including `~0`/`~1` escapes and %-encoding. */
function resolvePointer(root: Json, pointer: string): unknown {
  if (pointer === '') return root;
  let at: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(at) && !Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** `allOf` as one schema: properties and `required` united, other keywords first-wins. */
function mergeAllOf(node: Json): Json {
  const merged: Json = { ...node };
  delete merged.allOf;
  const properties: Json = isObject(node.properties) ? { ...node.properties } : {};
  const required = new Set<unknown>(Array.isArray(node.required) ? node.required : []);
  for (const part of node.allOf as unknown[]) {
    if (!isObject(part)) continue;
    for (const [key, value] of Object.entries(part)) {
      if (key === 'properties' && isObject(value)) Object.assign(properties, value);
      else if (key === 'required' && Array.isArray(value)) value.forEach((r) => required.add(r));
      else if (!(key in merged)) merged[key] = value;
    }
  }
  if (Object.keys(properties).length > 0) merged.properties = properties;
  if (required.size > 0) merged.required = [...required];
  return merged;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
