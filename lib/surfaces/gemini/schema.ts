import { isObject, type Json } from '../../http/json-checks';

/** Keywords of Gemini's `Schema` that mean the same in JSON Schema and go over as they are. */
const SAME = ['description', 'enum', 'required', 'format', 'title', 'pattern', 'minItems', 'maxItems', 'minLength', 'maxLength', 'minProperties', 'maxProperties', 'minimum', 'maximum', 'default'] as const;

/**
 * Gemini's OpenAPI-3.0-subset `Schema` (upper-case `type`s, `nullable`) as JSON Schema, which
 * every other provider takes. Lower-case types are accepted too (the API is lenient about them);
 * `nullable` becomes a `type` list with `"null"` (and a null in an `enum`); `propertyOrdering` and `example`, which have no
 * JSON Schema meaning, are left out.
 *
 * @example
 * jsonSchemaFromGemini({ type: 'OBJECT', properties: { q: { type: 'STRING', nullable: true } } })
 * // → { type: 'object', properties: { q: { type: ['string', 'null'] } } }
 */
export function jsonSchemaFromGemini(schema: unknown): Json {
  if (!isObject(schema)) return {};
  const out: Json = {};
  const type = typeof schema.type === 'string' ? schema.type.toLowerCase() : undefined;
  if (type && type !== 'type_unspecified') out.type = schema.nullable === true ? [type, 'null'] : type;
  for (const key of SAME) if (schema[key] !== undefined) out[key] = schema[key];
  // JSON Schema checks `enum` apart from `type`: a nullable enum's null must be one of its values too.
  if (schema.nullable === true && Array.isArray(schema.enum) && !schema.enum.includes(null)) out.enum = [...schema.enum, null];
  if (isObject(schema.properties)) {
    const properties: Json = {};
    for (const [name, sub] of Object.entries(schema.properties)) properties[name] = jsonSchemaFromGemini(sub);
    out.properties = properties;
  }
  if (schema.items !== undefined) out.items = jsonSchemaFromGemini(schema.items);
  if (Array.isArray(schema.anyOf)) {
    out.anyOf = schema.anyOf.map(jsonSchemaFromGemini);
    if (schema.nullable === true) out.anyOf = [...(out.anyOf as Json[]), { type: 'null' }];
  }
  return out;
}
