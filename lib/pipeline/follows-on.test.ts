import { OPENAI_CHAT, OPENAI_RESPONSES } from './bindings';
import { carriesEvents, followsOn, SentEvents } from './follows-on';

const numbered = (n: number) => Buffer.from(`event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"a","sequence_number":${n}}\n\n`);
const RESPONSE = { id: 'resp_1', object: 'response', created_at: 1700000000, model: 'gpt-4.1', status: 'in_progress', output: [] };
const created = Buffer.from(`event: response.created\ndata: ${JSON.stringify({ type: 'response.created', sequence_number: 0, response: RESPONSE })}\n\n`);
const KEEP_ALIVE = Buffer.from(': keep-alive\n\n');
const PROCESSING = Buffer.from(': PROCESSING\n\n');
const crlf = Buffer.from(created.toString().replace(/\n/g, '\r\n'));

/** The client's side of a stream that carried `chunks`. */
function sentOf(...chunks: Buffer[]): SentEvents {
  const sent = new SentEvents();
  for (const chunk of chunks) sent.see(chunk);
  return sent;
}

describe('carriesEvents', () => {
  it.each([
    { name: 'an event', chunk: numbered(3), carries: true },
    { name: 'a keep-alive comment', chunk: KEEP_ALIVE, carries: false },
    // Some upstreams write a comment line before events, in the same chunk.
    { name: 'a comment and events after it', chunk: Buffer.concat([Buffer.from(': PROCESSING\n\n'), numbered(3)]), carries: true },
  ])('$name: $carries', ({ chunk, carries }) => {
    expect(carriesEvents(chunk)).toBe(carries);
  });
});

describe('SentEvents', () => {
  it.each([
    { name: 'nothing sent', chunks: [], last: undefined, opening: undefined },
    // What opens a stream is read again only if it fails: a comment in it costs a parse nothing.
    { name: 'keep-alives only: no last event, an opening of comments alone', chunks: [KEEP_ALIVE, KEEP_ALIVE], last: undefined, opening: Buffer.concat([KEEP_ALIVE, KEEP_ALIVE]) },
    { name: 'the first event whole in one chunk: the chunks up to it open, the last is the last', chunks: [KEEP_ALIVE, created, numbered(1), KEEP_ALIVE, numbered(2)], last: numbered(2), opening: Buffer.concat([KEEP_ALIVE, created]) },
    { name: 'the first event cut across chunks: the chunks up to its end', chunks: [created.subarray(0, 20), created.subarray(20), numbered(1)], last: numbered(1), opening: created },
    { name: 'lines ended by CRLF', chunks: [Buffer.from(created.toString().replace(/\n/g, '\r\n')), numbered(1)], last: numbered(1), opening: Buffer.from(created.toString().replace(/\n/g, '\r\n')) },
    // An upstream's chunks fall where its socket reads do: the blank line may be cut in two, or follow a comment.
    { name: 'the first event’s blank line cut across chunks: the chunks up to its end, none after', chunks: [created.subarray(0, -1), created.subarray(-1), numbered(1), numbered(2)], last: numbered(2), opening: created },
    { name: 'a CRLF blank line cut across chunks: the same', chunks: [crlf.subarray(0, -2), crlf.subarray(-2), numbered(1)], last: numbered(1), opening: crlf },
    { name: 'a comment before the first event, in its chunk: the chunks up to the event’s end', chunks: [Buffer.concat([PROCESSING, created.subarray(0, 20)]), created.subarray(20), numbered(1)], last: numbered(1), opening: Buffer.concat([PROCESSING, created]) },
  ])('$name', ({ chunks, last, opening }) => {
    // Act
    const sent = sentOf(...chunks);

    // Assess
    expect(sent.last).toEqual(last);
    expect(sent.opening).toEqual(opening);
  });
});

describe('followsOn', () => {
  const relayCount = () => ({ nextSequence: 8 });
  it.each([
    { name: 'numbered events: after the last event the client got, not the relay’s count, with the response it opened with', binding: OPENAI_RESPONSES, sent: sentOf(created, numbered(3)), next: { nextSequence: 4, response: RESPONSE } },
    { name: 'nothing sent yet: the relay’s count', binding: OPENAI_RESPONSES, sent: sentOf(), next: { nextSequence: 8 } },
    { name: 'no stream kept: the relay’s count', binding: OPENAI_RESPONSES, sent: undefined, next: { nextSequence: 8 } },
    { name: 'a last chunk without a whole numbered event: the relay’s count', binding: OPENAI_RESPONSES, sent: sentOf(created, Buffer.from('data: {"sequence_number":3')), next: { nextSequence: 8, response: RESPONSE } },
    { name: 'a stream that opened with another event: no response', binding: OPENAI_RESPONSES, sent: sentOf(numbered(0), numbered(1)), next: { nextSequence: 2 } },
    { name: 'keep-alives only: no response, the relay’s count', binding: OPENAI_RESPONSES, sent: sentOf(KEEP_ALIVE, KEEP_ALIVE), next: { nextSequence: 8 } },
    { name: 'a keep-alive before response.created: the response', binding: OPENAI_RESPONSES, sent: sentOf(KEEP_ALIVE, created, numbered(1)), next: { nextSequence: 2, response: RESPONSE } },
    { name: 'response.created after a comment in its chunk, cut across chunks: the response', binding: OPENAI_RESPONSES, sent: sentOf(Buffer.concat([PROCESSING, created.subarray(0, 40)]), created.subarray(40), numbered(1)), next: { nextSequence: 2, response: RESPONSE } },
    { name: 'a surface that numbers nothing: the relay’s count, the bytes unread', binding: OPENAI_CHAT, sent: sentOf(created, numbered(3)), next: { nextSequence: 8 } },
  ])('$name', ({ binding, sent, next }) => {
    expect(followsOn(binding, sent, relayCount)).toEqual(next);
  });
});
