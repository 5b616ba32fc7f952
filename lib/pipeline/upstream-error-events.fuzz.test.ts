import { fuzzer } from '../../test/fuzz';
import { InBandErrorGuard, type EventFraming, type InBandErrorRule } from '../http/in-band-errors';
import { anthropicErrorEvents, geminiErrorEvents, openAIErrorEvents, responsesErrorEvents } from './upstream-error-events';

const SECRET = 'org-uOtiSEwvUnroadaOnJJquBEC';
const PROJECT = 'project_number:987654321012';
const ORG_UUID = 'd3f27ff7-9afe-4ee2-9645-76ecfc73c2b7';

interface Dialect {
  name: string;
  rule: InBandErrorRule;
  framing: EventFraming;
  /** A normal event's text with its separator. */
  event(text: string, first: boolean): string;
  /** The error event the upstream sends, with its separator. */
  error(first: boolean): string;
  /** What the stream ends with after its last event. */
  end: string;
  secret: string;
}

const DIALECTS: Dialect[] = [
  {
    name: 'OpenAI SSE',
    rule: openAIErrorEvents('oai'),
    framing: 'sse',
    event: (text) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: text } }] })}\n\n`,
    error: () => `data: ${JSON.stringify({ error: { message: `Rate limit reached for gpt-4o in organization ${SECRET} on tokens per min (TPM)`, type: 'tokens', code: 'rate_limit_exceeded' } })}\n\n`,
    end: 'data: [DONE]\n\n',
    secret: SECRET,
  },
  {
    name: 'Responses SSE',
    rule: responsesErrorEvents('oai'),
    framing: 'sse',
    event: (text) => `event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: text, sequence_number: 3 })}\n\n`,
    error: () => `event: response.failed\ndata: ${JSON.stringify({ type: 'response.failed', sequence_number: 4, response: { id: 'resp_1', status: 'failed', error: { code: 'rate_limit_exceeded', message: `Rate limit reached in organization ${SECRET}.` } } })}\n\n`,
    end: '',
    secret: SECRET,
  },
  {
    name: 'Anthropic SSE',
    rule: anthropicErrorEvents('anth'),
    framing: 'sse',
    event: (text) => `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })}\n\n`,
    error: () => `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: `This request would exceed the rate limit for your organization (${ORG_UUID}) of 40,000 input tokens per minute.` } })}\n\n`,
    end: 'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    secret: ORG_UUID,
  },
  {
    name: 'Responses SSE, an `event: error` with flat fields and no "error" text',
    rule: responsesErrorEvents('oai'),
    framing: 'sse',
    event: (text) => `event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: text, sequence_number: 3 })}\n\n`,
    error: () => `event: error\ndata: ${JSON.stringify({ code: 'rate_limit_exceeded', message: `Rate limit reached in organization ${SECRET}.` })}\n\n`,
    end: '',
    secret: SECRET,
  },
  {
    name: 'OpenAI SSE, an `event: error` with flat fields',
    rule: openAIErrorEvents('oai'),
    framing: 'sse',
    event: (text) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: text } }] })}\n\n`,
    error: () => `event: error\ndata: ${JSON.stringify({ message: `Rate limit reached for gpt-4o in organization ${SECRET} on tokens per min (TPM)`, code: 'rate_limit_exceeded' })}\n\n`,
    end: 'data: [DONE]\n\n',
    secret: SECRET,
  },
  {
    name: 'Anthropic SSE, an `event: error` with flat fields',
    rule: anthropicErrorEvents('anth'),
    framing: 'sse',
    event: (text) => `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })}\n\n`,
    error: () => `event: error\ndata: ${JSON.stringify({ type: 'rate_limit_error', message: `This request would exceed the rate limit for your organization (${ORG_UUID}) of 40,000 input tokens per minute.` })}\n\n`,
    end: 'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    secret: ORG_UUID,
  },
  {
    name: 'Gemini SSE',
    rule: geminiErrorEvents('gem', 'sse'),
    framing: 'sse',
    event: (text) => `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0 }] })}\r\n\r\n`,
    error: () => `data: ${JSON.stringify({ error: { code: 429, message: `Quota exceeded for consumer '${PROJECT}'.`, status: 'RESOURCE_EXHAUSTED' } })}\r\n\r\n`,
    end: '',
    secret: PROJECT,
  },
  {
    name: 'Gemini JSON array',
    rule: geminiErrorEvents('gem', 'array'),
    framing: 'array',
    // Google's writer: `[` before the first element, `\n,\r\n` before each later one, `]` after the last.
    event: (text, first) => `${first ? '[' : '\n,\r\n'}${JSON.stringify({ candidates: [{ content: { parts: [{ text }], role: 'model' } }] }, null, 2)}`,
    error: (first) => `${first ? '[' : '\n,\r\n'}${JSON.stringify({ error: { code: 500, message: `Internal error in projects/acme-prod/locations/us-central1.`, status: 'INTERNAL' } }, null, 2)}`,
    end: '\n,\r\n{\n  "candidates": []\n}]',
    secret: 'acme-prod',
  },
];

