import type { ModelConfig } from '../config/schema';
import { GatewayError } from '../http/errors';
import { ComposedPolicies } from '../params/compose';
import type { CatalogModel } from '../routing/catalog';
import { newContext } from './context';
import { withParamPolicy, type AdmittedCall } from './model-call';
import { fuzzer } from '../../test/fuzz';

const SURFACES = ['openai', 'openai-responses', 'anthropic', 'gemini', 'openai-completions', 'openai-embeddings'];
const FIELDS = ['temperature', 'top_p', 'max_tokens', 'max_completion_tokens', 'max_output_tokens', 'reasoning_effort', 'reasoning', 'thinking', 'generationConfig', 'messages', 'stream'];


function randomBody(next: () => number): Record<string, unknown> {
  const values = [null, 0, 1, 0.5, 32000, 'low', true, { type: 'enabled', budget_tokens: 2000 }, { maxOutputTokens: 10 }, []];
  const body: Record<string, unknown> = { model: 'm' };
  for (const field of FIELDS) if (next() < 0.4) body[field] = values[Math.floor(next() * values.length)];
  return body;
}

function admitted(body: Record<string, unknown>, config: Partial<ModelConfig> = {}): AdmittedCall {
  const entry = { name: 'm', targets: [], pooled: false, config: { name: 'm', targets: [], promptCache: 'auto', ...config } } as unknown as CatalogModel;
  return { caller: { key: {} } as AdmittedCall['caller'], body, raw: Buffer.from(JSON.stringify(body)), model: 'm', entry };
}

describe('withParamPolicy', () => {
  it('hands back the very call, body and bytes, for any body of any surface when the model has no params, and logs nothing', () => {
    const { random: next } = fuzzer(20261127, { names: [], scalars: [] });
    const debug = jest.fn();

    for (let i = 0; i < 500; i++) {
      const call = admitted(randomBody(next));
      const ctx = newContext(`req_${i}`, SURFACES[i % SURFACES.length]!, new Date());

      const out = withParamPolicy(call, ctx, { logger: { debug, info: jest.fn(), warn: jest.fn(), error: jest.fn() } });

      expect(out).toBe(call);
      expect(ctx.params).toBeUndefined();
    }
    expect(debug).not.toHaveBeenCalled();
  });

  it('re-serialises a body the policy changed, notes what changed on the context and logs it', () => {
    const call = admitted({ model: 'm', max_tokens: 32000, temperature: 0.7, messages: [] }, { params: { force: { temperature: 0 }, caps: { maxOutputTokens: 8192 } } });
    const ctx = newContext('req_1', 'openai', new Date());
    const debug = jest.fn();

    const out = withParamPolicy(call, ctx, { logger: { debug, info: jest.fn(), warn: jest.fn(), error: jest.fn() } });

    expect(out.body).toEqual({ model: 'm', max_tokens: 8192, temperature: 0, messages: [] });
    expect(JSON.parse(Buffer.from(out.raw).toString())).toEqual(out.body);
    expect(call.body).toEqual({ model: 'm', max_tokens: 32000, temperature: 0.7, messages: [] });
    expect(ctx.params).toEqual(['maxOutputTokens:capped', 'temperature:forced']);
    expect(debug).toHaveBeenCalledWith('request parameters set by the model policy', expect.objectContaining({ requestId: 'req_1', params: ['maxOutputTokens:capped', 'temperature:forced'] }));
  });

  it('keeps the client’s bytes when the policy changes nothing', () => {
    const call = admitted({ model: 'm', max_tokens: 100, temperature: 0, messages: [] }, { params: { force: { temperature: 0 }, caps: { maxOutputTokens: 8192 } } });
    const ctx = newContext('req_2', 'openai', new Date());

    const out = withParamPolicy(call, ctx, { logger: { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() } });

    expect(out).toBe(call);
    expect(ctx.params).toBeUndefined();
  });
});

describe('withParamPolicy with a key\'s or team\'s policy', () => {
  const logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const paramPolicies = new ComposedPolicies({ ci: { force: { temperature: 0 } }, contractors: { caps: { maxOutputTokens: 4000 } } });
  const withCaller = (call: AdmittedCall, caller: object) => ({ ...call, caller: caller as AdmittedCall['caller'] });

  it('applies the key\'s policy on top of the model\'s: the lower cap, the key\'s forced value', () => {
    // Prepare
    const call = withCaller(admitted({ model: 'm', max_tokens: 32000, temperature: 0.7, messages: [] }, { params: { force: { temperature: 0.2 }, caps: { maxOutputTokens: 8192 } } }), { key: { params: 'ci' } });
    const ctx = newContext('req_1', 'openai', new Date());

    // Act
    const out = withParamPolicy(call, ctx, { logger, paramPolicies });

    // Assess
    expect(out.body).toEqual({ model: 'm', max_tokens: 8192, temperature: 0, messages: [] });
    expect(ctx.params).toEqual(['maxOutputTokens:capped', 'temperature:forced']);
  });

  it('applies a team\'s policy to its keys, and a key\'s own over it', () => {
    const body = { model: 'm', max_tokens: 32000, temperature: 0.7, messages: [] };
    const team = withParamPolicy(withCaller(admitted(body), { key: {}, team: { params: 'contractors' } }), newContext('r', 'openai', new Date()), { logger, paramPolicies });
    const own = withParamPolicy(withCaller(admitted(body), { key: { params: 'ci' }, team: { params: 'contractors' } }), newContext('r', 'openai', new Date()), { logger, paramPolicies });
    expect(team.body).toEqual({ ...body, max_tokens: 4000 });
    expect(own.body).toEqual({ ...body, temperature: 0 });
  });

  it('leaves a caller without a policy to the model\'s alone', () => {
    const call = withCaller(admitted({ model: 'm', max_tokens: 32000, messages: [] }), { key: {}, team: {} });
    expect(withParamPolicy(call, newContext('r', 'openai', new Date()), { logger, paramPolicies })).toBe(call);
  });

  it('refuses the calls of a key whose policy the config no longer has (fails closed)', () => {
    const call = withCaller(admitted({ model: 'm', messages: [] }), { key: { params: 'gone' } });
    let thrown: unknown;
    try {
      withParamPolicy(call, newContext('r', 'openai', new Date()), { logger });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect([(thrown as GatewayError).status, (thrown as GatewayError).code]).toEqual([403, 'param_policy_unknown']);
    expect((thrown as GatewayError).detail).toContain('paramPolicies has no policy "gone" (named by the key)');
  });
});
