/**
 * What choosing a rule set and a parameter policy per key costs a call, beside the gateway's own
 * rules: `guardedBody` on a body with no match, and `withParamPolicy` on a chat body, for a caller
 * on the gateway's defaults and for one whose team names a set and a policy.
 * `npx tsx lib/pipeline/guardrail-sets.bench.ts`
 */
import { medianNsPerCall } from '../../bench/measure';
import type { Caller } from '../access/caller';
import type { ApiKeyRecord } from '../access/api-key';
import type { TeamRecord } from '../access/team';
import { GuardrailsSchema } from '../guardrails/config';
import { Guardrails } from '../guardrails/scan';
import { compileSets } from '../guardrails/sets';
import type { GatewayRequest } from '../http/types';
import { ComposedPolicies } from '../params/compose';
import type { CatalogModel } from '../routing/catalog';
import { newContext } from './context';
import type { ProxyDeps } from './deps';
import { guardedBody } from './guardrails';
import { withParamPolicy, type AdmittedCall } from './model-call';

const config = GuardrailsSchema.parse({ rules: [{ detect: 'secrets', action: 'redact' }], sets: { strict: { rules: [{ detect: 'secrets', action: 'block' }] } } });
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const deps = { guardrails: Guardrails.from(config), guardrailSets: compileSets(config), paramPolicies: new ComposedPolicies({ contractors: { caps: { maxOutputTokens: 4000 } } }), logger: silent } as unknown as ProxyDeps;
const req = { headers: {} } as unknown as GatewayRequest;
const body = { model: 'm', max_tokens: 1000, messages: [{ role: 'user', content: 'Summarise this file for me. '.repeat(40) }] };
const raw = Buffer.from(JSON.stringify(body));
const entry = { name: 'm', targets: [], pooled: false, config: { name: 'm', targets: [], promptCache: 'auto', params: { caps: { maxOutputTokens: 8192 } } } } as unknown as CatalogModel;

const plain: Caller = { key: { id: 'key_1' } as ApiKeyRecord };
const chosen: Caller = { key: { id: 'key_2' } as ApiKeyRecord, team: { id: 'team_1', guardrails: 'strict', params: 'contractors' } as TeamRecord };
const ctx = newContext('r', 'openai', new Date());

for (const [name, caller] of [['gateway defaults', plain], ['team set and policy', chosen]] as const) {
  const guard = medianNsPerCall(() => guardedBody(raw, caller, req, ctx, deps), 20_000);
  const call: AdmittedCall = { caller, body, raw, model: 'm', entry };
  const policy = medianNsPerCall(() => withParamPolicy(call, ctx, deps), 200_000);
  console.log(`${name.padEnd(20)} guardedBody ${(guard / 1000).toFixed(1)} µs (${raw.length} B, no match)   withParamPolicy ${(policy / 1000).toFixed(2)} µs`);
}
