import { parseConfig } from '../config/load';
import type { ParamPolicyConfig } from '../config/schema';
import { ComposedPolicies, composePolicies, type NamedParamPolicy } from './compose';

const base = { providers: [{ id: 'o', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'K' } }] }], models: [{ name: 'm', targets: [{ provider: 'o', model: 'm' }] }] };

describe('composePolicies: the model\'s policy, then the key\'s or team\'s', () => {
  it.each<[string, ParamPolicyConfig | undefined, NamedParamPolicy, ParamPolicyConfig]>([
    ['the key\'s alone where the model has none', undefined, { force: { temperature: 0 } }, { force: { temperature: 0 } }],
    ['the lower of two caps', { caps: { maxOutputTokens: 8192 } }, { caps: { maxOutputTokens: 4000 } }, { caps: { maxOutputTokens: 4000 } }],
    ['the model\'s cap when it is the lower', { caps: { maxOutputTokens: 2000 } }, { caps: { maxOutputTokens: 4000 } }, { caps: { maxOutputTokens: 2000 } }],
    ['the key\'s force over the model\'s', { force: { temperature: 0.7, topP: 0.9 } }, { force: { temperature: 0 } }, { force: { temperature: 0, topP: 0.9 } }],
    ['the key\'s force over the model\'s default', { defaults: { temperature: 0.7, reasoningEffort: 'low' } }, { force: { temperature: 0 } }, { defaults: { reasoningEffort: 'low' }, force: { temperature: 0 } }],
    ['the key\'s default over the model\'s', { defaults: { temperature: 0.7 } }, { defaults: { temperature: 0.2 } }, { defaults: { temperature: 0.2 } }],
    ['the model\'s force over the key\'s default', { force: { temperature: 0.7 } }, { defaults: { temperature: 0.2 } }, { force: { temperature: 0.7 } }],
    ['a forced limit lowered to the other\'s cap', { caps: { maxOutputTokens: 1000 } }, { force: { maxOutputTokens: 4000 } }, { force: { maxOutputTokens: 1000 } }],
    ['a forced limit under the other\'s cap, which it makes moot', { force: { maxOutputTokens: 500 } }, { caps: { maxOutputTokens: 4000 } }, { force: { maxOutputTokens: 500 } }],
    ['the model\'s unsupported kept', { unsupported: 'pass' }, { force: { temperature: 0 } }, { force: { temperature: 0 }, unsupported: 'pass' }],
  ])('takes %s', (_case, model, own, expected) => {
    expect(composePolicies(model, own)).toEqual(expected);
  });
});

describe('ComposedPolicies', () => {
  it('composes each pair once and hands back the same policy after', () => {
    // Prepare
    const model = { caps: { maxOutputTokens: 8192 } };
    const policies = new ComposedPolicies({ ci: { force: { temperature: 0 } } });

    // Act
    const first = policies.of(model, 'ci');
    const again = policies.of(model, 'ci');

    // Assess
    expect(first).toEqual({ force: { temperature: 0 }, caps: { maxOutputTokens: 8192 } });
    expect(again).toBe(first);
    expect(policies.of(undefined, 'ci')).toEqual({ force: { temperature: 0 } });
  });

  it('has nothing for a name the config does not have, nor for a prototype\'s', () => {
    const policies = new ComposedPolicies({ ci: {} });
    expect(policies.of(undefined, 'contractors')).toBeUndefined();
    expect(policies.of(undefined, 'constructor')).toBeUndefined();
    expect(policies.has('ci')).toBe(true);
  });
});

describe('the config of paramPolicies', () => {
  it('takes named policies with defaults, force and caps', () => {
    const config = parseConfig({ ...base, paramPolicies: { ci: { force: { temperature: 0 } }, contractors: { caps: { maxOutputTokens: 4000 } } } });
    expect(Object.keys(config.paramPolicies!)).toEqual(['ci', 'contractors']);
  });

  it.each([
    ['a value out of range', { ci: { force: { temperature: 3 } } }, 'paramPolicies.ci.force.temperature: paramPolicies.<name>.force.temperature is at most 2'],
    ['a parameter in both defaults and force', { ci: { defaults: { topP: 0.5 }, force: { topP: 1 } } }, 'paramPolicies.ci.force.topP: paramPolicies.<name>: topP is in both defaults and force'],
    ['unsupported, which is the model\'s', { ci: { unsupported: 'pass' } }, "paramPolicies.ci.unsupported: paramPolicies.<name>.unsupported is a model's own"],
    ['an unknown parameter', { ci: { force: { seed: 1 } } }, 'paramPolicies.ci.force'],
    ['a reserved name', { off: {} }, 'paramPolicies.off: paramPolicies: "off" is kept for the switch'],
    ['a name that is not one', { 'CI policy': {} }, 'paramPolicies.CI policy: paramPolicies: "CI policy" is not a name'],
    ['more than 32 policies', Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`p${i}`, {}])), 'paramPolicies: paramPolicies holds at most 32 policies'],
  ])('refuses %s, naming the field', (_case, paramPolicies, message) => {
    expect(() => parseConfig({ ...base, paramPolicies })).toThrow(message);
  });
});
