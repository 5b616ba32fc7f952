/**
 * An upstream error that arrives inside a 200 stream passed through in the client's own dialect
 * (OpenAI-compatible → OpenAI client, Chat Completions and Responses; Anthropic → Anthropic
 * client; Gemini → Gemini client, SSE and JSON array) reaches the client as the gateway's error event of that dialect, worded as the
 * same error before the stream would be: the operator's organisation, key or project kept for
 * the access log line (`errorDetail`, found by the request id), which also says the stream ended
 * in an upstream error. The official clients raise it. Upstreams are fakes on loopback.
 */
import Anthropic from '@anthropic-ai/sdk';
import { ApiError } from '@google/genai';
import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import type { GatewayLogger } from '../../lib/observe/logger';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { geminiClient } from './harness';

const OPENAI_ORG = 'org-uOtiSEwvUnroadaOnJJquBEC';
const OPENAI_WORDS = `Rate limit reached for gpt-4o in organization ${OPENAI_ORG} on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms.`;
const ANTHROPIC_ORG = 'd3f27ff7-9afe-4ee2-9645-76ecfc73c2b7';
const ANTHROPIC_WORDS = `This request would exceed the rate limit for your organization (${ANTHROPIC_ORG}) of 40,000 input tokens per minute.`;
const PROJECT_NUMBER = '987654321012';
const GOOGLE_WORDS = `Quota exceeded for quota metric 'Generate Content API requests per minute' of service 'generativelanguage.googleapis.com' for consumer 'project_number:${PROJECT_NUMBER}'.`;

