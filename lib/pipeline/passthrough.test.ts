import type { Attempt } from '../routing/attempts';
import type { ProviderRegistry } from '../providers/registry';
import { UpstreamBody } from '../upstream/response-body';
import { upstreamLimits } from '../upstream/event-bound';
import { GatewayError } from '../http/errors';
import { OPENAI_MEDIA_READER, passthroughFor, withResponseIds, type PassthroughReader } from './passthrough';

const attempt = (type: string, model: string, extra: Record<string, unknown> = {}) => ({ provider: { id: 'p', type, ...extra }, account: { id: 'a', weight: 1 }, model }) as unknown as Attempt;
const registry = { bedrockCredentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }) } as unknown as ProviderRegistry;

describe('passthroughFor', () => {
  it.each([
    ['openai', 'openai', 'gpt-4o', true],
    ['openai', 'openai-compatible', 'llama3', true],
    ['openai', 'azure-openai', 'my-deployment', true],
    ['openai', 'anthropic', 'claude-sonnet-4-5', false],
    ['openai', 'gemini', 'gemini-2.5-pro', false],
    ['openai', 'bedrock', 'anthropic.claude-3-5-sonnet-20240620-v1:0', false],
    ['anthropic', 'anthropic', 'claude-sonnet-4-5', true],
    ['anthropic', 'bedrock', 'anthropic.claude-3-5-sonnet-20240620-v1:0', true],
    ['anthropic', 'bedrock', 'us.anthropic.claude-sonnet-4-20250514-v1:0', true],
    ['anthropic', 'bedrock', 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0', true],
    ['anthropic', 'bedrock', 'amazon.nova-pro-v1:0', false],
    ['anthropic', 'bedrock', 'meta.llama3-70b-instruct-v1:0', false],
    ['anthropic', 'openai', 'gpt-4o', false],
    ['anthropic', 'gemini', 'gemini-2.5-pro', false],
    ['gemini', 'gemini', 'gemini-2.5-pro', true],
    ['gemini', 'gemini', 'tunedModels/my-model', true],
    ['gemini', 'openai', 'gpt-4o', false],
    ['gemini', 'anthropic', 'claude-sonnet-4-5', false],
    ['gemini', 'azure-openai', 'my-deployment', false],
    ['gemini', 'bedrock', 'anthropic.claude-3-5-sonnet-20240620-v1:0', false],
    ['anthropic', 'vertex', 'claude-sonnet-4-5@20250929', true],
    ['anthropic', 'vertex', 'gemini-2.5-pro', false],
    ['gemini', 'vertex', 'gemini-2.5-pro', true],
    ['gemini', 'vertex', 'claude-sonnet-4-5@20250929', false],
    ['openai', 'vertex', 'claude-sonnet-4-5@20250929', false],
    ['openai', 'vertex', 'gemini-2.5-pro', false],
  ] as const)('a %s client to a %s target (%s) passes through: %s', (dialect, type, model, expected) => {
    expect(passthroughFor(dialect, attempt(type, model), registry) !== undefined).toBe(expected);
  });

  it.each([
    ['openai', {}, true],
    ['azure-openai', {}, true],
    ['openai-compatible', {}, false],
    ['openai-compatible', { responses: 'translate' }, false],
    ['openai-compatible', { responses: 'passthrough' }, true],
    ['anthropic', {}, false],
    ['gemini', {}, false],
    ['bedrock', {}, false],
    ['vertex', {}, false],
  ] as const)('a Responses client to a %s target %j passes through: %s', (type, extra, expected) => {
    expect(passthroughFor('openai-responses', attempt(type, 'm', extra), registry) !== undefined).toBe(expected);
  });
});

describe('passthroughFor Vertex', () => {
  const vertex = (model: string) =>
    ({ provider: { id: 'v', type: 'vertex', project: 'acme', region: 'us-east5' }, account: { id: 'a', weight: 1, serviceAccount: { env: 'KEY' } }, model }) as unknown as Attempt;
  const sentBody = (req: { body?: unknown }) => JSON.parse(Buffer.from(req.body as Uint8Array | string).toString()) as Record<string, unknown>;
  const call = (attempt: Attempt, body: Record<string, unknown>) => ({
    attempt,
    body,
    raw: Buffer.from(JSON.stringify(body)),
    headers: {},
    stream: false,
    apiKey: 'ya29.token',
    timeouts: { connectMs: 1000, headersMs: 1000, idleMs: 1000, totalMs: 1000 },
  });

  it('leaves out of a Claude body the thinking the gateway wrote for another family, as for Anthropic', async () => {
    // Prepare
    const body = {
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'x', signature: 'aigw1:gemini:CiQB' }, { type: 'text', text: 'Hello' }] },
        { role: 'user', content: 'more' },
      ],
    };

    // Act
    const req = await passthroughFor('anthropic', vertex('claude-sonnet-4-5@20250929'), registry)!.request(call(vertex('claude-sonnet-4-5@20250929'), body) as never);

    // Assess
    const sent = sentBody(req);
    expect((sent.messages as { content: unknown }[])[1]!.content).toEqual([{ type: 'text', text: 'Hello' }]);
    expect(sent).toMatchObject({ anthropic_version: 'vertex-2023-10-16' });
    expect(sent).not.toHaveProperty('model');
  });

  it('leaves out of a Gemini body the thought signatures the gateway wrote for another family, as for Gemini', async () => {
    // Prepare: a Claude signature the gateway carried in a function call (a blob that names its family).
    const carried = Buffer.from(JSON.stringify({ aigw: 1, family: 'claude', signature: 'EqQB' })).toString('base64');
    const body = {
      contents: [
        { role: 'user', parts: [{ text: 'weather?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'weather', args: {} }, thoughtSignature: carried }] },
        { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { t: 1 } } }] },
      ],
    };

    // Act
    const req = await passthroughFor('gemini', vertex('gemini-2.5-pro'), registry)!.request(call(vertex('gemini-2.5-pro'), body) as never);

    // Assess
    const sent = sentBody(req);
    const parts = (sent.contents as { parts: Record<string, unknown>[] }[])[1]!.parts;
    expect(parts[0]!.thoughtSignature).not.toBe(carried);
  });
});

