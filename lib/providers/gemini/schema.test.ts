import { GatewayError } from '../../http/errors';
import { toGeminiParameters, toGeminiSchema } from './schema';

type Case = { name: string; input: Record<string, unknown>; expected: unknown };

const cases: Case[] = [
  {
    name: 'upper-cases the types of a flat object and keeps its required names',
    input: { type: 'object', properties: { q: { type: 'string', description: 'query' }, n: { type: 'integer' } }, required: ['q'] },
    expected: { type: 'OBJECT', properties: { q: { type: 'STRING', description: 'query' }, n: { type: 'INTEGER' } }, required: ['q'] },
  },
  {
    name: 'strips additionalProperties, $schema, $id, strict, title, default and examples',
    input: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: 'urn:x',
      title: 'Args',
      type: 'object',
      strict: true,
      additionalProperties: false,
      properties: { a: { type: 'string', default: 'x', examples: ['y'], title: 'A' } },
    },
    expected: { type: 'OBJECT', properties: { a: { type: 'STRING' } } },
  },
  {
    name: 'turns type [x, "null"] into nullable',
    input: { type: 'object', properties: { a: { type: ['string', 'null'] } } },
    expected: { type: 'OBJECT', properties: { a: { type: 'STRING', nullable: true } } },
  },
  {
    name: 'turns a nullable object type into a nullable OBJECT that keeps its properties',
    input: { type: ['object', 'null'], properties: { x: { type: 'number' } }, required: ['x'] },
    expected: { type: 'OBJECT', nullable: true, properties: { x: { type: 'NUMBER' } }, required: ['x'] },
  },
  {
    name: 'turns several non-null types into anyOf',
    input: { type: ['string', 'number', 'null'], description: 'either' },
    expected: { anyOf: [{ type: 'STRING' }, { type: 'NUMBER' }], description: 'either', nullable: true },
  },
  {
    name: 'folds anyOf with a null branch into the other branch, keeping the outer description',
    input: { anyOf: [{ type: 'string', description: 'inner' }, { type: 'null' }], description: 'outer' },
    expected: { type: 'STRING', description: 'outer', nullable: true },
  },
  {
    name: 'turns oneOf into anyOf',
    input: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
    expected: { anyOf: [{ type: 'STRING' }, { type: 'INTEGER' }] },
  },
  {
    name: 'inlines $defs references, with the description next to the $ref winning',
    input: {
      type: 'object',
      properties: { home: { $ref: '#/$defs/Address', description: 'where they live' }, work: { $ref: '#/$defs/Address' } },
      $defs: { Address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], description: 'an address' } },
    },
    expected: {
      type: 'OBJECT',
      properties: {
        home: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'], description: 'where they live' },
        work: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'], description: 'an address' },
      },
    },
  },
  {
    name: 'inlines draft-7 definitions references and escaped pointer segments',
    input: { type: 'object', properties: { a: { $ref: '#/definitions/a~1b' } }, definitions: { 'a/b': { type: 'boolean' } } },
    expected: { type: 'OBJECT', properties: { a: { type: 'BOOLEAN' } } },
  },
  {
    name: 'merges allOf, references included',
    input: {
      allOf: [{ $ref: '#/$defs/Base' }, { type: 'object', properties: { b: { type: 'string' } }, required: ['b'] }],
      $defs: { Base: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] } },
    },
    expected: { type: 'OBJECT', properties: { a: { type: 'STRING' }, b: { type: 'STRING' } }, required: ['a', 'b'] },
  },
  {
    name: 'keeps string enums and makes the type STRING',
    input: { enum: ['celsius', 'fahrenheit'] },
    expected: { type: 'STRING', enum: ['celsius', 'fahrenheit'] },
  },
  {
    name: 'moves a non-string enum into the description',
    input: { type: 'integer', enum: [1, 2, 3], description: 'Level.' },
    expected: { type: 'INTEGER', description: 'Level. Allowed values: 1, 2, 3.' },
  },
  {
    name: 'turns a null inside an enum into nullable',
    input: { type: ['string', 'null'], enum: ['a', null] },
    expected: { type: 'STRING', enum: ['a'], nullable: true },
  },
  {
    name: 'turns a string const into a one-value enum',
    input: { const: 'fixed' },
    expected: { type: 'STRING', enum: ['fixed'] },
  },
  {
    name: 'keeps the formats Gemini knows and drops the others',
    input: {
      type: 'object',
      properties: { when: { type: 'string', format: 'date-time' }, site: { type: 'string', format: 'uri' }, big: { type: 'integer', format: 'int64' }, f: { type: 'number', format: 'int32' } },
    },
    expected: {
      type: 'OBJECT',
      properties: { when: { type: 'STRING', format: 'date-time' }, site: { type: 'STRING' }, big: { type: 'INTEGER', format: 'int64' }, f: { type: 'NUMBER' } },
    },
  },
  {
    name: 'keeps array items and numeric bounds',
    input: { type: 'array', items: { type: 'number', minimum: 0, maximum: 1, exclusiveMaximum: 1 }, minItems: 1, maxItems: 3 },
    expected: { type: 'ARRAY', items: { type: 'NUMBER', minimum: 0, maximum: 1 }, minItems: 1, maxItems: 3 },
  },
  {
    name: 'turns draft-4 tuple items into anyOf items',
    input: { type: 'array', items: [{ type: 'string' }, { type: 'number' }] },
    expected: { type: 'ARRAY', items: { anyOf: [{ type: 'STRING' }, { type: 'NUMBER' }] } },
  },
  {
    name: 'keeps a string pattern and length bounds',
    input: { type: 'string', pattern: '^[a-z]+$', minLength: 1, maxLength: 9 },
    expected: { type: 'STRING', pattern: '^[a-z]+$', minLength: 1, maxLength: 9 },
  },
  {
    name: 'drops properties and required from a node that is not an object',
    input: { type: 'string', properties: { x: { type: 'string' } }, required: ['x'] },
    expected: { type: 'STRING' },
  },
  {
    name: 'drops required names the object does not define',
    input: { type: 'object', properties: { a: { type: 'string' } }, required: ['a', 'ghost'] },
    expected: { type: 'OBJECT', properties: { a: { type: 'STRING' } }, required: ['a'] },
  },
  {
    name: 'infers OBJECT and ARRAY from properties and items when type is missing',
    input: { properties: { list: { items: { type: 'string' } } } },
    expected: { type: 'OBJECT', properties: { list: { type: 'ARRAY', items: { type: 'STRING' } } } },
  },
  {
    name: 'keeps a free-form nested object as a bare OBJECT',
    input: { type: 'object', properties: { meta: { type: 'object', additionalProperties: true } } },
    expected: { type: 'OBJECT', properties: { meta: { type: 'OBJECT' } } },
  },
];

