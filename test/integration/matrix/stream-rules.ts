/**
 * The stream rules of each surface (shared/PROTOCOLS.md) checked on the events a client received.
 * The official clients' helpers forgive a lot (a choice-less chunk, a stray usage), so an
 * application reading chunks itself would break where the helper's final answer looks fine.
 * Each checker answers the rules broken, in words; none is `[]`.
 */
import type OpenAI from 'openai';
import type Anthropic from '@anthropic-ai/sdk';

/** Chat Completions chunks: one id, a role first, one finish, usage only on a last choice-less chunk. */
export function openAIChunkViolations(chunks: OpenAI.ChatCompletionChunk[], askedUsage: boolean): string[] {
  const out: string[] = [];
  const ids = new Set(chunks.map((c) => c.id));
  if (ids.size !== 1) out.push(`chunks carry ${ids.size} ids: ${[...ids].map((i) => JSON.stringify(i)).join(', ')}`);
  if (chunks.some((c) => c.object !== 'chat.completion.chunk')) out.push('a chunk is not a chat.completion.chunk');
  const last = chunks.at(-1);
  const usageChunk = askedUsage && last && last.choices.length === 0 ? last : undefined;
  const choiceChunks = usageChunk ? chunks.slice(0, -1) : chunks;
  choiceChunks.forEach((c, i) => {
    if (c.choices.length !== 1 || c.choices[0]?.index !== 0) out.push(`chunk ${i} has ${c.choices.length} choices`);
    // The client's types promise a delta on every choice; applications read it unguarded.
    else if (!c.choices[0].delta) out.push(`chunk ${i} has a choice without a delta: ${JSON.stringify(c)}`);
    if (c.usage) out.push(`chunk ${i} carries usage before the end`);
  });
  if (askedUsage && !usageChunk?.usage) out.push('no final usage chunk though the client asked for one');
  if (choiceChunks[0]?.choices[0]?.delta?.role !== 'assistant') out.push('the first chunk has no assistant role');
  const finishes = choiceChunks.flatMap((c, i) => (c.choices[0]?.finish_reason ? [i] : []));
  if (finishes.length !== 1 || finishes[0] !== choiceChunks.length - 1) out.push(`finish_reason comes in chunks ${JSON.stringify(finishes)} of ${choiceChunks.length}`);
  const named = new Set<number>();
  for (const call of choiceChunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? [])) {
    if (named.has(call.index)) continue;
    named.add(call.index);
    if (!call.id || call.type !== 'function' || !call.function?.name) out.push(`tool call ${call.index} opens without its id, type and name`);
  }
  return out;
}

/** Messages events: one message_start first, blocks opened and closed in order, message_delta then message_stop last. */
export function anthropicEventViolations(events: Anthropic.MessageStreamEvent[]): string[] {
  const out: string[] = [];
  const types = events.map((e) => e.type);
  if (types[0] !== 'message_start' || types.filter((t) => t === 'message_start').length !== 1) out.push(`message_start is not first and alone: ${types.join(' ')}`);
  if (types.at(-1) !== 'message_stop' || types.at(-2) !== 'message_delta' || types.filter((t) => t === 'message_delta').length !== 1) {
    out.push(`the stream does not end with one message_delta then message_stop: ${types.join(' ')}`);
  }
  let open: number | undefined;
  let next = 0;
  for (const e of events) {
    if (e.type === 'content_block_start') {
      if (open !== undefined) out.push(`block ${e.index} opens while block ${open} is open`);
      if (e.index !== next) out.push(`block ${e.index} opens where block ${next} was due`);
      open = e.index;
      next = e.index + 1;
    } else if (e.type === 'content_block_delta' && e.index !== open) {
      out.push(`a delta for block ${e.index} while ${open ?? 'none'} is open`);
    } else if (e.type === 'content_block_stop') {
      if (e.index !== open) out.push(`block ${e.index} stops while ${open ?? 'none'} is open`);
      open = undefined;
    } else if (e.type === 'message_delta' && open !== undefined) {
      out.push(`message_delta while block ${open} is open`);
    }
  }
  return out;
}

/**
 * Responses API events: numbered from 0 without gaps; created, then in_progress, first; one
 * final event last (completed or incomplete); items added in output order, each done once, and
 * no delta for an item that is not open.
 */
export function responsesEventViolations(events: OpenAI.Responses.ResponseStreamEvent[]): string[] {
  const out: string[] = [];
  const types = events.map((e) => e.type);
  events.forEach((e, i) => {
    if (e.sequence_number !== i) out.push(`event ${i} (${e.type}) has sequence_number ${e.sequence_number}`);
  });
  if (types[0] !== 'response.created' || types[1] !== 'response.in_progress') out.push(`the stream does not open with created, in_progress: ${types.join(' ')}`);
  const isFinal = (t: string | undefined) => t === 'response.completed' || t === 'response.incomplete';
  if (types.filter(isFinal).length !== 1 || !isFinal(types.at(-1))) out.push(`the stream does not end with one final event: ${types.join(' ')}`);
  const open = new Set<number>();
  let next = 0;
  for (const e of events) {
    if (e.type === 'response.output_item.added') {
      if (e.output_index !== next) out.push(`item ${e.output_index} added where item ${next} was due`);
      if (open.size > 0) out.push(`item ${e.output_index} added while ${[...open].join(',')} is open`);
      open.add(e.output_index);
      next = e.output_index + 1;
    } else if (e.type === 'response.output_item.done') {
      if (!open.delete(e.output_index)) out.push(`item ${e.output_index} done while not open`);
    } else if ('output_index' in e && typeof e.output_index === 'number' && !open.has(e.output_index)) {
      out.push(`${e.type} for item ${e.output_index}, which is not open`);
    }
  }
  if (open.size > 0) out.push(`items ${[...open].join(',')} never done`);
  return out;
}
