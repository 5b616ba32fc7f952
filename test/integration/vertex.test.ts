/**
 * Vertex AI through the gateway: Claude and Gemini in a Google Cloud project, called with access
 * tokens the gateway gets for its service accounts from a fake Google OAuth endpoint (which checks
 * the signed assertion) and sends to a fake Vertex (which checks the token, the grant, the path
 * and Claude's body). Callers are the official clients: Anthropic's (and a replayed Claude Code
 * request), OpenAI's (translated to both publishers) and Google's (Gemini passed through).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { parseConfig } from '../../lib/config/load';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import type { GatewayLogger } from '../../lib/observe/logger';
import { AccountHealth } from '../../lib/routing/health';
import { CLOUD_PLATFORM, startFakeGoogleOAuth, testServiceAccount, type FakeGoogleOAuth, type TestServiceAccount } from '../fakes/google-oauth';
import { startFakeVertex, type FakeVertex } from '../fakes/vertex';
import { loadFixture, replayHeaders } from './claude-code/fixtures';
import { geminiClient } from './harness';

const PROJECT = 'aigw-prod-4821';
const EU_PROJECT = 'aigw-eu-7310';
const CLAUDE = 'claude-sonnet-4-6';
const GEMINI = 'gemini-2.5-flash';
/** Tokens live two seconds here (the cache's margins shrink with the lifetime). */
const TOKEN_LIFETIME_S = 2;
const claudePath = (project: string, region: string, method: string, model = CLAUDE) => `/v1/projects/${project}/locations/${region}/publishers/anthropic/models/${model}:${method}`;
const geminiPath = (method: string) => `/v1/projects/${PROJECT}/locations/us-east5/publishers/google/models/${GEMINI}:${method}`;

