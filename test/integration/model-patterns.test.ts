import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { startHarness, eventually, type Harness } from './harness';

/**
 * A model named by a pattern (`claude-*`) serves model ids the config does not list: Claude Code
 * names its models by full id and moves to new ones as they ship, and the gateway keeps working.
 */
let h: Harness;
let claude: FakeAnthropic;
let coder: { id: string; key: string };

beforeAll(async () => {
  claude = await startFakeAnthropic();
  h = await startHarness({
    config: ({ upstream }) => ({
      providers: [
        { id: 'claude', type: 'anthropic', baseUrl: claude.url, accounts: [{ id: 'c', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'oai', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
      ],
      models: [
        { name: 'claude-opus-4-6', targets: [{ provider: 'claude', model: 'claude-opus-4-6-pinned' }] },
        { name: 'claude-*', targets: [{ provider: 'claude', model: 'claude-*' }] },
        { name: 'openai/*', targets: [{ provider: 'oai', model: '*' }] },
      ],
    }),
  });
  coder = await h.createKey({ name: 'claude-code', models: ['claude-*', 'openai/gpt-*'] });
});
afterAll(async () => {
  await h.close();
  await claude.close();
});
beforeEach(() => {
  claude.reset();
  h.upstream.reset();
});

describe('models named by a pattern', () => {
  it('passes a model id the config does not list to the pattern’s target, by its own name', async () => {
    // Act
    const message = await new Anthropic({ apiKey: coder.key, baseURL: h.gw.url, maxRetries: 0 }).messages.create({
      model: 'claude-sonnet-5-20270101',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hello' }],
    });

    // Assess
    expect(message.model).toBe('claude-sonnet-5-20270101');
    expect(claude.requests[0]!.body).toMatchObject({ model: 'claude-sonnet-5-20270101' });
    await eventually(async () => {
      expect((await h.usage(coder.id)).find((u) => u.model === 'claude-sonnet-5-20270101')).toMatchObject({ upstreamModel: 'claude-sonnet-5-20270101', provider: 'claude' });
    });
  });

  it('lets an exact name win over the pattern that matches it', async () => {
    await h.openai({ apiKey: coder.key }).chat.completions.create({ model: 'claude-opus-4-6', messages: [{ role: 'user', content: 'hi' }] });

    expect(claude.requests[0]!.body).toMatchObject({ model: 'claude-opus-4-6-pinned' });
  });

  it('strips a prefix for the target (`openai/*` → `*`), for the openai client too', async () => {
    const res = await h.openai({ apiKey: coder.key }).chat.completions.create({ model: 'openai/gpt-5-mini', messages: [{ role: 'user', content: 'hi' }] });

    expect(h.upstream.requests[0]!.body).toMatchObject({ model: 'gpt-5-mini' });
    expect(res.choices[0]?.message.content).toBe('Echo: hi');
  });

  it('holds keys to their patterns by the concrete name', async () => {
    const error = await h
      .openai({ apiKey: coder.key })
      .chat.completions.create({ model: 'openai/o3', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(h.upstream.requests).toHaveLength(0);
  });

  it('retrieves a matching model, and lists only the exact names', async () => {
    const client = h.openai({ apiKey: coder.key });

    const model = await client.models.retrieve('claude-haiku-9');
    const listed = [];
    for await (const m of client.models.list()) listed.push(m.id);

    expect(model.id).toBe('claude-haiku-9');
    expect(listed).toEqual(['claude-opus-4-6']);
  });

  it('answers 404 for a name no exact name nor pattern matches', async () => {
    const error = await h
      .openai({ apiKey: coder.key })
      .chat.completions.create({ model: 'gemini-3-pro', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
  });
});
