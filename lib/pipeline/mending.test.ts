import type { ModelConfig, ProviderConfig } from '../config/schema';
import type { Attempt } from '../routing/attempts';
import type { CatalogModel, Target } from '../routing/catalog';
import { newContext } from './context';
import type { AdmittedCall } from './model-call';
import { mendedCall, mendingFor } from './mending';

const openaiProvider = { id: 'up', type: 'openai', baseUrl: 'http://127.0.0.1:1/v1', accounts: [] } as unknown as ProviderConfig;
const azureProvider = { id: 'az', type: 'azure-openai', baseUrl: 'http://127.0.0.1:2', accounts: [] } as unknown as ProviderConfig;
const account = { id: 'a', weight: 1 } as Attempt['account'];

/** An admitted call of a model whose targets are `targets` (each with its config's `capabilities`). */
function admitted(body: Record<string, unknown>, targets: { provider: ProviderConfig; model: string; capabilities?: { reasoning: boolean } }[], config: Partial<ModelConfig> = {}): AdmittedCall {
  const catalogTargets = targets.map((t) => ({ provider: t.provider, accounts: [account], model: t.model })) as unknown as Target[];
  const configTargets = targets.map((t) => ({ provider: t.provider.id, model: t.model, ...(t.capabilities ? { capabilities: t.capabilities } : {}) }));
  const entry = { name: 'm', targets: catalogTargets, pooled: false, config: { name: 'm', targets: configTargets, promptCache: 'auto', ...config } } as unknown as CatalogModel;
  return { caller: {} as AdmittedCall['caller'], body, raw: Buffer.from(JSON.stringify(body)), model: 'm', entry };
}
const attemptOf = (call: AdmittedCall, i: number): Attempt => ({ provider: call.entry.targets[i]!.provider, account, model: call.entry.targets[i]!.model });
const logger = () => ({ debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() });

describe('mendingFor', () => {
  it('mends a chat body for an o3 target, adds what it changed after the policy’s in the record, and logs it', () => {
    const call = admitted({ model: 'm', max_tokens: 100, temperature: 0 }, [{ provider: openaiProvider, model: 'o3' }]);
    const ctx = newContext('req_1', 'openai', new Date());
    ctx.params = ['temperature:forced'];
    const log = logger();

    const mended = mendingFor(call, attemptOf(call, 0), 'openai', ctx, { logger: log })!(call.body);

    expect(mended).toEqual({ model: 'm', max_completion_tokens: 100 });
    expect(ctx.params).toEqual(['temperature:forced', 'maxOutputTokens:renamed', 'temperature:dropped']);
    expect(log.debug).toHaveBeenCalledWith('request parameters mended for the target model', expect.objectContaining({ requestId: 'req_1', upstreamModel: 'o3', params: ['maxOutputTokens:renamed', 'temperature:dropped'] }));
  });

  it('hands back the very body, and records and logs nothing, when nothing needs mending', () => {
    const call = admitted({ model: 'm', max_completion_tokens: 100 }, [{ provider: openaiProvider, model: 'o3' }]);
    const ctx = newContext('req_2', 'openai', new Date());
    const log = logger();

    const out = mendingFor(call, attemptOf(call, 0), 'openai', ctx, { logger: log })!(call.body);

    expect(out).toBe(call.body);
    expect(ctx.params).toBeUndefined();
    expect(log.debug).not.toHaveBeenCalled();
  });

  it('finds a target’s own capabilities by its place among the model’s targets', () => {
    const call = admitted({ model: 'm', max_tokens: 5 }, [
      { provider: azureProvider, model: 'prod-chat' },
      { provider: azureProvider, model: 'prod-reasoner', capabilities: { reasoning: true } },
    ]);
    const ctx = newContext('req_3', 'openai', new Date());

    expect(mendingFor(call, attemptOf(call, 0), 'openai', ctx, { logger: logger() })).toBeUndefined();
    expect(mendingFor(call, attemptOf(call, 1), 'openai', ctx, { logger: logger() })!(call.body)).toEqual({ model: 'm', max_completion_tokens: 5 });
  });

  it.each<[string, string, ProviderConfig, string, Partial<ModelConfig>]>([
    ['the model says unsupported: "pass"', 'openai', openaiProvider, 'o3', { params: { unsupported: 'pass' } }],
    ['the surface is not the OpenAI dialect’s', 'anthropic', openaiProvider, 'o3', {}],
    ['the table does not know the model', 'openai', openaiProvider, 'my-fine-model', {}],
    ['an Azure deployment named for nothing, without capabilities', 'openai', azureProvider, 'prod-reasoner', {}],
  ])('mends nothing when %s', (_case, surface, provider, model, config) => {
    const call = admitted({ model: 'm', max_tokens: 5, temperature: 0.2 }, [{ provider, model }], config);

    expect(mendingFor(call, attemptOf(call, 0), surface, newContext('req_4', surface, new Date()), { logger: logger() })).toBeUndefined();
  });

  it('hands a passthrough the very call, the client’s bytes and all, when its body needs nothing, and a re-serialised one when it was mended', () => {
    const taken = admitted({ model: 'm', max_completion_tokens: 10 }, [{ provider: openaiProvider, model: 'o3' }]);
    const mendable = admitted({ model: 'm', max_tokens: 10 }, [{ provider: openaiProvider, model: 'o3' }]);
    const ctx = newContext('req_5', 'openai', new Date());

    const same = mendedCall(taken, attemptOf(taken, 0), 'openai', ctx, { logger: logger() });
    const mended = mendedCall(mendable, attemptOf(mendable, 0), 'openai', ctx, { logger: logger() });

    expect(same).toBe(taken);
    expect(mended.body).toEqual({ model: 'm', max_completion_tokens: 10 });
    expect(JSON.parse(Buffer.from(mended.raw).toString())).toEqual(mended.body);
    expect(mendable.body).toEqual({ model: 'm', max_tokens: 10 });
  });
});