describe('the Gemini array relay, cut inside an element', () => {
  const pretty = (text: string) => JSON.stringify({ candidates: [{ content: { parts: [{ text }], role: 'model' } }] }, null, 2);
  const compact = (text: string) => JSON.stringify({ candidates: [{ content: { parts: [{ text }], role: 'model' } }] });

  /** The relay's array as the client has it, once its source broke off after these chunks. */
  async function stateAfter(chunks: string[]) {
    async function* source() {
      for (const chunk of chunks) yield Buffer.from(chunk);
      throw new Error('upstream gone');
    }
    const relay = passthroughFor('gemini', attempt('gemini', 'gemini-2.5-flash'), registry)!.relay(source(), { start: 0, clientAskedUsage: false, jsonArray: true });
    const sent: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of relay.body) sent.push(Buffer.from(chunk).toString());
      })(),
    ).rejects.toThrow('upstream gone');
    const { opened, closed, insideElement } = relay.array!();
    return { sent: sent.join(''), opened, closed, insideElement };
  }

  const cut = pretty('cut').slice(0, 30);
  const cutCompact = compact('cut').slice(0, 30);
  it.each([
    ['pretty-printed, the open element held back: between elements for the client', [`[${pretty('Hello')}`, `\n,\r\n${cut}`], `[${pretty('Hello')}`, { opened: true, closed: false, insideElement: false }],
    ['pretty-printed, the first element held back: the client has not had the [', [`[${cut}`], '', { opened: false, closed: false, insideElement: false }],
    ['compact, passed on unguarded: the client has part of the element', [`[${compact('Hello')}`, `,${cutCompact}`], `[${compact('Hello')},${cutCompact}`, { opened: true, closed: false, insideElement: true }],
  ] as const)('%s', async (_name, chunks, sent, expected) => {
    const state = await stateAfter([...chunks]);
    expect(state).toEqual({ sent, ...expected });
  });
});

