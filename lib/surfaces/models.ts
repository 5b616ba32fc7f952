import { modelAllowed } from '../access/model-patterns';
import { json } from '../http/body';
import type { GatewayRequest, GatewayResponse } from '../http/types';
import type { ProxyDeps } from '../pipeline/deps';
import { anthropicModelList } from './anthropic-messages';

/** Fixed so that listings are stable across instances and restarts. */
const CREATED = 1_700_000_000;

/**
 * `GET /v1/models`: the names (and aliases) this key may use, in OpenAI's list shape, or in
 * Anthropic's when an Anthropic client asks (it sends `anthropic-version`; Claude Code does).
 * A key's address list holds here too: the list says where the key works, not only what it buys.
 * Like every listing, a refusal leaves no usage record (only the access log line).
 */
export async function listModels(req: GatewayRequest, deps: ProxyDeps): Promise<GatewayResponse> {
  const key = await deps.auth.authenticate(req);
  const names = deps.catalog.names().filter((name) => modelAllowed(key.models, name) || modelAllowed(key.models, deps.catalog.find(name)!.name));
  if (req.headers['anthropic-version']) return json(200, anthropicModelList(names));
  const data = names.map((id) => ({ id, object: 'model', created: CREATED, owned_by: deps.catalog.find(id)!.targets[0]!.provider.id }));
  return json(200, { object: 'list', data });
}
