import { silentLogger } from '../observe/logger';
import type { HealthStore, Rest } from '../store/health';
import { AfterResponse } from '../pipeline/after-response';
import { AccountHealth } from './health';
import { SharedHealth } from './shared-health';

class RecordingStore implements HealthStore {
  readonly published: Rest[] = [];
  reads = 0;
  rests: Rest[] = [];
  fail = false;
  async publish(rest: Rest): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.fail) throw new Error('down');
    this.published.push(rest);
  }
  async read(): Promise<Rest[]> {
    this.reads++;
    if (this.fail) throw new Error('down');
    return this.rests;
  }
}

describe('SharedHealth', () => {
  let t: number;
  let store: RecordingStore;
  let local: AccountHealth;
  let shared: SharedHealth;
  let later: AfterResponse;
  let warnings: string[];
  beforeEach(() => {
    t = 100_000;
    store = new RecordingStore();
    local = new AccountHealth(() => t);
    warnings = [];
    later = new AfterResponse();
    shared = new SharedHealth(local, store, { now: () => t, logger: { ...silentLogger, warn: (m: string) => void warnings.push(m) }, later, refreshMs: 10_000 });
  });

  it('reads others\' rests at once, then at most every ten seconds, and takes them on', async () => {
    store.rests = [{ ref: 'openai/main', until: t + 30_000 }];

    shared.refreshSoon();
    shared.refreshSoon();
    await shared.refresh();
    const readsAtFirst = store.reads;
    t += 9_999;
    shared.refreshSoon();
    const readsBefore10s = store.reads;
    t += 1;
    shared.refreshSoon();

    expect(readsAtFirst).toBe(1); // the second refreshSoon waits its turn, the explicit refresh joins the read in flight
    expect(readsBefore10s).toBe(1);
    expect(store.reads).toBe(2);
    expect(local.isCooling('openai/main')).toBe(true);
    expect(local.isCooling('openai/backup')).toBe(false);
  });

  it('keeps its own longer rest over a shorter one read from the store', async () => {
    local.failed('openai/main', 'rate_limited', 60_000);
    store.rests = [{ ref: 'openai/main', until: t + 1_000 }];

    await shared.refresh();
    t += 30_000;

    expect(local.isCooling('openai/main')).toBe(true);
  });

  it('publishes a rest without making anyone wait, as a write after the response', async () => {
    shared.publish('openai/main', t + 5_000);
    const beforeDrain = store.published.length;
    await later.drain();

    expect(beforeDrain).toBe(0);
    expect(store.published).toEqual([{ ref: 'openai/main', until: t + 5_000 }]);
  });

  it('logs, and goes on, when the store fails', async () => {
    store.fail = true;

    shared.publish('openai/main', t + 5_000);
    await later.drain();
    await shared.refresh();

    expect(warnings).toEqual(['resting account not shared through the store', 'resting accounts not read from the store']);
  });
});
