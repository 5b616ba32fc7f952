import type { UpstreamRequest, UpstreamResponse } from '../upstream/http';
import { ANSWERED, FAN_OUT, fanOut } from './fan-out';

/** An answer whose body is `json`, recording whether it was dumped. */
function answer(status: number, json: unknown): UpstreamResponse & { dumped: boolean } {
  const bytes = Buffer.from(JSON.stringify(json));
  const res = {
    status,
    headers: {},
    dumped: false,
    body: {
      async *[Symbol.asyncIterator]() {
        yield bytes;
      },
      text: async () => bytes.toString(),
      bytes: async () => bytes,
      dump: async () => {
        res.dumped = true;
      },
    },
  };
  return res;
}

/** An upstream whose answer to call `i` (its URL) is `reply(i)`, after a few ms, counting calls in flight. */
function upstream(reply: (i: number) => UpstreamResponse | Error) {
  const state = { sent: [] as number[], inFlight: 0, most: 0 };
  return {
    state,
    deps: {
      upstream: {
        async send(req: UpstreamRequest) {
          const i = Number(req.url);
          state.sent.push(i);
          state.inFlight++;
          state.most = Math.max(state.most, state.inFlight);
          await new Promise((r) => setTimeout(r, 2 + (i % 3)));
          state.inFlight--;
          const r = reply(i);
          if (r instanceof Error) throw r;
          return r;
        },
        close: async () => undefined,
      },
    },
  };
}

const request = async (i: number, signal?: AbortSignal): Promise<UpstreamRequest> => ({ url: String(i), method: 'POST', headers: {}, headersTimeoutMs: 1, idleTimeoutMs: 1, ...(signal ? { signal } : {}) });

describe('fanOut', () => {
  it('reads every answer into its place in order, with at most FAN_OUT calls in flight', async () => {
    // Prepare
    const { state, deps } = upstream((i) => answer(200, { n: i }));

    // Act
    const outcome = await fanOut(20, request, (json) => (json as { n: number }).n, deps, 'p');

    // Assess
    expect(outcome).toEqual({ ok: true, results: Array.from({ length: 20 }, (_, i) => i) });
    expect(state.most).toBe(FAN_OUT);
  });

  it('returns the first failed answer unread and starts no call after it', async () => {
    // Prepare
    const failed = answer(429, { message: 'slow down' });
    const { state, deps } = upstream((i) => (i === 2 ? failed : answer(200, {})));

    // Act
    const outcome = await fanOut(30, request, () => 1, deps, 'p');

    // Assess
    expect(outcome).toEqual({ ok: false, failed });
    expect(failed.dumped).toBe(false);
    expect(state.sent.length).toBeLessThan(30);
  });

  it('throws when a call cannot connect, dropping a failed answer it held', async () => {
    const failed = answer(503, {});
    const { deps } = upstream((i) => (i === 0 ? new Error('ECONNREFUSED') : i === 1 ? failed : answer(200, {})));

    await expect(fanOut(2, request, () => 1, deps, 'p')).rejects.toThrow('ECONNREFUSED');
    expect(failed.dumped).toBe(true);
  });

  it('refuses an answer that is not JSON as a bad upstream answer', async () => {
    const { deps } = upstream(() => ({ ...answer(200, {}), body: { ...answer(200, {}).body, bytes: async () => Buffer.from('<html>') } }));

    await expect(fanOut(1, request, () => 1, deps, 'p')).rejects.toMatchObject({ status: 502, code: 'upstream_bad_response' });
  });

  describe('after a failure, calls still in flight', () => {
    /** Call 0 fails at once with `first` (an answer or a thrown error); every other call answers only after 5 s, unless its signal aborts it. */
    function slowAfter(first: () => UpstreamResponse | Error) {
      const aborted: number[] = [];
      const deps = {
        upstream: {
          async send(req: UpstreamRequest): Promise<UpstreamResponse> {
            const i = Number(req.url);
            if (i === 0) {
              await new Promise((r) => setTimeout(r, 5));
              const r = first();
              if (r instanceof Error) throw r;
              return r;
            }
            return new Promise((resolve, reject) => {
              const timer = setTimeout(() => resolve(answer(200, {})), 5000);
              req.signal?.addEventListener('abort', () => {
                clearTimeout(timer);
                aborted.push(i);
                reject(req.signal!.reason);
              });
            });
          },
          close: async () => undefined,
        },
      };
      return { deps, aborted };
    }

    it.each<{ name: string; first: () => UpstreamResponse | Error; expected: (first: UpstreamResponse | Error, outcome: Promise<unknown>) => Promise<void> }>([
      {
        name: 'a failed answer',
        first: () => answer(429, { message: 'slow down' }),
        expected: async (first, outcome) => expect(await outcome).toEqual({ ok: false, failed: first }),
      },
      {
        name: 'a call that cannot connect',
        first: () => new Error('ECONNREFUSED'),
        expected: async (_first, outcome) => expect(outcome).rejects.toThrow('ECONNREFUSED'),
      },
    ])('are aborted after $name, which comes back at once', async ({ first, expected }) => {
      // Prepare
      const firstResult = first();
      const { deps, aborted } = slowAfter(() => firstResult);
      const started = Date.now();

      // Act
      const outcome = fanOut(FAN_OUT, request, () => 1, deps, 'p');

      // Assess
      await expected(firstResult, outcome);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(aborted.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
      if (!(firstResult instanceof Error)) expect((firstResult as ReturnType<typeof answer>).dumped).toBe(false);
    });

    it("are aborted with the client's signal, as before", async () => {
      const client = new AbortController();
      const { deps, aborted } = slowAfter(() => answer(200, {}));
      const outcome = fanOut(3, request, () => 1, deps, 'p', client.signal);
      setTimeout(() => client.abort(new Error('client left')), 20);

      await expect(outcome).rejects.toThrow('client left');
      expect(aborted.sort((a, b) => a - b)).toEqual([1, 2]);
    });
  });

  it('stands in for an answer already read with an empty success', async () => {
    expect(ANSWERED.status).toBe(200);
    expect(await ANSWERED.body.text()).toBe('');
  });
});
