import { GatewayError } from '../http/errors';
import { clientField, inClientFields, type FieldTable } from './error-fields';

const TABLE: FieldTable = [
  [/^(tools\[\d+\])\.function(?=\.|$)/, '$1'],
  [/^stop$/, 'stop_sequences'],
];

describe('clientField', () => {
  it.each([
    ['tools[3].function.parameters', 'tools[3].parameters'],
    ['stop', 'stop_sequences'],
    ['stops', 'stops'],
    ['model', 'model'],
  ])('names %s as %s', (canonical, client) => {
    expect(clientField(TABLE, canonical)).toBe(client);
  });
});

describe('inClientFields', () => {
  it.each([
    // Only whole quotations of the field: the same letters as a word or inside a longer path stay.
    ['stop', 'stop has 6 sequences; provider type gemini takes at most 5.', 'stop_sequences has 6 sequences; provider type gemini takes at most 5.'],
    ['stop', "'stop' is too long, see stop.", "'stop_sequences' is too long, see stop_sequences."],
    ['stop', 'The stopwatch and options.stop and stop[0] stay; so does stop here, and `stop`.', 'The stopwatch and options.stop and stop[0] stay; so does stop here, and `stop_sequences`.'],
    // A one-word field mid-sentence is a word of the sentence (the OpenAI translator's refusal).
    ['stop', 'More than 4 stop sequences', 'More than 4 stop sequences'],
    ['stop', 'Too many in stop: 6.', 'Too many in stop_sequences: 6.'],
    ['tools[0].function.parameters', 'The schema in tools[0].function.parameters refers to itself.', 'The schema in tools[0].parameters refers to itself.'],
  ])('renames %s where the message quotes it', (param, message, renamed) => {
    expect(inClientFields(TABLE, new GatewayError('invalid_request', message, { param })).message).toBe(renamed);
  });

  it('keeps kind, status, code, headers and detail, and the original error as the cause', () => {
    // Prepare
    const err = new GatewayError('invalid_request', 'Too many in stop.', { param: 'stop', code: 'too_many', status: 400, headers: { 'x-why': 'test' }, detail: 'for the log' });

    // Act
    const renamed = inClientFields(TABLE, err);

    // Assess
    expect(renamed).toMatchObject({ kind: 'invalid_request', status: 400, param: 'stop_sequences', code: 'too_many', headers: { 'x-why': 'test' }, detail: 'for the log', message: 'Too many in stop_sequences.' });
    expect(renamed.cause).toBe(err);
  });

  it.each([
    ['no param', new GatewayError('internal', 'The gateway failed.')],
    ['a param the table does not know', new GatewayError('invalid_request', 'Bad tool_choice.', { param: 'tool_choice' })],
  ])('returns an error with %s as it is', (_, err) => {
    expect(inClientFields(TABLE, err)).toBe(err);
  });
});