async function* pieces(bytes: Buffer, cuts: number[]) {
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    yield bytes.subarray(at, cut);
    at = cut;
  }
}

async function relayed(dialect: Dialect, bytes: Buffer, cuts: number[]) {
  const guard = new InBandErrorGuard(dialect.rule, dialect.framing);
  const out: Buffer[] = [];
  for await (const chunk of guard.relay(pieces(bytes, cuts))) out.push(Buffer.from(chunk));
  return { out, guard };
}

describe('the in-band error guard on streams cut anywhere (fuzz)', () => {
  it.each(DIALECTS.map((d) => [d.name, d] as const))('gives %s the same bytes however the stream is cut, with every error rewritten and nothing else changed', async (_name, dialect) => {
    // Prepare: seeded streams of text events (words that look like errors, multi-byte characters, escaped quotes), some with an error among them.
    const { random, pick } = fuzzer(41, { names: [], scalars: [] });
    const words = ['hello', 'error', '"error"', '{"error": 1}', 'event: error', 'naïve', '日本語', '🙂', '\\n\\n', 'data: x', ''];
    for (let run = 0; run < 300; run++) {
      const withError = random() < 0.5;
      const count = 1 + Math.floor(random() * 6);
      const errorAt = Math.floor(random() * count);
      let stream = '';
      for (let i = 0; i < count; i++) {
        const text = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(words)).join(' ');
        stream += withError && i === errorAt ? dialect.error(i === 0) : dialect.event(text, i === 0);
      }
      stream += dialect.end;
      const bytes = Buffer.from(stream);
      const cuts = [...new Set(Array.from({ length: Math.floor(random() * 8) }, () => Math.floor(random() * bytes.length)))].sort((a, b) => a - b);

      // Act
      const whole = await relayed(dialect, bytes, []);
      const cut = await relayed(dialect, bytes, cuts);

      // Assess
      const sent = Buffer.concat(cut.out);
      expect(sent.equals(Buffer.concat(whole.out))).toBe(true);
      if (!withError) {
        expect(sent.equals(bytes)).toBe(true);
        expect(cut.guard.error).toBeUndefined();
      } else {
        expect(sent.toString()).not.toContain(dialect.secret);
        expect(cut.guard.error?.detail).toContain(dialect.secret);
        // Every other event went on byte for byte: the stream less its error event is the output less the rewritten one.
        const errorEvent = dialect.error(errorAt === 0);
        const [before, after] = stream.split(errorEvent);
        expect(sent.toString().startsWith(before!)).toBe(true);
        expect(sent.toString().endsWith(after!)).toBe(true);
      }
    }
  });
});

describe('the in-band error guard on a stream cut off inside its error event', () => {
  it.each(DIALECTS.map((d) => [d.name, d] as const))('never lets %s’s error out raw, wherever the upstream stops in it', async (_name, dialect) => {
    // Prepare: one normal event, then the error event, the stream ending at each of its bytes in turn.
    const before = dialect.event('hello', true);
    const errorEvent = dialect.error(false);
    for (let at = 1; at <= errorEvent.length; at++) {
      const bytes = Buffer.from(before + errorEvent.slice(0, at));

      // Act: as one chunk, and as the upstream would write it, the error apart.
      const whole = await relayed(dialect, bytes, []);
      const apart = await relayed(dialect, bytes, [Buffer.byteLength(before)]);

      // Assess: the normal event goes on as it came; of the error, either its rewrite or a start that holds none of its words.
      for (const { out } of [whole, apart]) {
        const sent = Buffer.concat(out).toString();
        expect(sent.startsWith(before)).toBe(true);
        const rest = sent.slice(before.length);
        // Nor a start of it: an id cut off is no longer one the cleaning knows.
        expect(rest).not.toContain(dialect.secret.slice(0, 8));
        if (errorEvent.startsWith(rest)) expect(rest).not.toContain('"error"');
      }
    }
  });
});

