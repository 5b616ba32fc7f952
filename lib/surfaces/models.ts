import { modelRefusedBy, type Caller } from '../access/caller';
import { json } from '../http/body';
import type { GatewayRequest, GatewayResponse } from '../http/types';
import type { ProxyDeps } from '../pipeline/deps';
import { GatewayError } from '../http/errors';
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
  const caller = await deps.auth.authenticate(req);
  const names = deps.catalog.names().filter((name) => mayUse(caller, name, deps));
  if (req.headers['anthropic-version']) return json(200, anthropicModelList(names));
  return json(200, { object: 'list', data: names.map((id) => openAIModel(id, deps)) });
}

/**
 * `GET /v1/models/{model}`: one model of the listing, in the caller's shape (OpenAI's
 * `models.retrieve`, Anthropic's `models.retrieve`), or the 404 both give for a model that does
 * not exist or that the key may not use (the same answer, so a key cannot probe the catalog).
 */
export async function retrieveModel(req: GatewayRequest, deps: ProxyDeps, name: string): Promise<GatewayResponse> {
  const caller = await deps.auth.authenticate(req);
  if (!deps.catalog.find(name) || !mayUse(caller, name, deps)) {
    throw new GatewayError('not_found', `The model \`${name}\` does not exist or you do not have access to it.`, { code: 'model_not_found', param: 'model' });
  }
  if (req.headers['anthropic-version']) return json(200, anthropicModelList([name]).data[0]);
  return json(200, openAIModel(name, deps));
}

/** A name (or alias) the key's patterns and its team's allow, by itself or by the model it stands for. */
export const mayUse = (caller: Caller, name: string, deps: ProxyDeps) => modelRefusedBy(caller, name, deps.catalog.find(name)!.name) === undefined;

const openAIModel = (id: string, deps: ProxyDeps) => ({ id, object: 'model', created: CREATED, owned_by: deps.catalog.find(id)!.targets[0]!.provider.id });
