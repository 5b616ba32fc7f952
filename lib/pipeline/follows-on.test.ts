import { OPENAI_CHAT, OPENAI_RESPONSES } from './bindings';
import { carriesEvents, followsOn } from './follows-on';

const numbered = (n: number) => Buffer.from(`event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"a","sequence_number":${n}}\n\n`);

describe('carriesEvents', () => {
  it.each([
    { name: 'an event', chunk: numbered(3), carries: true },
    { name: 'a keep-alive comment', chunk: Buffer.from(': keep-alive\n\n'), carries: false },
    // Some upstreams write a comment line before events, in the same chunk.
    { name: 'a comment and events after it', chunk: Buffer.concat([Buffer.from(': PROCESSING\n\n'), numbered(3)]), carries: true },
  ])('$name: $carries', ({ chunk, carries }) => {
    expect(carriesEvents(chunk)).toBe(carries);
  });
});

describe('followsOn', () => {
  const relayCount = () => ({ nextSequence: 8 });
  it.each([
    { name: 'numbered events: after the last event the client got, not the relay’s count', binding: OPENAI_RESPONSES, lastSent: numbered(3), next: { nextSequence: 4 } },
    { name: 'nothing sent yet: the relay’s count', binding: OPENAI_RESPONSES, lastSent: undefined, next: { nextSequence: 8 } },
    { name: 'a last chunk without a whole numbered event: the relay’s count', binding: OPENAI_RESPONSES, lastSent: Buffer.from('data: {"sequence_number":3'), next: { nextSequence: 8 } },
    { name: 'a surface that numbers nothing: the relay’s count, the bytes unread', binding: OPENAI_CHAT, lastSent: numbered(3), next: { nextSequence: 8 } },
  ])('$name', ({ binding, lastSent, next }) => {
    expect(followsOn(binding, lastSent, relayCount)).toEqual(next);
  });
});