describe('toGeminiSchema', () => {
  it.each(cases)('$name', ({ input, expected }) => {
    // Act
    const converted = toGeminiSchema(input, 'tools[0].parameters');

    // Assess
    expect(converted).toEqual(expected);
  });

  it('refuses a recursive $ref with a 400 that names the field', () => {
    // Prepare
    const tree = { type: 'object', properties: { node: { $ref: '#/$defs/Node' } }, $defs: { Node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/Node' } } } } } };

    // Act
    const act = () => toGeminiSchema(tree, 'tools[2].parameters');

    // Assess
    expect(act).toThrow(GatewayError);
    expect(act).toThrow(expect.objectContaining({ status: 400, param: 'tools[2].parameters', message: expect.stringContaining('provider type gemini') }));
  });

  it('refuses a $ref that points outside the schema', () => {
    // Act
    const act = () => toGeminiSchema({ $ref: 'https://example.com/schema.json' }, 'response_format.json_schema.schema');

    // Assess
    expect(act).toThrow(expect.objectContaining({ status: 400, param: 'response_format.json_schema.schema' }));
  });

  it('leaves the input unchanged', () => {
    // Prepare
    const input = { type: 'object', properties: { a: { type: ['string', 'null'] } }, additionalProperties: false };
    const copy = structuredClone(input);

    // Act
    toGeminiSchema(input, 'p');

    // Assess
    expect(input).toEqual(copy);
  });
});

describe('toGeminiParameters', () => {
  it.each([
    { name: 'no parameters for an object without properties', input: { type: 'object', properties: {}, required: [] }, expected: undefined },
    { name: 'no parameters for an empty schema', input: {}, expected: undefined },
    { name: 'the converted schema when there are properties', input: { type: 'object', properties: { a: { type: 'string' } } }, expected: { type: 'OBJECT', properties: { a: { type: 'STRING' } } } },
  ])('answers $name', ({ input, expected }) => {
    expect(toGeminiParameters(input, 'tools[0].parameters')).toEqual(expected);
  });
});
