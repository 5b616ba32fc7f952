import type { GuardrailsConfig } from './config';
import { Guardrails } from './scan';

/**
 * The rules one call is screened by, compiled: on its request body, and on its answer (with how
 * many bytes of a stream they hold back); either absent when no rule looks there.
 */
export interface ScreeningRules {
  request?: Guardrails;
  answers?: { rules: Guardrails; window: number };
}

/**
 * Every named rule set of the config (`guardrails.sets`), compiled once at start as the gateway's
 * own rules are, by name; undefined when there are none, so a gateway without sets holds nothing
 * more. A set's `on` is the gateway's `guardrails.on` unless it has its own; its streams are held
 * back by the gateway's `streamWindow` and `streamHoldMax`.
 *
 * @example
 * const sets = compileSets({ on: ['request'], streamWindow: 512, rules: [], sets: { strict: { rules: [{ detect: 'secrets', action: 'block' }] } } });
 * sets?.get('strict')?.request?.ruleIds // ['aws-access-key', …]
 */
export function compileSets(config: Pick<GuardrailsConfig, 'on' | 'sets' | 'streamWindow'> & Partial<Pick<GuardrailsConfig, 'streamHoldMax'>>): ReadonlyMap<string, ScreeningRules> | undefined {
  const entries = Object.entries(config.sets ?? {});
  if (entries.length === 0) return undefined;
  return new Map(
    entries.map(([name, set]) => {
      const on = set.on ?? config.on;
      const request = Guardrails.from({ rules: set.rules, on }, 'request');
      const answers = Guardrails.from({ rules: set.rules, on, streamHoldMax: config.streamHoldMax }, 'response');
      const compiled: ScreeningRules = { ...(request ? { request } : {}), ...(answers ? { answers: { rules: answers, window: config.streamWindow } } : {}) };
      return [name, compiled];
    }),
  );
}
