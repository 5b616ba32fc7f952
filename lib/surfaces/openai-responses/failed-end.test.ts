import { createParser } from 'eventsource-parser';
import { GatewayError } from '../../http/errors';
import { failedStreamEnd, openingResponse, sequenceAfter } from './failed-end';

describe('sequenceAfter', () => {
  const event = (type: string, fields: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
  it.each([
    { name: 'one event: its number and one', sent: event('response.created', { response: { id: 'resp_1' }, sequence_number: 0 }), next: 1 },
    { name: 'several events in one chunk: after the last', sent: event('response.output_text.delta', { delta: 'a', sequence_number: 4 }) + event('response.output_text.delta', { delta: 'b', sequence_number: 5 }), next: 6 },
    { name: 'a number past one digit', sent: event('response.output_text.delta', { delta: 'a', sequence_number: 1234 }), next: 1235 },
    { name: 'text that spells the field is escaped, not taken', sent: event('response.output_text.delta', { delta: '"sequence_number":99', sequence_number: 7 }), next: 8 },
    { name: 'a keep-alive comment: none', sent: ': keep-alive\n\n', next: undefined },
    { name: 'nothing: none', sent: '', next: undefined },
    // OpenAI writes the number second, before the response object, which echoes the client's schemas.
    {
      name: 'a field of that name nested in the event (a schema’s example): the event’s own',
      sent: `event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"text":{"format":{"type":"json_schema","schema":{"examples":[{"sequence_number":9}]}}}}}\n\n`,
      next: 1,
    },
    { name: 'a space after the colon', sent: 'event: response.in_progress\ndata: {"type":"response.in_progress", "sequence_number": 5}\n\n', next: 6 },
    { name: 'an event cut off in its number: after the last whole one', sent: event('response.output_text.delta', { delta: 'a', sequence_number: 11 }) + 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1', next: 12 },
    { name: 'only part of an event: none', sent: 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":12', next: undefined },
    { name: 'a number past 2^31', sent: event('response.output_text.delta', { delta: 'a', sequence_number: 3_000_000_000 }), next: 3_000_000_001 },
  ])('$name', ({ sent, next }) => {
    expect(sequenceAfter(Buffer.from(sent))).toBe(next);
  });

  it('reads a view into a larger buffer by its own bounds', () => {
    const whole = Buffer.from(event('a', { sequence_number: 3 }) + event('b', { sequence_number: 9 }));
    const first = whole.subarray(0, whole.indexOf('event: b'));
    expect(sequenceAfter(new Uint8Array(first.buffer, first.byteOffset, first.byteLength))).toBe(4);
  });
});

describe('openingResponse', () => {
  const event = (type: string, fields: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
  const RESPONSE = { id: 'resp_1', object: 'response', created_at: 1_700_000_000, model: 'gpt-4.1', status: 'in_progress', output: [] };
  it.each([
    { name: 'response.created: its response', opening: event('response.created', { sequence_number: 0, response: RESPONSE }), response: RESPONSE },
    { name: 'response.created and more events: the first’s', opening: event('response.created', { sequence_number: 0, response: RESPONSE }) + event('response.in_progress', { sequence_number: 1, response: { ...RESPONSE, id: 'resp_2' } }), response: RESPONSE },
    { name: 'comments before it (keep-alives, an upstream’s PROCESSING): its response', opening: ': keep-alive\n\n: PROCESSING\n\n' + event('response.created', { sequence_number: 0, response: RESPONSE }), response: RESPONSE },
    { name: 'lines ended by CRLF: its response', opening: event('response.created', { sequence_number: 0, response: RESPONSE }).replace(/\n/g, '\r\n'), response: RESPONSE },
    { name: 'another event first: none', opening: event('response.output_text.delta', { sequence_number: 3, delta: 'a' }), response: undefined },
    { name: 'a response without an id: none', opening: event('response.created', { sequence_number: 0, response: { status: 'in_progress' } }), response: undefined },
    { name: 'response.created cut off: none', opening: event('response.created', { sequence_number: 0, response: RESPONSE }).slice(0, 40), response: undefined },
    { name: 'not JSON: none', opening: 'event: response.created\ndata: {"type":\n\n', response: undefined },
  ])('$name', ({ opening, response }) => {
    expect(openingResponse(Buffer.from(opening))).toEqual(response);
  });
});

describe('failedStreamEnd', () => {
  const blocked = new GatewayError('invalid_request', 'The answer was blocked by a guardrail.', { code: 'guardrail_blocked' });
  const RESPONSE = { id: 'resp_1', object: 'response', created_at: 1_700_000_000, model: 'gpt-4.1', status: 'in_progress', error: null, incomplete_details: null, instructions: 'Be brief.', output: [], usage: null };
  const parsed = (text: string) => {
    const out: [string, Record<string, unknown>][] = [];
    createParser({ onEvent: (e) => out.push([e.event ?? '', JSON.parse(e.data) as Record<string, unknown>]) }).feed(text);
    return out;
  };
  const ERROR = { type: 'error', code: 'guardrail_blocked', message: 'The answer was blocked by a guardrail.', param: null, error: { type: 'invalid_request_error', code: 'guardrail_blocked', message: 'The answer was blocked by a guardrail.', param: null } };
  it.each([
    {
      name: 'a response the client got: marked failed (its fields kept, no output), then error, numbered on',
      sent: { nextSequence: 5, response: RESPONSE },
      events: [
        ['response.failed', { type: 'response.failed', sequence_number: 5, response: { ...RESPONSE, status: 'failed', error: { code: 'guardrail_blocked', message: 'The answer was blocked by a guardrail.' } } }],
        ['error', { ...ERROR, sequence_number: 6 }],
      ],
    },
    { name: 'no response the client got: the error alone', sent: { nextSequence: 2 }, events: [['error', { ...ERROR, sequence_number: 2 }]] },
    { name: 'nothing counted: from 0', sent: undefined, events: [['error', { ...ERROR, sequence_number: 0 }]] },
  ])('$name', ({ sent, events }) => {
    expect(parsed(failedStreamEnd(blocked, sent))).toEqual(events);
  });

  it('drops what the response carried of the output: the client may not have got it whole', () => {
    // Prepare
    const held = { ...RESPONSE, output: [{ type: 'message', content: [{ type: 'output_text', text: 'ghp_secret' }] }] };

    // Act
    const text = failedStreamEnd(blocked, { nextSequence: 9, response: held });

    // Assess
    expect(text).not.toContain('ghp_secret');
    expect(parsed(text)[0]![1]).toMatchObject({ response: { output: [] } });
  });

  // The openai SDK raises the `error` event's nested error (`APIError.type`, `.code`): the same
  // error typed as the gateway's error body types it before the first byte, where a 429 is no
  // invalid request and a timeout no server error.
  it.each([
    { name: 'a rate limit', err: new GatewayError('rate_limit', 'Slow down.', { code: 'rate_limited' }), type: 'rate_limit_error', code: 'rate_limited' },
    { name: 'an upstream that timed out', err: new GatewayError('upstream_timeout', 'Too slow.', { code: 'upstream_timeout' }), type: 'timeout_error', code: 'upstream_timeout' },
    { name: 'an upstream that broke off', err: new GatewayError('upstream_error', 'Cut.', { code: 'upstream_interrupted' }), type: 'api_error', code: 'upstream_interrupted' },
    { name: 'a guardrail’s block', err: blocked, type: 'invalid_request_error', code: 'guardrail_blocked' },
    { name: 'an error without a code (the default code on both)', err: new GatewayError('internal', 'Oops.'), type: 'server_error', code: 'server_error' },
  ])('types $name as the error body does, response.failed and error agreeing', ({ err, type, code }) => {
    // Act
    const [failed, told] = parsed(failedStreamEnd(err, { nextSequence: 3, response: RESPONSE })).map(([, data]) => data);

    // Assess
    expect(told).toMatchObject({ code, message: err.message, error: { type, code, message: err.message, param: null } });
    expect(failed).toMatchObject({ response: { error: { code, message: err.message } } });
  });
});
