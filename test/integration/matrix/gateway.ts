/** One gateway in front of one fake of each provider, as the matrix starts it once for all its cases. */
import { parseConfig } from '../../../lib/config/load';
import type { GatewayConfigInput } from '../../../lib/config/schema';
import { LocalCredentials } from '../../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../../lib/local/start';
import type { StoredUsage } from '../../../lib/store/usage';
import { usageSince } from '../usage-since';
import { startAnthropicRig } from './anthropic';
import { startAzureOpenAIRig } from './azure-openai';
import { startBedrockRigs } from './bedrock';
import { startGeminiRig } from './gemini';
import { startOpenAIRig } from './openai';
import type { ProviderRig } from './types';

const ADMIN_TOKEN = 'matrix-admin-token';

export type RigName = 'openai' | 'azure-openai' | 'anthropic' | 'gemini' | 'bedrock' | 'bedrock-claude';

export interface MatrixGateway {
  url: string;
  rigs: Record<RigName, ProviderRig>;
  /** A fresh gateway key allowed to use `models`. */
  createKey(models: string[]): Promise<{ id: string; key: string }>;
  /** Waits for pending usage writes, then reads a key's usage items since the gateway started. */
  usage(keyId: string): Promise<StoredUsage[]>;
  close(): Promise<void>;
}

export async function startMatrixGateway(): Promise<MatrixGateway> {
  const [openai, azure, anthropic, gemini, bedrock] = await Promise.all([startOpenAIRig(), startAzureOpenAIRig(), startAnthropicRig(), startGeminiRig(), startBedrockRigs()]);
  const rigs: Record<RigName, ProviderRig> = { openai, 'azure-openai': azure, anthropic, gemini, bedrock: bedrock.converse, 'bedrock-claude': bedrock.claude };
  const all = Object.values(rigs);
  const providers = [...new Map(all.map((r) => [r.providerId, r.provider])).values()];
  const config: GatewayConfigInput = {
    providers,
    models: all.map((r) => ({ name: r.model, targets: [{ provider: r.providerId, model: r.upstreamModel }] })),
  };
  const startedAt = Date.now();
  let gw: LocalGateway;
  try {
    gw = await startLocalGateway({
      config: parseConfig(config),
      adminToken: ADMIN_TOKEN,
      store: { embedded: undefined },
      credentials: new LocalCredentials(Object.assign({}, ...all.map((r) => r.env)) as Record<string, string>),
    });
  } catch (err) {
    await Promise.all(all.map((r) => r.close()));
    throw err;
  }

  return {
    url: gw.url,
    rigs,
    async createKey(models) {
      const res = await fetch(`${gw.url}/admin/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `matrix ${models.join(',')}`, models }),
      });
      if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string; key: string };
    },
    async usage(keyId) {
      await gw.gateway.drain();
      return usageSince(gw.table, keyId, startedAt);
    },
    async close() {
      await gw.close();
      await Promise.all(all.map((r) => r.close()));
    },
  };
}
