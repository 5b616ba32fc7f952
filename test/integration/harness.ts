import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import Anthropic, { type ClientOptions as AnthropicOptions } from '@anthropic-ai/sdk';
import { GoogleGenAI, type GenerateContentResponse, type HttpOptions } from '@google/genai';
import OpenAI, { type ClientOptions as OpenAIOptions } from 'openai';
import { parseConfig } from '../../lib/config/load';
import type { GatewayConfigInput } from '../../lib/config/schema';
import { LocalCredentials } from '../../lib/credentials/local';
import { startLocalGateway, type LocalGateway } from '../../lib/local/start';
import type { StoredUsage } from '../../lib/store/usage';
import { AccountHealth } from '../../lib/routing/health';
import { spendItemKey } from '../../lib/store/table';
import { usageSince, utcDaysSince } from './usage-since';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import type { AuditSink } from '../../lib/audit/log';
import type { GatewayLogger } from '../../lib/observe/logger';

export const ADMIN_TOKEN = 'test-admin-token';
export const UPSTREAM_KEY = 'sk-upstream-test';

export interface Harness {
  gw: LocalGateway;
  upstream: FakeOpenAI;
  /** A second upstream, for failover tests. */
  backup: FakeOpenAI;
  key: string;
  keyId: string;
  /** The gateway's record of resting accounts: `clear()` it where a case needs a healthy pool. */
  health: AccountHealth;
  openai(options?: { apiKey?: string; maxRetries?: number }): OpenAI;
  createKey(body: Record<string, unknown>): Promise<{ id: string; key: string }>;
  /** Waits for pending usage writes, then reads a key's usage items of every day since the harness started, on the gateway's clock. */
  usage(keyId?: string): Promise<StoredUsage[]>;
  close(): Promise<void>;
}

/**
 * The gateway as `npm start` runs it (node:http, dynalite spoken to through the real DynamoDB
 * client), in front of fake OpenAI upstreams on loopback.
 */