describe('in-band upstream errors of passed-through streams', () => {
  let gw: LocalGateway;
  let key: string;
  let openai: FakeOpenAI;
  let anthropic: FakeAnthropic;
  let gemini: FakeGemini;
  const logged: string[] = [];

  beforeAll(async () => {
    openai = await startFakeOpenAI({ apiKey: 'sk-upstream' });
    anthropic = await startFakeAnthropic({ apiKey: 'sk-ant-operator' });
    gemini = await startFakeGemini({ apiKey: 'gemini-key' });
    const record = (level: string) => (...args: unknown[]) => void logged.push(`${level} ${JSON.stringify(args)}`);
    const logger: GatewayLogger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    gw = await startLocalGateway({
      config: parseConfig({
        providers: [
          { id: 'vllm', type: 'openai-compatible', baseUrl: openai.url, accounts: [{ id: 'main', apiKey: { env: 'OPENAI_KEY' } }] },
          { id: 'oai', type: 'openai', baseUrl: openai.url, accounts: [{ id: 'main', apiKey: { env: 'OPENAI_KEY' } }] },
          { id: 'anth', type: 'anthropic', baseUrl: anthropic.url, accounts: [{ id: 'main', apiKey: { env: 'ANTHROPIC_KEY' } }] },
          { id: 'google', type: 'gemini', baseUrl: gemini.url, accounts: [{ id: 'main', apiKey: { env: 'GEMINI_KEY' } }] },
        ],
        models: [
          { name: 'gpt-4o', targets: [{ provider: 'vllm', model: 'gpt-4o' }] },
          { name: 'gpt-4.1', targets: [{ provider: 'oai', model: 'gpt-4.1' }] },
          { name: 'claude-direct', targets: [{ provider: 'anth', model: 'claude-sonnet-4-5' }] },
          { name: 'gemini-2.5-flash', targets: [{ provider: 'google', model: 'gemini-2.5-flash' }] },
        ],
      }),
      adminToken: 'admin',
      store: { embedded: undefined },
      shareHealth: false,
      logger,
      credentials: new LocalCredentials({ OPENAI_KEY: 'sk-upstream', ANTHROPIC_KEY: 'sk-ant-operator', GEMINI_KEY: 'gemini-key' }),
    });
    const created = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: 'Bearer admin' }, body: '{"name":"holder"}' });
    key = ((await created.json()) as { key: string }).key;
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([openai.close(), anthropic.close(), gemini.close()]);
  });
  beforeEach(() => {
    openai.reset();
    anthropic.reset();
    gemini.reset();
  });

  /** The access log line of one request (written once its answer has ended). */
  async function accessLine(requestId: string | null | undefined): Promise<Record<string, unknown>> {
    await gw.gateway.drain();
    const line = logged.find((l) => l.includes('"request"') && l.includes(`"requestId":"${requestId}"`));
    if (!line) throw new Error(`no access log line for ${requestId}`);
    return (JSON.parse(line.slice(line.indexOf(' ') + 1)) as [string, Record<string, unknown>])[1];
  }

  /** A Messages stream through the Anthropic client, to whatever the upstream was told to answer: what the client threw reading it to its end, and the call's access line. */
  async function messagesStreamRead(): Promise<{ thrown: unknown; line: Record<string, unknown> }> {
    const client = new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0 });
    const { data: stream, response } = await client.messages.create({ model: 'claude-direct', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const thrown = await (async () => {
      for await (const _event of stream) {
        // read to the error
      }
    })().catch((e: unknown) => e);
    return { thrown, line: await accessLine(response.headers.get('x-request-id')) };
  }

  /**
   * A Responses stream through the OpenAI client whose upstream sends `response.created`, one text
   * delta, then `errorEvent`: what the client threw reading it to its end, and the call's access line.
   */
  async function responsesStreamEndingIn(errorEvent: string, { createdError }: { createdError?: null } = {}): Promise<{ thrown: unknown; line: Record<string, unknown> }> {
    const created = { type: 'response.created', sequence_number: 0, response: { id: 'resp_1', object: 'response', status: 'in_progress', ...(createdError === null ? { error: null } : {}), output: [] } };
    const delta = { type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Echo' };
    openai.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: [`event: response.created\ndata: ${JSON.stringify(created)}\n\n`, `event: response.output_text.delta\ndata: ${JSON.stringify(delta)}\n\n`, errorEvent] });
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const { data: stream, response } = await client.responses.create({ model: 'gpt-4.1', input: 'hello there', stream: true }).withResponse();
    const thrown = await (async () => {
      for await (const _event of stream) {
        // read to the error
      }
    })().catch((e: unknown) => e);
    return { thrown, line: await accessLine(response.headers.get('x-request-id')) };
  }

  it('tells the OpenAI client of an unnamed `{"error":…}` event in a Responses stream (as OpenAI-compatible servers write it) in the gateway’s words', async () => {
    // Prepare: OpenAI's client raises on any event whose data has an `error`, whatever its name.
    const errorEvent = `data: ${JSON.stringify({ error: { message: OPENAI_WORDS, type: 'requests', param: null, code: 'rate_limit_exceeded' } })}\n\n`;

    // Act
    const { thrown, line } = await responsesStreamEndingIn(errorEvent, { createdError: null });

    // Assess
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect((thrown as Error).message).toBe(OPENAI_WORDS.replace(OPENAI_ORG, 'the provider account'));
    expect(line).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'rate_limit_exceeded', errorDetail: OPENAI_WORDS });
  });

  it.each([
    ['without usage (the relay re-frames events)', false],
    ['with usage (the upstream’s bytes go on as they are)', true],
  ])('raises an APIError in the OpenAI client on a mid-stream error of an OpenAI-compatible upstream, %s', async (_case, includeUsage) => {
    // Prepare
    openai.reply({ kind: 'stream-error', afterChunks: 3, error: { message: OPENAI_WORDS, type: 'tokens', param: null, code: 'rate_limit_exceeded' } });
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const texts: string[] = [];

    // Act
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hello there' }], ...(includeUsage ? { stream_options: { include_usage: true } } : {}) })
      .withResponse();
    const thrown = await (async () => {
      for await (const chunk of stream) texts.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    const line = await accessLine(response.headers.get('x-request-id'));

    // Assess: the text before the error arrived; the error in the gateway's words; the upstream's in the log.
    expect(texts.join('')).toBe('Echo: hello');
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect((thrown as InstanceType<typeof OpenAI.APIError>).message).toBe(OPENAI_WORDS.replace(OPENAI_ORG, 'the provider account'));
    expect((thrown as InstanceType<typeof OpenAI.APIError>).code).toBe('rate_limit_exceeded');
    expect(line).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'rate_limit_exceeded', errorDetail: OPENAI_WORDS });
  });

  it('tells the OpenAI client of a Responses stream that failed upstream in the gateway’s words, its organisation kept for the log', async () => {
    // Prepare
    openai.reply({ kind: 'stream-error', afterChunks: 2, error: { code: 'rate_limit_exceeded', message: OPENAI_WORDS } });
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const types: string[] = [];
    let failed: { error?: { code?: string | null; message?: string } | null } | undefined;

    // Act
    const { data: stream, response } = await client.responses.create({ model: 'gpt-4.1', input: 'hello there', stream: true }).withResponse();
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.failed') failed = event.response;
    }
    const line = await accessLine(response.headers.get('x-request-id'));

    // Assess
    expect(types.at(-1)).toBe('response.failed');
    expect(failed?.error).toEqual({ code: 'rate_limit_exceeded', message: OPENAI_WORDS.replace(OPENAI_ORG, 'the provider account') });
    expect(line).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'rate_limit_exceeded', errorDetail: OPENAI_WORDS });
  });

  it('tells the OpenAI client of a Responses `error` event named by its event line alone (no type in its data) in the gateway’s words, as it books it', async () => {
    // Prepare: a server that names the event on its line only, its error nested; the meter reads it as an error all the same.
    const errorEvent = `event: error\ndata: ${JSON.stringify({ error: { code: 'rate_limit_exceeded', message: OPENAI_WORDS }, sequence_number: 2 })}\n\n`;

    // Act
    const { thrown, line } = await responsesStreamEndingIn(errorEvent);

    // Assess
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect((thrown as Error).message).toBe(OPENAI_WORDS.replace(OPENAI_ORG, 'the provider account'));
    expect(line).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'rate_limit_exceeded', errorDetail: OPENAI_WORDS });
  });

  it.each([
    ['its fields flat, no type, no number', { code: 'rate_limit_exceeded', message: OPENAI_WORDS }],
    ['its fields flat, with its number', { code: 'rate_limit_exceeded', message: OPENAI_WORDS, param: null, sequence_number: 2 }],
  ])('tells the OpenAI client of a Responses `error` event whose data holds no "error" (%s) in the gateway’s words, booked with its code', async (_case, said) => {
    // Prepare: the event named by its line alone, its data without the text `"error"` anywhere.
    const errorEvent = `event: error\ndata: ${JSON.stringify(said)}\n\n`;
    expect(errorEvent).not.toContain('"error"');

    // Act
    const { thrown, line } = await responsesStreamEndingIn(errorEvent);

    // Assess
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect((thrown as Error).message).toBe(OPENAI_WORDS.replace(OPENAI_ORG, 'the provider account'));
    expect((thrown as InstanceType<typeof OpenAI.APIError>).code).toBe('rate_limit_exceeded');
    expect(line).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'rate_limit_exceeded', errorDetail: OPENAI_WORDS });
  });

  it.each([
    ['without usage (the relay re-frames events)', false],
    ['with usage (the upstream’s bytes go on as they are)', true],
  ])('raises an APIError in the OpenAI client on a Chat Completions `event: error` whose data holds no "error", in the gateway’s words, %s', async (_case, includeUsage) => {
    // Prepare: an OpenAI-compatible server that names its error on the event line, its fields flat.
    const chunk = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta: { role: 'assistant', content: 'Echo' }, finish_reason: null }] };
    const errorEvent = `event: error\ndata: ${JSON.stringify({ message: OPENAI_WORDS, code: 'rate_limit_exceeded' })}\n\n`;
    openai.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: [`data: ${JSON.stringify(chunk)}\n\n`, errorEvent] });
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const texts: string[] = [];

    // Act
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hello there' }], ...(includeUsage ? { stream_options: { include_usage: true } } : {}) })
      .withResponse();
    const thrown = await (async () => {
      for await (const c of stream) texts.push(c.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    const line = await accessLine(response.headers.get('x-request-id'));

    // Assess
    expect(texts.join('')).toBe('Echo');
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect((thrown as Error).message).toBe(OPENAI_WORDS.replace(OPENAI_ORG, 'the provider account'));
    expect((thrown as InstanceType<typeof OpenAI.APIError>).code).toBe('rate_limit_exceeded');
    expect(line).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'rate_limit_exceeded', errorDetail: OPENAI_WORDS });
  });

  it('raises in the Anthropic client on a mid-stream `event: error` whose data holds no "error" (its fields flat), in the gateway’s words', async () => {
    // Prepare: after the answer started (an error right after message_start is an early failure, a real HTTP error).
    const start = { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } } };
    const errorEvent = `event: error\ndata: ${JSON.stringify({ type: 'rate_limit_error', message: ANTHROPIC_WORDS })}\n\n`;
    const blockStart = { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } };
    anthropic.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: [`event: message_start\ndata: ${JSON.stringify(start)}\n\n`, `event: content_block_start\ndata: ${JSON.stringify(blockStart)}\n\n`, errorEvent] });

    // Act
    const { thrown, line } = await messagesStreamRead();

    // Assess
    expect(thrown).toBeInstanceOf(Anthropic.APIError);
    expect((thrown as InstanceType<typeof Anthropic.APIError>).error).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: ANTHROPIC_WORDS.replace(ANTHROPIC_ORG, 'the provider account') } });
    expect((thrown as Error).message).not.toContain(ANTHROPIC_ORG);
    expect(line).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'rate_limit_error', errorDetail: ANTHROPIC_WORDS });
  });

  it('raises in the Anthropic client on a mid-stream `event: error` naming the organisation, in the gateway’s words', async () => {
    // Prepare
    anthropic.reply({ kind: 'stream-error', afterEvents: 3, errorType: 'rate_limit_error', message: ANTHROPIC_WORDS });

    // Act
    const { thrown, line } = await messagesStreamRead();

    // Assess
    expect(thrown).toBeInstanceOf(Anthropic.APIError);
    const said = (thrown as InstanceType<typeof Anthropic.APIError>).error as { type: string; error: { type: string; message: string } };
    expect(said).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: ANTHROPIC_WORDS.replace(ANTHROPIC_ORG, 'the provider account') } });
    expect((thrown as Error).message).not.toContain(ANTHROPIC_ORG);
    expect(line).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'rate_limit_error', errorDetail: ANTHROPIC_WORDS });
  });

  it('passes an overloaded `event: error` on in Anthropic’s words, which name nothing of the operator’s', async () => {
    // Prepare
    anthropic.reply({ kind: 'stream-error', afterEvents: 2 });

    // Act
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-direct', stream: true, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = await res.text();
    const line = await accessLine(res.headers.get('x-request-id'));

    // Assess
    expect(body).toContain('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n');
    expect(line).toMatchObject({ outcome: 'upstream_error', errorCode: 'overloaded_error' });
    expect(line.errorDetail).toBeUndefined();
  });

  it('raises an ApiError in @google/genai on a quota error inside a Gemini stream, without the project', async () => {
    // Prepare
    gemini.reply({ kind: 'stream-error', afterEvents: 1, error: { code: 429, message: GOOGLE_WORDS, status: 'RESOURCE_EXHAUSTED' } });
    const requestIds: string[] = [];
    const ai = geminiClient(gw, key, {
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        requestIds.push(res.headers.get('x-request-id') ?? '');
        return res;
      },
    });
    const texts: string[] = [];

    // Act
    const thrown = await (async () => {
      for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hello there' })) texts.push(chunk.text ?? '');
    })().catch((e: unknown) => e);
    const line = await accessLine(requestIds[0]);

    // Assess
    expect(texts.length).toBe(1);
    expect(thrown).toBeInstanceOf(ApiError);
    expect((thrown as ApiError).status).toBe(429);
    expect((thrown as ApiError).message).toContain(GOOGLE_WORDS.replace(`project_number:${PROJECT_NUMBER}`, 'the provider account'));
    expect((thrown as ApiError).message).not.toContain(PROJECT_NUMBER);
    expect(line).toMatchObject({ status: 200, outcome: 'upstream_error', errorCode: 'resource_exhausted', errorDetail: GOOGLE_WORDS });
  });

  it('ends a Gemini JSON array stream with the error element in Google’s shape, without the project, as valid JSON', async () => {
    // Prepare
    gemini.reply({ kind: 'stream-error', afterEvents: 2, error: { code: 429, message: GOOGLE_WORDS, status: 'RESOURCE_EXHAUSTED' } });

    // Act
    const res = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hello there' }] }] }),
    });
    const body = await res.text();
    const line = await accessLine(res.headers.get('x-request-id'));

    // Assess
    const elements = JSON.parse(body) as Record<string, unknown>[];
    expect(elements).toHaveLength(3);
    expect(elements[2]).toEqual({ error: { code: 429, message: GOOGLE_WORDS.replace(`project_number:${PROJECT_NUMBER}`, 'the provider account'), status: 'RESOURCE_EXHAUSTED' } });
    expect(body).not.toContain(PROJECT_NUMBER);
    expect(line).toMatchObject({ outcome: 'upstream_error', errorDetail: GOOGLE_WORDS });
  });
});
