/**
 * What holding a stream until its first event (so that an upstream error as that event fails
 * over: `answerInHand`, `failedBeforeAnswer`) costs one streamed answer in this process, beside
 * relaying it unwatched as before: an `UpstreamBody` given the stream's first read, then read.
 * Watched, the read is scanned (`SseStartScan`), its start awaited if not in yet, and the bytes in
 * hand searched for `"error"` once. Two first reads: a Chat Completions chunk, and Anthropic's
 * opening write (`message_start`, `content_block_start`, `ping` together, as the real API and the
 * shared bench's fake send them); and a whole stream in hand at once (the shared bench's fake
 * stream, 21 chunks), of which only the chunks up to the start are searched. Everything after the
 * first event is the same in both.
 *
 *   npx tsx lib/pipeline/stream-hold.bench.ts
 */
import { heldAnswer, unwatchedAnswer } from '../../bench/held-stream';
import { medianNsPerAsyncCall } from '../../bench/measure';

const N = 100_000;
const openai = Buffer.from(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, finish_reason: null }] })}\n\n`);
const anthropic = Buffer.from(
  `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'msg_01XFDUDYJgAACzvnptvVoYEL', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 472, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 } } })}\n\n` +
    `event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n` +
    'event: ping\ndata: {"type": "ping"}\n\n',
);

// The shared bench's fake stream (bench/alternate.sh, STREAM=true): 20 chunks and [DONE], all in hand at the start, as a fast upstream's short answer is.
const whole = [
  ...Array.from({ length: 20 }, (_, i) => Buffer.from(`data: ${JSON.stringify({ id: 'chatcmpl-fake0001', object: 'chat.completion.chunk', created: 1732600000, model: 'gpt-4o-mini', system_fingerprint: 'fp_fake', choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: '' } : { content: `tok${i} ` }, logprobs: null, finish_reason: null }] })}\n\n`)),
  Buffer.from('data: [DONE]\n\n'),
];

const nsPerCall = (run: () => Promise<unknown>) => medianNsPerAsyncCall(run, N, 11);

async function main(): Promise<void> {
  for (const [kind, reads] of [['chat chunk', [openai]], ['anthropic opening', [anthropic]], ['whole chat stream', whole]] as const) {
    const unwatched = unwatchedAnswer(reads);
    const held = heldAnswer(reads, 'text/event-stream');
    for (const [name, run] of [['unwatched', unwatched], ['held', held], ['unwatched', unwatched], ['held', held]] as const) {
      console.log(`${kind.padEnd(18)} ${name.padEnd(10)} ${(await nsPerCall(run)).toFixed(0)} ns/answer (median of 11 rounds of ${N})`);
    }
  }
}

void main();
