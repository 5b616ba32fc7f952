import type { ResponseFormat } from '../../canonical/types';
import { asksJsonInWords, jsonInstruction } from './json-in-words';

const SCHEMA: ResponseFormat = { type: 'json_schema', name: 'w', schema: { type: 'object', properties: { celsius: { type: 'number' } } } };

describe('asksJsonInWords', () => {
  it.each([
    { name: 'Gemini 2.5 with functions and a schema', model: 'gemini-2.5-flash', functions: 1, format: SCHEMA, expected: true },
    { name: 'Gemini 2.0 with functions and any JSON', model: 'gemini-2.0-flash', functions: 2, format: { type: 'json_object' } as ResponseFormat, expected: true },
    { name: 'Gemini 2.5 without functions: the JSON mode is taken', model: 'gemini-2.5-flash', functions: 0, format: SCHEMA, expected: false },
    { name: 'Gemini 2.5 with functions and text', model: 'gemini-2.5-flash', functions: 1, format: { type: 'text' } as ResponseFormat, expected: false },
    { name: 'Gemini 2.5 with functions and no format', model: 'gemini-2.5-flash', functions: 1, format: undefined, expected: false },
    { name: 'Gemini 3 with functions and a schema: Gemini 3 takes both', model: 'gemini-3-pro-preview', functions: 1, format: SCHEMA, expected: false },
  ])('$name → $expected', ({ model, functions, format, expected }) => {
    expect(asksJsonInWords(model, functions, format)).toBe(expected);
  });
});

describe('jsonInstruction', () => {
  it.each([
    { name: 'any JSON object', format: { type: 'json_object' } as ResponseFormat, expected: 'When you answer rather than call a function, answer with one JSON object and nothing else.' },
    {
      name: 'a schema, spelled out',
      format: SCHEMA,
      expected: 'When you answer rather than call a function, answer with one JSON object that matches this JSON schema: {"type":"object","properties":{"celsius":{"type":"number"}}} and nothing else.',
    },
  ])('$name', ({ format, expected }) => {
    expect(jsonInstruction(format)).toBe(expected);
  });
});
