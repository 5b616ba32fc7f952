import { createdResponseId, responseIdOf } from './response-id';
import { ResponsesStreamMeter } from './responses-meter';

const created = (response: Record<string, unknown>) => `event: response.created\ndata: ${JSON.stringify({ type: 'response.created', sequence_number: 0, response })}\n\n`;
const inProgress = `event: response.in_progress\ndata: ${JSON.stringify({ type: 'response.in_progress', sequence_number: 1, response: { id: 'resp_other' } })}\n\n`;

describe("the Responses meter's onResponseId", () => {
  it('tells the id of the response a stream is about once its response.created came, split however the chunks fall', () => {
    const stream = created({ id: 'resp_abc', object: 'response', instructions: 'Be terse. "id":"resp_fake"', tools: [] }) + inProgress;
    for (const size of [1, 7, 64, stream.length]) {
      const told: string[] = [];
      const reader = new ResponsesStreamMeter(0, undefined, (id) => told.push(id));

      for (let i = 0; i < stream.length; i += size) reader.feed(Buffer.from(stream.slice(i, i + size)));

      expect(told).toEqual(['resp_abc']);
    }
  });

  it.each([1, 5, 4096])('reads an id that does not lead its response by parsing the first event whole (chunks of %i)', (size) => {
    const stream = created({ object: 'response', instructions: 'x'.repeat(3000), id: 'resp_late_key' }) + inProgress;
    const told: string[] = [];
    const reader = new ResponsesStreamMeter(0, undefined, (id) => told.push(id));

    for (let i = 0; i < stream.length; i += size) reader.feed(Buffer.from(stream.slice(i, i + size)));

    expect(told).toEqual(['resp_late_key']);
  });

  it('reads a stream that opens with a comment line', () => {
    const told: string[] = [];
    const reader = new ResponsesStreamMeter(0, undefined, (id) => told.push(id));

    reader.feed(`: keep-alive\n\n${created({ id: 'resp_abc' })}`);

    expect(told).toEqual(['resp_abc']);
  });

  it('reads an event without its event line by its type', () => {
    const told: string[] = [];
    const reader = new ResponsesStreamMeter(0, undefined, (id) => told.push(id));

    reader.feed(`data: ${JSON.stringify({ type: 'response.created', sequence_number: 0, response: { id: 'resp_abc' } })}\n\n`);

    expect(told).toEqual(['resp_abc']);
  });

  it('tells nothing of a stream that starts with something else, and reads nothing after its first event', () => {
    const told: string[] = [];
    const reader = new ResponsesStreamMeter(0, undefined, (id) => told.push(id));

    reader.feed(`event: error\ndata: ${JSON.stringify({ type: 'error', sequence_number: 0, error: { message: 'x' } })}\n\n`);
    reader.feed(created({ id: 'resp_late' }));

    expect(told).toEqual([]);
  });
});

describe('createdResponseId', () => {
  it.each<[string, string, string | undefined]>([
    ['the id leading the response, as OpenAI and Azure send it', JSON.stringify({ type: 'response.created', sequence_number: 0, response: { id: 'resp_1', object: 'response' } }), 'resp_1'],
    ['the id elsewhere in the response (parsed)', JSON.stringify({ type: 'response.created', response: { object: 'response', instructions: 'x', id: 'resp_2' } }), 'resp_2'],
    ['no id', JSON.stringify({ type: 'response.created', response: { object: 'response' } }), undefined],
    ['not JSON', '{"type":"response.created","response":', undefined],
  ])('%s', (_name, data, expected) => {
    expect(createdResponseId(data)).toBe(expected);
  });
});

describe('responseIdOf', () => {
  it.each<[unknown, string | undefined]>([
    [{ id: 'resp_1', object: 'response' }, 'resp_1'],
    [{ object: 'response' }, undefined],
    [{ id: 7 }, undefined],
    [null, undefined],
    ['resp_1', undefined],
  ])('reads %j as %s', (json, expected) => {
    expect(responseIdOf(json)).toBe(expected);
  });
});