describe('the in-band error guard on normal events that hold `"error"` as a key, cut at every byte', () => {
  const sse = (lines: string[], end = '\n\n') => lines.map((l) => `${l}${end}`).join('');
  const STREAMS: [string, InBandErrorRule, EventFraming, string][] = [
    [
      'OpenAI chunks with an error of null and a tool call whose arguments say "error"',
      openAIErrorEvents('oai'),
      'sse',
      sse([
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: 'report', arguments: '{"error": "disk full"}' } }] } }], error: null })}`,
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: '{"error": true}' }, finish_reason: 'stop' }] })}`,
        'data: [DONE]',
      ]),
    ],
    [
      'Responses events whose response has an error of null and a function call’s arguments delta',
      responsesErrorEvents('oai'),
      'sse',
      sse([
        `event: response.created\ndata: ${JSON.stringify({ type: 'response.created', sequence_number: 0, response: { id: 'resp_1', status: 'in_progress', error: null, output: [] } })}`,
        `event: response.function_call_arguments.delta\ndata: ${JSON.stringify({ type: 'response.function_call_arguments.delta', sequence_number: 1, item_id: 'fc_1', output_index: 0, delta: '{"error": "x"}' })}`,
        `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', sequence_number: 2, response: { id: 'resp_1', status: 'completed', error: null, output: [{ type: 'function_call', arguments: '{"error": "x"}' }] } })}`,
      ]),
    ],
    [
      'Anthropic events with a tool input holding an error key and an input_json_delta',
      anthropicErrorEvents('anth'),
      'sse',
      sse([
        `event: content_block_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'report', input: { error: 'x' } } })}`,
        `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"error": "disk' } })}`,
        'event: message_stop\ndata: {"type":"message_stop"}',
      ]),
    ],
    [
      'Gemini SSE with a function call whose args hold an error key',
      geminiErrorEvents('gem', 'sse'),
      'sse',
      sse([`data: ${JSON.stringify({ candidates: [{ content: { parts: [{ functionCall: { name: 'report', args: { error: { code: 1 } } } }], role: 'model' } }] })}`, `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: '{"error": 1}' }] }, finishReason: 'STOP' }] })}`], '\r\n\r\n'),
    ],
    [
      'the Gemini JSON array with a function call whose args hold an error key',
      geminiErrorEvents('gem', 'array'),
      'array',
      `[${JSON.stringify({ candidates: [{ content: { parts: [{ functionCall: { name: 'report', args: { error: { code: 1 } } } }] } }] }, null, 2)}\n,\r\n${JSON.stringify({ candidates: [{ content: { parts: [{ text: '{"error": 1}' }] }, finishReason: 'STOP' }] }, null, 2)}\n]`,
    ],
  ];

  it.each(STREAMS)('passes %s on byte for byte, wherever the chunks are cut', async (_case, rule, framing, stream) => {
    const bytes = Buffer.from(stream);
    for (let at = 0; at <= bytes.length; at++) {
      for (const width of [1, 2, 5, 40]) {
        // Prepare
        const guard = new InBandErrorGuard(rule, framing);
        const out: Buffer[] = [];

        // Act
        for await (const chunk of guard.relay(pieces(bytes, [at, Math.min(at + width, bytes.length)]))) out.push(Buffer.from(chunk));

        // Assess
        expect(Buffer.concat(out).equals(bytes)).toBe(true);
        expect(guard.error).toBeUndefined();
      }
    }
  });

  it.each(STREAMS)('lets each event of %s go the moment its end has come, fed a byte at a time', (_case, rule, framing, stream) => {
    // Prepare
    const bytes = Buffer.from(stream);
    const ends = framing === 'sse' ? /\r\n\r\n|\n\n/g : /\n\}/g;
    const guard = new InBandErrorGuard(rule, framing);
    let sent = 0;

    for (let at = 1; at <= bytes.length; at++) {
      // Act
      sent += guard.pass(bytes.subarray(at - 1, at))?.length ?? 0;

      // Assess: all that came up to the last event end, no more and no less.
      const come = bytes.subarray(0, at).toString();
      const whole = [...come.matchAll(ends)].reduce((end, m) => m.index + m[0].length, 0);
      expect(sent).toBe(Buffer.byteLength(come.slice(0, whole)));
    }
  });
});