describe('the Gemini array relay, bounded', () => {
  it.each([
    ['the array opened, then endless spaces', '['],
    ['a bare string in the array, endless', '["'],
    ['no array at all, endless text', 'upstream says: '],
  ])('ends the stream with the bound\'s error, holding no more than it: %s', async (_name, opening) => {
    let offered = 0;
    async function* source() {
      yield Buffer.from(opening);
      // 64 MiB offered in 64 KiB chunks against a 1 MiB bound.
      for (; offered < 64 * 1024 * 1024; offered += 64 * 1024) yield Buffer.alloc(64 * 1024, 0x20);
    }
    const relay = passthroughFor('gemini', attempt('gemini', 'gemini-2.5-flash'), registry)!.relay(source(), { start: 0, clientAskedUsage: false, jsonArray: true, maxEventBytes: 1024 * 1024 });
    await expect(
      (async () => {
        for await (const _chunk of relay.body);
      })(),
    ).rejects.toMatchObject({ code: 'upstream_event_too_large' });
    expect(offered).toBeLessThanOrEqual(2 * 1024 * 1024);
  });
});

describe('an SSE relay over a bounded body', () => {
  it('ends a stream whose events the relay holds past the bound, whatever line ends it uses', async () => {
    // Each `\n\r` is a blank line to the spec, but no boundary the relay lets an event go at: it holds them all.
    const calls = { aborted: 0 };
    const body = new UpstreamBody(
      () => {},
      () => calls.aborted++,
      upstreamLimits(64 * 1024),
    );
    body.frame('sse');
    // The client asked for usage: nothing to strip, the upstream's bytes go on through the guard.
    const relay = passthroughFor('openai', attempt('openai', 'gpt-4o'), registry)!.relay(body, { start: 0, clientAskedUsage: true });
    let sent = 0;
    // Its failure, caught as it comes (the pushes below are still going on).
    const failure = (async () => {
      try {
        for await (const chunk of relay.body) sent += chunk.length;
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    const chunk = Buffer.from('data: {"choices":[]}\n\r'.repeat(400));
    let offered = 0;
    for (; offered < 8 * 1024 * 1024 && calls.aborted === 0; offered += chunk.length) {
      body.push(chunk);
      await new Promise((resolve) => setImmediate(resolve));
    }
    body.end();

    expect(await failure).toMatchObject({ code: 'upstream_event_too_large' });
    expect(offered).toBeLessThanOrEqual(128 * 1024);
    expect(sent).toBe(0);
  });
});

describe('withResponseIds', () => {
  const responses = () => passthroughFor('openai-responses', attempt('openai', 'gpt-4o'), registry)!;

  it("tells a whole answer's id while reading its usage, which it still returns", () => {
    const told: string[] = [];

    const usage = withResponseIds(responses(), (id) => told.push(id)).usageOf({ id: 'resp_1', object: 'response', usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 } });

    expect(told).toEqual(['resp_1']);
    expect(usage).toMatchObject({ input: 3, output: 2 });
  });

  it("tells a stream's id from its response.created while its bytes go on unchanged", async () => {
    const told: string[] = [];
    const events = [
      `event: response.created\ndata: ${JSON.stringify({ type: 'response.created', sequence_number: 0, response: { id: 'resp_2', object: 'response', status: 'in_progress' } })}\n\n`,
      `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', sequence_number: 1, response: { id: 'resp_2', object: 'response', status: 'completed', usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 } } })}\n\n`,
    ];
    async function* source() {
      for (const event of events) yield Buffer.from(event);
    }

    const relay = withResponseIds(responses(), (id) => told.push(id)).relay(source(), { start: 0, clientAskedUsage: false });
    const sent: string[] = [];
    for await (const chunk of relay.body) sent.push(Buffer.from(chunk).toString());

    expect(told).toEqual(['resp_2']);
    expect(sent.join('')).toBe(events.join(''));
    expect(relay.findings()).toMatchObject({ complete: true, usage: { input: 3, output: 2 } });
  });
});

describe("each relay's failure finding", () => {
  const CODED = { message: 'Rate limit reached in organization org-uVqpjtJiKqvVJMVfvpaounIh.', type: 'requests', code: 'rate_limit_exceeded' };
  const relayOf = (dialect: 'openai' | 'anthropic' | 'gemini' | 'openai-responses', type: string, model: string) => passthroughFor(dialect, attempt(type, model), registry)!;
  it.each<{ name: string; reader: PassthroughReader; stream: string; failure: { message: RegExp; code: string | undefined; detail: string | undefined } }>([
    {
      name: 'an OpenAI error chunk: the gateway’s words, naming the provider where the upstream’s are kept from the client, its code, the words as detail',
      reader: relayOf('openai', 'openai', 'gpt-4o'),
      stream: `data: ${JSON.stringify({ error: CODED })}\n\n`,
      failure: { message: /^Rate limit reached in organization the provider account\.$/, code: 'rate_limit_exceeded', detail: CODED.message },
    },
    {
      name: 'a Responses error event: as the guard rewrote it',
      reader: relayOf('openai-responses', 'openai', 'gpt-4o'),
      stream: `event: error\ndata: ${JSON.stringify({ type: 'error', sequence_number: 1, error: CODED })}\n\n`,
      failure: { message: /^Rate limit reached in organization the provider account\.$/, code: 'rate_limit_exceeded', detail: CODED.message },
    },
    {
      name: 'an Anthropic error event: its type as the code',
      reader: relayOf('anthropic', 'anthropic', 'claude-sonnet-4-5'),
      stream: `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`,
      failure: { message: /Overloaded/, code: 'overloaded_error', detail: undefined },
    },
    {
      name: 'a Gemini error object: as Google words it, its status as the code',
      reader: relayOf('gemini', 'gemini', 'gemini-2.5-flash'),
      stream: `data: ${JSON.stringify({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } })}\n\n`,
      failure: { message: /^The model is overloaded\.$/, code: 'unavailable', detail: undefined },
    },
    {
      name: 'a Gemini event that is not JSON (no error to rewrite): the decoder’s reading, naming the provider',
      reader: relayOf('gemini', 'gemini', 'gemini-2.5-flash'),
      stream: 'data: {not json\n\n',
      failure: { message: /^The upstream provider "p" sent a stream event that is not JSON\.$/, code: 'upstream_bad_stream', detail: undefined },
    },
    {
      name: 'a media stream’s error event (passed on as it came): the upstream’s words, no code',
      reader: OPENAI_MEDIA_READER,
      stream: `data: ${JSON.stringify({ type: 'error', error: CODED })}\n\n`,
      failure: { message: /^Rate limit reached in organization org-/, code: undefined, detail: undefined },
    },
  ])('$name', async ({ reader, stream, failure }) => {
    // Prepare
    async function* source(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(stream);
    }
    const relay = reader.relay(source(), { start: 0, clientAskedUsage: true, providerId: 'p' });

    // Act
    for await (const _ of relay.body);
    const found = relay.findings();

    // Assess
    expect(found.failure).toBeInstanceOf(GatewayError);
    expect(found.failure?.message).toMatch(failure.message);
    expect({ code: found.failure?.code, detail: found.failure?.detail }).toEqual({ code: failure.code, detail: failure.detail });
    expect(found.complete).toBe(false);
  });
});
