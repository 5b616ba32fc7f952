import type OpenAI from 'openai';
import type Anthropic from '@anthropic-ai/sdk';
import { anthropicEventViolations, openAIChunkViolations } from './stream-rules';

type Delta = OpenAI.ChatCompletionChunk.Choice.Delta;
const chunk = (delta: Delta | undefined, finish: OpenAI.ChatCompletionChunk.Choice['finish_reason'] = null, id = 'c1'): OpenAI.ChatCompletionChunk =>
  ({ id, object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] }) as OpenAI.ChatCompletionChunk;
const usageChunk: OpenAI.ChatCompletionChunk = { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
const good = [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hi' }), chunk({}, 'stop'), usageChunk];

describe('openAIChunkViolations', () => {
  it.each([
    { name: 'accepts a well-formed stream with its usage chunk', chunks: good, askedUsage: true, expected: [] },
    {
      name: 'reports a choice-less chunk without usage and its foreign id',
      chunks: [{ ...usageChunk, id: '', usage: null }, ...good],
      askedUsage: true,
      expected: ['chunks carry 2 ids: "", "c1"', 'chunk 0 has 0 choices', 'the first chunk has no assistant role'],
    },
    { name: 'reports a choice without a delta', chunks: [...good.slice(0, 2), chunk(undefined), ...good.slice(2)], askedUsage: true, expected: [expect.stringContaining('chunk 2 has a choice without a delta')] },
    { name: 'reports a chunk after the finish', chunks: [...good.slice(0, 3), chunk({ content: 'late' }), usageChunk], askedUsage: true, expected: ['finish_reason comes in chunks [2] of 4'] },
    { name: 'reports a missing usage chunk the client asked for', chunks: good.slice(0, 3), askedUsage: true, expected: ['no final usage chunk though the client asked for one'] },
    {
      name: 'reports a tool call that opens without its id',
      chunks: [good[0]!, chunk({ tool_calls: [{ index: 0, function: { name: 'f', arguments: '' } }] }), chunk({}, 'tool_calls'), usageChunk],
      askedUsage: true,
      expected: ['tool call 0 opens without its id, type and name'],
    },
  ])('$name', ({ chunks, askedUsage, expected }) => {
    expect(openAIChunkViolations(chunks, askedUsage)).toEqual(expected);
  });
});

const ev = (e: object) => e as Anthropic.MessageStreamEvent;
const start = ev({ type: 'message_start', message: {} });
const open = (index: number) => ev({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
const delta = (index: number) => ev({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: 'x' } });
const stop = (index: number) => ev({ type: 'content_block_stop', index });
const end = [ev({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1 } }), ev({ type: 'message_stop' })];

describe('anthropicEventViolations', () => {
  it.each([
    { name: 'accepts blocks opened and closed in order', events: [start, open(0), delta(0), stop(0), open(1), delta(1), stop(1), ...end], expected: [] },
    { name: 'reports a delta before its block opens', events: [start, delta(0), open(0), stop(0), ...end], expected: ['a delta for block 0 while none is open'] },
    { name: 'reports a block opened while another is open', events: [start, open(0), open(1), stop(1), ...end], expected: ['block 1 opens while block 0 is open'] },
    { name: 'reports a second message_start', events: [start, start, ...end], expected: ['message_start is not first and alone: message_start message_start message_delta message_stop'] },
    { name: 'reports a missing message_stop', events: [start, open(0), stop(0), end[0]!], expected: ['the stream does not end with one message_delta then message_stop: message_start content_block_start content_block_stop message_delta'] },
  ])('$name', ({ events, expected }) => {
    expect(anthropicEventViolations(events)).toEqual(expected);
  });
});