export async function startHarness(
  options: {
    config?: (urls: { upstream: string; backup: string }) => GatewayConfigInput;
    maxBodyBytes?: number;
    /** Secrets besides TEST_UPSTREAM_KEY, for providers a config adds (by env name). */
    credentials?: Record<string, string>;
    /** Where audit records go, for configs with `audit`. */
    audit?: () => AuditSink;
    /** The gateway's clock (epoch ms), for cases that move time. */
    now?: () => number;
    /** Where the gateway logs, for cases that read its lines. */
    logger?: GatewayLogger;
  } = {},
): Promise<Harness> {
  const upstream = await startFakeOpenAI({ apiKey: UPSTREAM_KEY });
  const backup = await startFakeOpenAI({ apiKey: UPSTREAM_KEY });
  const input: GatewayConfigInput = options.config?.({ upstream: upstream.url, backup: backup.url }) ?? {
    providers: [
      { id: 'primary', type: 'openai', baseUrl: upstream.url, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
      { id: 'backup', type: 'openai-compatible', baseUrl: backup.url, accounts: [{ id: 'b', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
    ],
    models: [
      { name: 'gpt-4o-mini', aliases: ['mini'], targets: [{ provider: 'primary', model: 'gpt-4o-mini-2024-07-18' }] },
      { name: 'gpt-4o', targets: [{ provider: 'primary', model: 'gpt-4o' }, { provider: 'backup', model: 'gpt-4o-backup' }] },
      { name: 'claude-x', targets: [{ provider: 'backup', model: 'claude-x' }] },
    ],
    ...(options.maxBodyBytes ? { limits: { maxBodyBytes: options.maxBodyBytes } } : {}),
  };
  const health = new AccountHealth();
  // Records are keyed by the gateway's clock, which a suite may hold still or move on (past midnight).
  const clock = options.now ?? Date.now;
  const startedAt = clock();
  const gw = await startLocalGateway({
    health,
    shareHealth: false,
    config: parseConfig(input),
    adminToken: ADMIN_TOKEN,
    store: { embedded: undefined },
    credentials: new LocalCredentials({ ...options.credentials, TEST_UPSTREAM_KEY: UPSTREAM_KEY }),
    ...(options.audit ? { audit: options.audit } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });

  const createKey = (body: Record<string, unknown>) => createGatewayKey(gw.url, ADMIN_TOKEN, body);
  const { id: keyId, key } = await createKey({ name: 'tester', models: ['gpt-4o*', 'mini'] });

  return {
    gw,
    upstream,
    backup,
    key,
    keyId,
    health,
    createKey,
    openai: (o = {}) => openAIClient(gw, o.apiKey ?? key, { maxRetries: o.maxRetries ?? 0 }),
    async usage(id = keyId) {
      await gw.gateway.drain();
      return usageSince(gw.table, id, startedAt, clock());
    },
    async close() {
      await gw.close();
      await upstream.close();
      await backup.close();
    },
  };
}

/**
 * The official OpenAI client for a gateway key. No retries unless asked: each call is one attempt,
 * so a test sees the gateway's own answer (`options`: the client's others, e.g. a timeout or fetch).
 */
export function openAIClient(gw: { url: string }, apiKey: string, options: OpenAIOptions = {}): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${gw.url}/v1`, maxRetries: 0, ...options });
}

/** The official Anthropic client for a gateway key, likewise without retries. */
export function anthropicClient(gw: { url: string }, apiKey: string, options: AnthropicOptions = {}): Anthropic {
  return new Anthropic({ apiKey, baseURL: gw.url, maxRetries: 0, ...options });
}

/**
 * The official Gemini client (`@google/genai`) for a gateway key (`options`: the client's others,
 * e.g. a timeout, or a fetch that records each answer's request id). Unless given one, it is
 * handed the global fetch: the SDK's own looks for undici's global dispatcher, which jest's
 * sandbox lacks (Node's fetch is the same wire).
 */
export function geminiClient(gw: { url: string }, apiKey: string, options: Omit<HttpOptions, 'baseUrl'> = {}): GoogleGenAI {
  return new GoogleGenAI({ apiKey, httpOptions: { ...options, baseUrl: gw.url, fetch: options.fetch ?? ((url, init) => fetch(url, init)) } });
}

/** A Gemini client's stream read to its end: its text, and each finishReason it gave, in order. */
export async function readGeminiStream(stream: AsyncIterable<GenerateContentResponse>): Promise<{ text: string; finishes: string[] }> {
  let text = '';
  const finishes: string[] = [];
  for await (const response of stream) {
    text += response.text ?? '';
    const finish = response.candidates?.[0]?.finishReason;
    if (finish) finishes.push(finish);
  }
  return { text, finishes };
}

/** A number attribute of one item of the gateway's table (a counter, a spend), read consistently; 0 when absent. */
export async function storedNumber(gw: Pick<LocalGateway, 'table'>, key: { PK: string; SK: string }, attribute: string): Promise<number> {
  const out = await gw.table.client.send(new GetItemCommand({ TableName: gw.table.tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } }, ConsistentRead: true }));
  return Number(out.Item?.[attribute]?.N ?? 0);
}

/**
 * What a key or a team spent from the UTC day of `since` (epoch ms, taken before the calls) to
 * the day of `now` (the gateway's clock when it has its own), its days' counters summed: a call's
 * spend is counted on its day, which a run past midnight UTC has left by the time it reads.
 */
export async function spentSince(gw: Pick<LocalGateway, 'table'>, scopeId: string, since: number, now = Date.now()): Promise<number> {
  const days = await Promise.all(utcDaysSince(since, now).map((day) => storedNumber(gw, spendItemKey(scopeId, day), 'micros')));
  return days.reduce((sum, micros) => sum + micros, 0);
}

/** Creates a gateway key through the admin API (`body` as `POST /admin/keys` takes it). */
export async function createGatewayKey(url: string, adminToken: string, body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const res = await fetch(`${url}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; key: string };
}

/** Polls until `check` passes (for effects that land just after a response ends). */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 3_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** A raw answer body read chunk by chunk until it ends or fails: what reached the client, and the failure (undefined when it ended cleanly). */
export async function bodyUntilFailure(res: Response): Promise<{ relayed: Buffer[]; failure: unknown }> {
  const reader = res.body!.getReader();
  const relayed: Buffer[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { relayed, failure: undefined };
      relayed.push(Buffer.from(value));
    }
  } catch (failure) {
    return { relayed, failure };
  }
}
