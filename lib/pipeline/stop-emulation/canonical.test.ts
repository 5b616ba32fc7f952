import type { ChatResponse, StreamEvent } from '../../canonical/types';
import { GatewayError } from '../../http/errors';
import { stoppedAnswer, stoppedEvents } from './canonical';

const usage = { input: 10, output: 20, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
const answer = (parts: ChatResponse['parts'], finishReason: ChatResponse['finishReason'] = 'stop'): ChatResponse => ({ id: 'a', model: 'o3', parts, finishReason, usage });
const SEQ = ['\nObservation:'];

async function collect(events: StreamEvent[], sequences = SEQ): Promise<StreamEvent[]> {
  async function* source() {
    yield* events;
  }
  const out: StreamEvent[] = [];
  for await (const event of stoppedEvents(source(), sequences)) out.push(event);
  return out;
}

describe('stoppedAnswer, on a whole translated answer', () => {
  it.each<[string, ChatResponse, ChatResponse]>([
    ['an answer without the sequence goes on as it is', answer([{ type: 'text', text: 'Hello' }]), answer([{ type: 'text', text: 'Hello' }])],
    [
      'text cut before the sequence, the finish says which one',
      answer([{ type: 'text', text: 'Thought: x\nObservation: 42' }], 'length'),
      { ...answer([{ type: 'text', text: 'Thought: x' }]), stopSequence: '\nObservation:' },
    ],
    [
      'thinking before the text kept, the text gone when the sequence opens it',
      answer([{ type: 'thinking', text: 'hmm\nObservation: not searched' }, { type: 'text', text: '\nObservation: 42' }]),
      { ...answer([{ type: 'thinking', text: 'hmm\nObservation: not searched' }]), stopSequence: '\nObservation:' },
    ],
    [
      'tool calls after the cut are not the client’s: the model would have stopped before them',
      answer([{ type: 'text', text: 'Let me check\nObservation:' }, { type: 'tool_call', id: 't1', name: 'search', arguments: '{}' }], 'tool_calls'),
      { ...answer([{ type: 'text', text: 'Let me check' }]), stopSequence: '\nObservation:' },
    ],
    [
      'a tool call’s arguments are never searched',
      answer([{ type: 'tool_call', id: 't1', name: 'write', arguments: '{"text":"a\\nObservation: b"}' }], 'tool_calls'),
      answer([{ type: 'tool_call', id: 't1', name: 'write', arguments: '{"text":"a\\nObservation: b"}' }], 'tool_calls'),
    ],
  ])('%s', (_case, given, expected) => {
    expect(stoppedAnswer(given, SEQ)).toEqual(expected);
  });

  it('hands back the very answer when nothing is cut', () => {
    const given = answer([{ type: 'text', text: 'Hello' }]);

    expect(stoppedAnswer(given, SEQ)).toBe(given);
  });
});

describe('stoppedEvents, on a translated stream', () => {
  it('ends the text at a sequence split across events, with a finish naming it, and still passes the usage that follows', async () => {
    const out = await collect([
      { type: 'start', id: 's', model: 'o3' },
      { type: 'text_delta', text: 'Thought: x\nObs' },
      { type: 'text_delta', text: 'ervation: 42' },
      { type: 'text_delta', text: ' more' },
      { type: 'finish', reason: 'stop' },
      { type: 'usage', usage },
    ]);

    expect(out).toEqual([
      { type: 'start', id: 's', model: 'o3' },
      { type: 'text_delta', text: 'Thought: x' },
      { type: 'finish', reason: 'stop', stopSequence: '\nObservation:' },
      { type: 'usage', usage },
    ]);
  });

  it('lets held text go before the upstream’s own finish when no sequence came', async () => {
    const out = await collect([
      { type: 'text_delta', text: 'Bye\n' },
      { type: 'finish', reason: 'length' },
    ]);

    expect(out).toEqual([{ type: 'text_delta', text: 'Bye' }, { type: 'text_delta', text: '\n' }, { type: 'finish', reason: 'length' }]);
  });

  it('lets held text go before a tool call begins, and leaves its arguments alone', async () => {
    const out = await collect([
      { type: 'text_delta', text: 'Calling\n' },
      { type: 'tool_call_start', toolIndex: 0, id: 't', name: 'f' },
      { type: 'tool_call_delta', toolIndex: 0, arguments: '"\\nObservation:"' },
      { type: 'tool_call_end', toolIndex: 0 },
      { type: 'finish', reason: 'tool_calls' },
    ]);

    expect(out).toEqual([
      { type: 'text_delta', text: 'Calling' },
      { type: 'text_delta', text: '\n' },
      { type: 'tool_call_start', toolIndex: 0, id: 't', name: 'f' },
      { type: 'tool_call_delta', toolIndex: 0, arguments: '"\\nObservation:"' },
      { type: 'tool_call_end', toolIndex: 0 },
      { type: 'finish', reason: 'tool_calls' },
    ]);
  });

  it('drops the tool calls that follow a match, and an error that ends the upstream’s stream after it (the client’s answer is whole)', async () => {
    const error = new GatewayError('upstream_unavailable', 'broke off', { code: 'upstream_interrupted' });

    const out = await collect([
      { type: 'text_delta', text: 'x\nObservation:' },
      { type: 'tool_call_start', toolIndex: 0, id: 't', name: 'f' },
      { type: 'tool_call_end', toolIndex: 0 },
      { type: 'error', error },
    ]);

    expect(out).toEqual([{ type: 'text_delta', text: 'x' }, { type: 'finish', reason: 'stop', stopSequence: '\nObservation:' }]);
  });

  it('lets held text go when the stream ends without a finish', async () => {
    const out = await collect([{ type: 'text_delta', text: 'cut off\n' }]);

    expect(out).toEqual([{ type: 'text_delta', text: 'cut off' }, { type: 'text_delta', text: '\n' }]);
  });
});
