import type { GatewayConfig, ParamPolicyConfig } from '../config/schema';

/** A named policy a key or team may carry (`paramPolicies.<name>`). */
export type NamedParamPolicy = NonNullable<GatewayConfig['paramPolicies']>[string];

/**
 * A model's policy with a key's or team's on top, as one policy `applyParams` runs in one pass:
 * a forced value of the key's wins over the model's force and default; a default of the key's
 * over the model's default; of two caps the lower holds, and holds over a forced output limit
 * too (the model's cap is the operator's ceiling for that model, the key's for that caller: a
 * forced value above either is lowered to it). The model's `unsupported` stays its own. Pure.
 *
 * @example
 * composePolicies({ force: { temperature: 0.2 }, caps: { maxOutputTokens: 8192 } }, { force: { temperature: 0 }, caps: { maxOutputTokens: 4000 } })
 * // { force: { temperature: 0 }, caps: { maxOutputTokens: 4000 } }
 */
export function composePolicies(model: ParamPolicyConfig | undefined, own: NamedParamPolicy): ParamPolicyConfig {
  const force = { ...model?.force, ...own.force };
  const defaults = { ...model?.defaults, ...own.defaults };
  // A forced value leaves no default to fill (the schema refuses both in one policy; here they come from two).
  for (const name of Object.keys(force) as (keyof typeof force)[]) delete defaults[name];
  const caps = [model?.caps?.maxOutputTokens, own.caps?.maxOutputTokens].filter((cap): cap is number => cap !== undefined);
  const cap = caps.length > 0 ? Math.min(...caps) : undefined;
  // `applyParams` writes a forced value and stops there: a cap beside it is folded into it.
  if (cap !== undefined && force.maxOutputTokens !== undefined) force.maxOutputTokens = Math.min(force.maxOutputTokens, cap);
  return {
    ...(Object.keys(defaults).length > 0 ? { defaults } : {}),
    ...(Object.keys(force).length > 0 ? { force } : {}),
    ...(cap !== undefined && force.maxOutputTokens === undefined ? { caps: { maxOutputTokens: cap } } : {}),
    ...(model?.unsupported ? { unsupported: model.unsupported } : {}),
  };
}

/**
 * Composed policies, made once per model policy and name and kept: the request path looks one up
 * by two Map reads instead of merging objects on every call. Keyed by the model's policy object
 * (the parsed config's, which lives as long as the gateway), so the memo needs no invalidation.
 *
 * @example
 * const policies = new ComposedPolicies(config.paramPolicies);
 * policies.of(entry.config.params, 'ci') // the model's policy with `ci` on top; undefined when `ci` is not in the config
 */
export class ComposedPolicies {
  readonly #named: Readonly<Record<string, NamedParamPolicy>>;
  readonly #byModel = new WeakMap<object, Map<string, ParamPolicyConfig>>();
  /** The key for models without a policy of their own (a WeakMap takes objects only). */
  readonly #noModelPolicy = {};

  constructor(named: Readonly<Record<string, NamedParamPolicy>> | undefined) {
    this.#named = named ?? {};
  }

  /** Whether the config has a policy of this name. */
  has(name: string): boolean {
    return Object.hasOwn(this.#named, name);
  }

  /** The model's policy with the named one on top; undefined when the config has no policy of that name. */
  of(model: ParamPolicyConfig | undefined, name: string): ParamPolicyConfig | undefined {
    if (!this.has(name)) return undefined;
    const slot = model ?? this.#noModelPolicy;
    let byName = this.#byModel.get(slot);
    if (!byName) this.#byModel.set(slot, (byName = new Map()));
    let composed = byName.get(name);
    if (!composed) byName.set(name, (composed = composePolicies(model, this.#named[name]!)));
    return composed;
  }
}