describe('Vertex AI through the gateway', () => {
  let main: TestServiceAccount;
  let eu: TestServiceAccount;
  let deleted: TestServiceAccount;
  let google: FakeGoogleOAuth;
  let vertex: FakeVertex;
  let gw: LocalGateway;
  let key: string;
  const logged: string[] = [];
  const health = new AccountHealth();
  /**
   * The gateway's clock, which the fake Google's tokens expire by too. It stands still until a test
   * moves it: a token lapses when the test says so, not when a loaded machine gets round to a
   * timer, and none lapses between the gateway taking it and Vertex checking it.
   */
  let nowMs = Date.now();
  const clock = () => nowMs;

  beforeAll(async () => {
    main = testServiceAccount(`aigw-gateway@${PROJECT}.iam.gserviceaccount.com`);
    eu = testServiceAccount(`aigw-gateway@${EU_PROJECT}.iam.gserviceaccount.com`);
    deleted = testServiceAccount(`aigw-old@${PROJECT}.iam.gserviceaccount.com`);
    google = await startFakeGoogleOAuth({ accounts: [main, eu], expiresInS: TOKEN_LIFETIME_S, now: clock });
    vertex = await startFakeVertex({ oauth: google, grants: { [PROJECT]: [main.clientEmail, deleted.clientEmail], [EU_PROJECT]: [eu.clientEmail] } });
    const record = (level: string) => (...args: unknown[]) => void logged.push(`${level} ${JSON.stringify(args)}`);
    const logger: GatewayLogger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    gw = await startLocalGateway({
      config: parseConfig({
        providers: [
          { id: 'vertex', type: 'vertex', project: PROJECT, region: 'us-east5', baseUrl: vertex.url, accounts: [{ id: 'main', serviceAccount: { env: 'SA_MAIN' } }] },
          {
            id: 'vertex-pool',
            type: 'vertex',
            project: PROJECT,
            region: 'global',
            baseUrl: vertex.url,
            accounts: [
              { id: 'old', serviceAccount: { env: 'SA_DELETED' } },
              { id: 'eu', serviceAccount: { env: 'SA_EU' }, project: EU_PROJECT, region: 'europe-west1' },
            ],
          },
        ],
        models: [
          { name: 'claude-sonnet-4-6', targets: [{ provider: 'vertex', model: CLAUDE }] },
          { name: 'gemini-2.5-flash', targets: [{ provider: 'vertex', model: GEMINI }] },
          { name: 'text-embedding-005', targets: [{ provider: 'vertex', model: 'text-embedding-005' }] },
          {
            name: 'claude-regions',
            targets: [
              { provider: 'vertex', model: CLAUDE },
              { provider: 'vertex-pool', model: CLAUDE, accounts: ['eu'] },
            ],
          },
          {
            name: 'claude-pool',
            targets: [
              { provider: 'vertex-pool', model: CLAUDE, accounts: ['old'] },
              { provider: 'vertex-pool', model: CLAUDE, accounts: ['eu'] },
            ],
          },
        ],
      }),
      adminToken: 'admin',
      now: clock,
      store: { embedded: undefined },
      shareHealth: false,
      health,
      logger,
      credentials: new LocalCredentials({ SA_MAIN: main.keyJson(google.tokenUri), SA_EU: eu.keyJson(google.tokenUri), SA_DELETED: deleted.keyJson(google.tokenUri) }),
    });
    const created = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: 'Bearer admin' }, body: '{"name":"vertex"}' });
    key = ((await created.json()) as { key: string }).key;
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([google.close(), vertex.close()]);
  });
  beforeEach(() => vertex.reset());

  const anthropic = () => new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0 });
  const openai = () => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const genai = () => geminiClient(gw, key);
  const bearerAt = (i = -1) => /^Bearer (.+)$/.exec(String(vertex.requests.at(i)?.headers.authorization ?? ''))?.[1];
  const issuedTo = (sa: TestServiceAccount) => google.issued.filter((t) => t.clientEmail === sa.clientEmail).map((t) => t.token);

  describe('Claude, from Anthropic’s client (passed through)', () => {
    it('answers with a token of the service account, signed as Google checks, and Vertex’s body', async () => {
      // Act
      const message = await anthropic().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });

      // Assess
      expect(message.content).toEqual([{ type: 'text', text: 'Echo: hi' }]);
      const [sent] = vertex.requests;
      expect(sent!.path).toBe(claudePath(PROJECT, 'us-east5', 'rawPredict'));
      expect(sent!.body).toEqual({ max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], anthropic_version: 'vertex-2023-10-16' });
      expect(sent!.serviceAccount).toBe(main.clientEmail);
      expect(issuedTo(main)).toContain(bearerAt());
      // The assertion Google took: the account as iss and sub, this endpoint as aud, cloud-platform, an hour at most.
      const assertion = new URLSearchParams(google.requests[0]!.rawBody).get('assertion')!;
      const claims = JSON.parse(Buffer.from(assertion.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      expect(claims).toMatchObject({ iss: main.clientEmail, sub: main.clientEmail, aud: google.tokenUri, scope: CLOUD_PLATFORM });
      expect(Number(claims.exp) - Number(claims.iat)).toBeLessThanOrEqual(3600);
    });

    it('streams on streamRawPredict, with the client’s anthropic-beta header', async () => {
      // Act
      const stream = anthropic().messages.stream(
        { model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'stream me' }] },
        { headers: { 'anthropic-beta': 'interleaved-thinking-2025-05-14' } },
      );
      const message = await stream.finalMessage();

      // Assess
      expect(message.content).toEqual([{ type: 'text', text: 'Echo: stream me' }]);
      expect(message.usage.output_tokens).toBe(5);
      const [sent] = vertex.requests;
      expect(sent!.path).toBe(claudePath(PROJECT, 'us-east5', 'streamRawPredict'));
      expect(sent!.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
      expect(sent!.body).toMatchObject({ stream: true, anthropic_version: 'vertex-2023-10-16' });
    });

    it('replays a Claude Code request: its body goes up whole but for model and version, with the betas Vertex takes', async () => {
      // Prepare
      const fixture = loadFixture('cc-1.0.6-first-turn');
      const body = { ...fixture.request.body, model: 'claude-sonnet-4-6' };

      // Act
      const res = await fetch(`${gw.url}${fixture.request.path}`, { method: 'POST', headers: replayHeaders(fixture, 'bearer', key), body: JSON.stringify(body) });
      const sse = await res.text();

      // Assess
      expect(res.status).toBe(200);
      expect(sse).toContain('event: message_stop');
      const [sent] = vertex.requests;
      const { model: _model, ...rest } = body;
      expect(sent!.path).toBe(claudePath(PROJECT, 'us-east5', body.stream ? 'streamRawPredict' : 'rawPredict'));
      expect(sent!.body).toEqual({ ...rest, anthropic_version: 'vertex-2023-10-16' });
      // Claude Code sends claude-code-… and oauth-… as well: Vertex refuses the request for either.
      expect(fixture.request.headers['anthropic-beta']).toContain('claude-code-20250219');
      expect(sent!.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
      expect(sent!.headers['x-api-key']).toBeUndefined();
    });

    it('counts tokens on Vertex’s count-tokens endpoint, naming the model in the body', async () => {
      // Act: with Claude Code's betas, of which Vertex takes one.
      const counted = await anthropic().messages.countTokens(
        { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'count me' }] },
        { headers: { 'anthropic-beta': 'claude-code-20250219,oauth-2025-04-20,context-1m-2025-08-07' } },
      );

      // Assess
      expect(counted.input_tokens).toBeGreaterThan(0);
      const [sent] = vertex.requests;
      expect(sent!.path).toBe(claudePath(PROJECT, 'us-east5', 'rawPredict', 'count-tokens'));
      expect(sent!.body).toMatchObject({ model: CLAUDE, anthropic_version: 'vertex-2023-10-16' });
      expect(sent!.headers['anthropic-beta']).toBe('context-1m-2025-08-07');
    });

    it('tries the next target when the model is not in one account’s region (Vertex’s 404), as it is no fault of the client', async () => {
      // Prepare
      vertex.reply((req) => (req.region === 'us-east5' ? { kind: 'error', status: 404 } : { kind: 'text', text: 'from Europe' }));

      // Act
      const message = await anthropic().messages.create({ model: 'claude-regions', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

      // Assess
      expect(message.content).toEqual([{ type: 'text', text: 'from Europe' }]);
      expect(vertex.requests.map((r) => r.region)).toEqual(['us-east5', 'europe-west1']);
    });

    it('reports Claude’s 529 as the overloaded 503 it is elsewhere', async () => {
      // Prepare
      vertex.reply({ kind: 'error', status: 529 });

      // Act
      const err = await anthropic().messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);

      // Assess
      expect(err).toBeInstanceOf(Anthropic.APIError);
      expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(503);
    });
  });

  describe('from OpenAI’s client (translated)', () => {
    it.each([
      ['Claude', 'claude-sonnet-4-6', claudePath(PROJECT, 'us-east5', 'rawPredict')],
      ['Gemini', 'gemini-2.5-flash', geminiPath('generateContent')],
    ])('answers a chat call on %s', async (_name, model, path) => {
      // Act
      const completion = await openai().chat.completions.create({ model, messages: [{ role: 'user', content: 'hello there' }] });

      // Assess
      expect(completion.choices[0]!.message.content).toBe('Echo: hello there');
      expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
      expect(vertex.requests[0]!.path).toBe(path);
      expect(vertex.requests[0]!.serviceAccount).toBe(main.clientEmail);
    });

    it.each([
      ['Claude', 'claude-sonnet-4-6', claudePath(PROJECT, 'us-east5', 'streamRawPredict'), ''],
      ['Gemini', 'gemini-2.5-flash', geminiPath('streamGenerateContent'), '?alt=sse'],
    ])('streams a chat call on %s', async (_name, model, path, search) => {
      // Act
      const stream = await openai().chat.completions.create({ model, messages: [{ role: 'user', content: 'stream this' }], stream: true, stream_options: { include_usage: true } });
      let text = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        usage ??= chunk.usage;
      }

      // Assess
      expect(text).toBe('Echo: stream this');
      expect(usage?.completion_tokens).toBeGreaterThan(0);
      expect(vertex.requests[0]!.path).toBe(path);
      expect(vertex.requests[0]!.search).toBe(search);
    });

    it('lets an account rest for the delay of Vertex’s 429 RESOURCE_EXHAUSTED, and tells the client to retry after it', async () => {
      // Prepare
      health.clear();
      vertex.reply({ kind: 'error', status: 429, retryDelay: '7s' });

      // Act
      const err = await openai().chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);

      // Assess
      expect(err).toMatchObject({ status: 429 });
      expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('7');
      expect(logged.some((l) => l.includes('account resting') && l.includes('"account":"main"') && l.includes('"failure":"rate_limited"') && l.includes('"restMs":7000'))).toBe(true);
      health.clear();
    });
  });

  describe('across publishers (translated)', () => {
    it('answers Google’s client from Claude on Vertex', async () => {
      // Act
      const response = await genai().models.generateContent({ model: 'claude-sonnet-4-6', contents: 'from gemini' });

      // Assess
      expect(response.text).toBe('Echo: from gemini');
      expect(vertex.requests[0]!.path).toBe(claudePath(PROJECT, 'us-east5', 'rawPredict'));
      expect(vertex.requests[0]!.body).toMatchObject({ anthropic_version: 'vertex-2023-10-16', messages: [{ role: 'user', content: [{ type: 'text', text: 'from gemini' }] }] });
    });

    it('answers Anthropic’s client from Gemini on Vertex, streamed', async () => {
      // Act
      const message = await anthropic().messages.stream({ model: 'gemini-2.5-flash', max_tokens: 64, messages: [{ role: 'user', content: 'from claude' }] }).finalMessage();

      // Assess
      expect(message.content).toEqual([{ type: 'text', text: 'Echo: from claude' }]);
      expect(vertex.requests[0]!.path).toBe(geminiPath('streamGenerateContent'));
    });
  });

  describe('embeddings, from OpenAI’s client (translated)', () => {
    it('embeds texts with predict, at unit length, with the tokens Vertex counted', async () => {
      // Act
      const answer = await openai().embeddings.create({ model: 'text-embedding-005', input: ['first text', 'the second text'], dimensions: 64 });

      // Assess
      expect(answer.data.map((d) => d.embedding.length)).toEqual([64, 64]);
      const norm = Math.hypot(...answer.data[0]!.embedding);
      expect(norm).toBeCloseTo(1, 5);
      expect(answer.usage.prompt_tokens).toBe(Math.ceil('first text'.length / 4) + Math.ceil('the second text'.length / 4));
      const [sent] = vertex.requests;
      expect(sent!.path).toBe(`/v1/projects/${PROJECT}/locations/us-east5/publishers/google/models/text-embedding-005:predict`);
      expect(sent!.body).toEqual({ instances: [{ content: 'first text' }, { content: 'the second text' }], parameters: { autoTruncate: false, outputDimensionality: 64 } });
      expect(sent!.serviceAccount).toBe(main.clientEmail);
    });

    it('embeds 250 Japanese texts in calls that stay within Vertex’s 20 000 tokens', async () => {
      // Prepare: 150 characters each, a token or so apiece: ~37 500 tokens in all, ~9 400 by four characters a token.
      const input = Array.from({ length: 250 }, (_, i) => `${'日本語の文章を埋め込みます。'.repeat(10)}${String(i).padStart(10, '〇')}`);

      // Act
      const answer = await openai().embeddings.create({ model: 'text-embedding-005', input });

      // Assess
      expect(answer.data).toHaveLength(250);
      expect(vertex.requests.length).toBeGreaterThan(1);
      expect(vertex.requests.reduce((n, r) => n + (r.body as { instances: unknown[] }).instances.length, 0)).toBe(250);
    });
  });

  describe('Gemini, from Google’s client (passed through)', () => {
    it('answers generateContent with the client’s body as it was sent', async () => {
      // Act
      const response = await genai().models.generateContent({ model: 'gemini-2.5-flash', contents: 'Say hello', config: { temperature: 0.2 } });

      // Assess
      expect(response.text).toBe('Echo: Say hello');
      const [sent] = vertex.requests;
      expect(sent!.path).toBe(geminiPath('generateContent'));
      expect(sent!.body).toMatchObject({ contents: [{ role: 'user', parts: [{ text: 'Say hello' }] }], generationConfig: { temperature: 0.2 } });
      expect(sent!.headers['x-goog-api-key']).toBeUndefined();
    });

    it('streams generateContentStream over SSE', async () => {
      // Act
      let text = '';
      for await (const chunk of await genai().models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'one two three' })) text += chunk.text ?? '';

      // Assess
      expect(text).toBe('Echo: one two three');
      expect(vertex.requests[0]!.path).toBe(geminiPath('streamGenerateContent'));
      expect(vertex.requests[0]!.search).toBe('?alt=sse');
    });

    it('streams the JSON array Vertex’s REST documentation calls (no alt=sse), asking Vertex the same way', async () => {
      // Act
      const res = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': key },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'one two three' }] }] }),
      });
      let text = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += Buffer.from(chunk).toString();

      // Assess
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const elements = JSON.parse(text) as { candidates: { content: { parts: { text: string }[] }; finishReason?: string }[]; usageMetadata?: { promptTokenCount: number } }[];
      expect(elements.map((e) => e.candidates[0]!.content.parts.map((p) => p.text).join('')).join('')).toBe('Echo: one two three');
      expect(elements.at(-1)!.candidates[0]!.finishReason).toBe('STOP');
      expect(elements.at(-1)!.usageMetadata!.promptTokenCount).toBeGreaterThan(0);
      expect(vertex.requests[0]!.path).toBe(geminiPath('streamGenerateContent'));
      expect(vertex.requests[0]!.search ?? '').toBe('');
    });

    it('counts tokens on Vertex’s countTokens', async () => {
      // Act
      const counted = await genai().models.countTokens({ model: 'gemini-2.5-flash', contents: 'count these words' });

      // Assess
      expect(counted.totalTokens).toBeGreaterThan(0);
      expect(vertex.requests[0]!.path).toBe(geminiPath('countTokens'));
    });
  });

  describe('tokens and accounts', () => {
    it('fetches a new token when the last one expired between two calls', async () => {
      // Prepare
      await openai().chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'first' }] });
      const first = bearerAt()!;

      // Act: the token's life runs out.
      nowMs += TOKEN_LIFETIME_S * 1000;
      const later = await openai().chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'second' }] });

      // Assess
      expect(later.choices[0]!.message.content).toBe('Echo: second');
      const second = bearerAt()!;
      expect(second).not.toBe(first);
      expect(google.holder(first)).toBeUndefined();
      expect(issuedTo(main).at(-1)).toBe(second);
    });

    it('asks Google once for concurrent calls that all need a token', async () => {
      // Prepare: let the cached token lapse.
      nowMs += TOKEN_LIFETIME_S * 1000;
      const before = google.requests.length;

      // Act
      await Promise.all(Array.from({ length: 5 }, (_, i) => openai().chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: `call ${i}` }] })));

      // Assess
      expect(google.requests.length - before).toBe(1);
      expect(new Set(vertex.requests.map((r) => r.headers.authorization))).toEqual(new Set([`Bearer ${issuedTo(main).at(-1)}`]));
    });

    it('fails over from a service account whose key Google refuses to another account, and lets the refused one rest', async () => {
      // Prepare
      health.clear();
      const refusedBefore = google.refused.length;

      // Act
      const first = await anthropic().messages.create({ model: 'claude-pool', max_tokens: 16, messages: [{ role: 'user', content: 'one' }] });
      const second = await anthropic().messages.create({ model: 'claude-pool', max_tokens: 16, messages: [{ role: 'user', content: 'two' }] });

      // Assess
      expect([first.content, second.content]).toEqual([[{ type: 'text', text: 'Echo: one' }], [{ type: 'text', text: 'Echo: two' }]]);
      expect(vertex.requests.map((r) => [r.serviceAccount, r.path])).toEqual([
        [eu.clientEmail, claudePath(EU_PROJECT, 'europe-west1', 'rawPredict')],
        [eu.clientEmail, claudePath(EU_PROJECT, 'europe-west1', 'rawPredict')],
      ]);
      // The refused account was asked for once; resting, it came after the healthy one the second time.
      expect(google.refused.slice(refusedBefore)).toEqual(['Invalid JWT Signature.']);
      expect(logged.some((l) => l.includes('account resting') && l.includes('"account":"old"') && l.includes('"failure":"auth"'))).toBe(true);
      expect(logged.some((l) => l.includes(`Google refused the token request of service account ${deleted.clientEmail} (400 invalid_grant: Invalid JWT Signature.)`))).toBe(true);
    });

    it('logs neither a key nor a token', () => {
      // Assess: the cases above logged refusals, rests and access lines.
      const all = logged.join('\n');
      expect(all.length).toBeGreaterThan(0);
      expect(all).not.toContain('PRIVATE KEY');
      for (const { token } of google.issued) expect(all).not.toContain(token);
    });
  });
});
