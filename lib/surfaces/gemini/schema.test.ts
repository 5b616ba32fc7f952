import { toGeminiSchema } from '../../providers/gemini';
import { jsonSchemaFromGemini } from './schema';

describe('jsonSchemaFromGemini', () => {
  it.each([
    { name: 'lower-cases types', input: { type: 'STRING', description: 'd' }, expected: { type: 'string', description: 'd' } },
    { name: 'turns nullable into a type list', input: { type: 'INTEGER', nullable: true }, expected: { type: ['integer', 'null'] } },
    {
      name: 'walks objects and arrays, keeping the keywords JSON Schema shares',
      input: { type: 'OBJECT', properties: { tags: { type: 'ARRAY', items: { type: 'STRING', enum: ['a', 'b'] }, maxItems: 3 } }, required: ['tags'], propertyOrdering: ['tags'] },
      expected: { type: 'object', properties: { tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, maxItems: 3 } }, required: ['tags'] },
    },
    {
      name: 'lets null through a nullable enum (JSON Schema checks enum apart from type)',
      input: { type: 'STRING', enum: ['low', 'high'], nullable: true },
      expected: { type: ['string', 'null'], enum: ['low', 'high', null] },
    },
    { name: 'adds a null branch to a nullable anyOf', input: { anyOf: [{ type: 'STRING' }, { type: 'NUMBER' }], nullable: true }, expected: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'null' }] } },
    {
      name: 'adds a null branch to a nullable anyOf beside a type (anyOf is checked apart from type)',
      input: { type: 'OBJECT', anyOf: [{ type: 'OBJECT', properties: { a: { type: 'STRING' } } }], nullable: true },
      expected: { type: ['object', 'null'], anyOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'null' }] },
    },
    { name: 'reads lower-case types too', input: { type: 'object', properties: {} }, expected: { type: 'object', properties: {} } },
    { name: 'gives nothing for no schema', input: undefined, expected: {} },
  ])('$name', ({ input, expected }) => {
    expect(jsonSchemaFromGemini(input)).toEqual(expected);
  });

  it('round-trips with the provider’s JSON Schema → Gemini conversion', () => {
    const gemini = { type: 'OBJECT' as const, properties: { city: { type: 'STRING' as const, description: 'City' }, days: { type: 'INTEGER' as const, nullable: true }, unit: { type: 'STRING' as const, format: 'enum', enum: ['C', 'F'], nullable: true } }, required: ['city'] };
    expect(toGeminiSchema(jsonSchemaFromGemini(gemini), 'p')).toEqual(gemini);
  });
});
