import OpenAI, { toFile } from 'openai';
import { CLOSED_LOOPBACK_URLS } from '../fakes/closed-ports';
import { eventually, startHarness, type Harness } from './harness';


let h: Harness;
beforeAll(async () => {
  const [dead] = CLOSED_LOOPBACK_URLS;
  h = await startHarness({
    maxBodyBytes: 64 * 1024,
    config: ({ upstream, backup }) => ({
      providers: [
        { id: 'live', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }], timeouts: { headersMs: 300, idleMs: 300 } },
        { id: 'dead', type: 'openai-compatible', baseUrl: `${dead}/v1`, accounts: [{ id: 'a' }] },
        { id: 'spare', type: 'openai-compatible', baseUrl: backup, accounts: [{ id: 'b', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
      ],
      models: [
        { name: 'gpt-4o-mini', targets: [{ provider: 'live', model: 'gpt-4o-mini' }] },
        { name: 'gpt-4o-dead', targets: [{ provider: 'dead', model: 'x' }] },
        { name: 'gpt-4o-spare', targets: [{ provider: 'live', model: 'gpt-4o-mini' }, { provider: 'spare', model: 'gpt-4o-mini' }] },
      ],
      keyCache: { ttlSeconds: 0 },
      limits: { maxBodyBytes: 64 * 1024 },
    }),
  });
});
afterAll(async () => h.close());
beforeEach(() => {
  h.upstream.reset();
  h.backup.reset();
  h.health.clear();
});

const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'hi' }];

it('answers 413 to a body over the limit, before reading all of it', async () => {
  const err = await h
    .openai()
    .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] })
    .catch((e: unknown) => e);

  expect(err).toBeInstanceOf(OpenAI.APIError);
  expect(err).toMatchObject({ status: 413, code: 'request_too_large' });
  expect(h.upstream.requests).toHaveLength(0);
});

it('answers 413 to a Responses API body over the limit, as to chat', async () => {
  const err = await h
    .openai()
    .responses.create({ model: 'gpt-4o-mini', input: 'x'.repeat(100 * 1024) })
    .catch((e: unknown) => e);

  expect(err).toBeInstanceOf(OpenAI.APIError);
  expect(err).toMatchObject({ status: 413, code: 'request_too_large' });
  expect(h.upstream.requests).toHaveLength(0);
});

it('answers 413 to an upload over the limit, as to chat', async () => {
  const err = await h
    .openai()
    .audio.transcriptions.create({ model: 'gpt-4o-mini', file: await toFile(Buffer.alloc(100 * 1024), 'long.wav') })
    .catch((e: unknown) => e);

  expect(err).toBeInstanceOf(OpenAI.APIError);
  expect(err).toMatchObject({ status: 413, code: 'request_too_large' });
  expect(h.upstream.requests).toHaveLength(0);
});

it('answers 502 when the upstream cannot be reached', async () => {
  const err = await h
    .openai()
    .chat.completions.create({ model: 'gpt-4o-dead', messages })
    .catch((e: unknown) => e);

  expect(err).toBeInstanceOf(OpenAI.InternalServerError);
  expect(err).toMatchObject({ status: 502, code: 'upstream_unreachable' });
});

it('fails over to the next target when a whole answer breaks off before its end, and rests the account that broke off', async () => {
  // Prepare: the headers and part of the JSON, then the connection closes.
  h.upstream.reply({ kind: 'drop', afterChunks: 1 });
  const { id, key } = await h.createKey({ name: 'spare', models: ['gpt-4o-spare'] });

  // Act
  const answer = await h.openai({ apiKey: key }).chat.completions.create({ model: 'gpt-4o-spare', messages });

  // Assess: nothing had reached the client, so the next target answered; the account rests as one that failed to connect would.
  expect(answer.choices[0]!.message.content).toEqual(expect.any(String));
  expect(h.upstream.requests).toHaveLength(1);
  expect(h.backup.requests).toHaveLength(1);
  expect(h.health.isCooling('live/a')).toBe(true);
  expect(h.health.isCooling('spare/b')).toBe(false);
  await eventually(async () => expect(await h.usage(id)).toEqual([expect.objectContaining({ provider: 'spare', attempts: 2, status: 200, outcome: 'ok' })]));
});

it('answers 504 when the upstream sends no headers in time', async () => {
  h.upstream.reply({ kind: 'hang' });

  const err = await h
    .openai()
    .chat.completions.create({ model: 'gpt-4o-mini', messages })
    .catch((e: unknown) => e);

  expect(err).toBeInstanceOf(OpenAI.APIError);
  expect(err).toMatchObject({ status: 504, code: 'upstream_timeout' });
});

it('answers 504 to a stream whose upstream falls silent before its first event (nothing was sent yet)', async () => {
  h.upstream.reply({ kind: 'hang-after-headers' });

  const err = await h
    .openai()
    .chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true })
    .catch((e: unknown) => e);

  expect(err).toBeInstanceOf(OpenAI.APIError);
  expect(err).toMatchObject({ status: 504, code: 'upstream_timeout' });
});

it('ends a stream whose upstream falls silent after its first event with an error event', async () => {
  const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
  // The first chunk at 200 ms, then a second of silence (empty pieces are pauses), well past the idle timeout (300 ms).
  h.upstream.reply({ kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: [chunk('first'), '', '', '', '', chunk(' late')], delayMs: 200 });

  const stream = await h.openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
  const contents: string[] = [];
  const consume = async () => {
    for await (const part of stream) contents.push(part.choices[0]?.delta.content ?? '');
  };

  await expect(consume()).rejects.toThrow(/stopped sending|broke off/);
  expect(contents).toEqual(['first']);
});

it('refuses a key once it is revoked', async () => {
  const { id, key } = await h.createKey({ name: 'temp' });
  await h.openai({ apiKey: key }).chat.completions.create({ model: 'gpt-4o-mini', messages });

  await fetch(`${h.gw.url}/admin/keys/${id}/revoke`, { method: 'POST', headers: { authorization: 'Bearer test-admin-token' } });
  const err = await h
    .openai({ apiKey: key })
    .chat.completions.create({ model: 'gpt-4o-mini', messages })
    .catch((e: unknown) => e);

  expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
});

it('records a non-streaming request whose client left as aborted, and stops the upstream call', async () => {
  h.upstream.reply({ kind: 'hang' });
  const { id, key } = await h.createKey({ name: 'leaver' });
  const controller = new AbortController();

  const pending = h.openai({ apiKey: key }).chat.completions.create({ model: 'gpt-4o-mini', messages }, { signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  await pending.catch(() => undefined);

  await new Promise((r) => setTimeout(r, 100));
  const rows = await h.usage(id);
  expect(rows).toEqual([expect.objectContaining({ outcome: 'aborted', status: 499 })]);
  // Ended by the client's abort at ~100 ms, not by the provider's 300 ms header timeout.
  expect(rows[0]!.latencyMs).toBeLessThan(290);
});
