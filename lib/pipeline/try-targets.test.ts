import undiciErrors = require('undici/lib/core/errors');
import { parseConfig } from '../config/load';
import { silentLogger } from '../observe/logger';
import { AccountLoad } from '../routing/account-load';
import { AccountHealth } from '../routing/health';
import type { Target } from '../routing/catalog';
import type { UpstreamResponse } from '../upstream/http';
import { newContext } from './context';
import type { ProxyDeps } from './deps';
import { tryTargets } from './try-targets';

/** A whole JSON answer whose body fails as it is read ahead (`readAhead`) with `failure`, or reads `{}` without one. */
function answerFailingWith(failure: unknown): UpstreamResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: {
      async *[Symbol.asyncIterator]() {
        throw new Error('read whole, not chunk by chunk');
      },
      bytes: async () => (failure === undefined ? Buffer.from('{}') : Promise.reject(failure)),
      text: async () => '',
      dump: async () => undefined,
    },
  };
}

const CONFIG = parseConfig({
  providers: [{ id: 'p', type: 'openai', baseUrl: 'http://127.0.0.1:9', accounts: [{ id: 'one', apiKey: { env: 'K' } }, { id: 'two', apiKey: { env: 'K' } }] }],
  models: [{ name: 'm', targets: [{ provider: 'p', model: 'm' }] }],
});
const TARGETS: Target[] = [{ provider: CONFIG.providers[0]!, accounts: CONFIG.providers[0]!.accounts, model: 'm' }];

describe('tryTargets, when the answer it holds fails as it is read', () => {
  function run(failure: unknown) {
    const health = new AccountHealth();
    const deps = { now: () => Date.now(), logger: silentLogger, load: new AccountLoad(), health } as unknown as ProxyDeps;
    const asked: string[] = [];
    const ctx = newContext('r1', 'openai-chat', new Date());
    const answered = tryTargets(TARGETS, {}, ctx, deps, undefined, async (attempt) => {
      asked.push(attempt.account.id);
      return { res: asked.length === 1 ? answerFailingWith(failure) : answerFailingWith(undefined), via: undefined, parseError: () => new Error('unused') as never } as never;
    });
    return { answered, asked, health };
  }

  it('fails over and rests the account when the upstream broke off (undici\'s socket error)', async () => {
    // Act
    const { answered, asked, health } = run(new undiciErrors.SocketError('other side closed'));
    const served = await answered;

    // Assess: the second account's answer is the one given.
    expect(served.res.status).toBe(200);
    expect(asked.sort()).toEqual(['one', 'two']);
    expect(['one', 'two'].filter((id) => health.isCooling(`p/${id}`))).toHaveLength(1);
  });

  it('throws a fault of the gateway\'s own on (500 internal_error), asking no other account and resting none', async () => {
    // Act
    const { answered, asked, health } = run(new TypeError("Cannot read properties of undefined (reading 'length')"));
    const failure = await answered.catch((e: unknown) => e);

    // Assess: another account would not mend it, and resting this one would blame it.
    expect(failure).toMatchObject({ kind: 'internal', status: 500, code: 'internal_error' });
    expect(asked).toHaveLength(1);
    expect(['one', 'two'].filter((id) => health.isCooling(`p/${id}`))).toEqual([]);
  });
});
