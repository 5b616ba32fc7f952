import { fuzzer } from '../../test/fuzz';
import { isMalformed, lastOfEachKey, MAX_SPLIT_CALLS, sendBatch, sendHalving, type HalvingRound } from './batch-halving';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const refused = () => Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException' });

/** A table of numbered writes: a call holding any `bad` one is refused as malformed; `back` ones are handed back unprocessed. */
function fakeTable(bad: ReadonlySet<number>, back: ReadonlySet<number> = new Set()) {
  const calls: number[][] = [];
  const send = async (writes: number[]) => {
    calls.push(writes);
    if (writes.some((w) => bad.has(w))) throw refused();
    return writes.filter((w) => back.has(w));
  };
  return { calls, send };
}
const freshRound = (splitCalls = MAX_SPLIT_CALLS): HalvingRound<number> => ({ unprocessed: [], losses: [], splitCalls });

/**
 * `runs` seeded batches of 1 to 25 numbered writes, each with its bad ones drawn at the rate of
 * `badRates` for its run (cycling), and the generator, which the case draws its own choices from:
 * seeded, so a failure replays (the run is in the message).
 */
function* seededBatches(seed: number, runs: number, badRates: readonly number[]) {
  const { random } = fuzzer(seed, { names: [], scalars: [] });
  for (let run = 0; run < runs; run++) {
    const writes = range(0, 1 + Math.floor(random() * 25));
    const bad = new Set(writes.filter(() => random() < badRates[run % badRates.length]!));
    yield { run, writes, bad, random };
  }
}

describe('sendHalving', () => {
  it.each<[string, number, number[], number, number[][]]>([
    ['nothing refused: one call', 25, [], 0, []],
    ['one bad write first: five halvings', 25, [0], 10, [[0]]],
    ['one bad write last: four halvings (the smaller half)', 25, [24], 8, [[24]]],
    ['one bad write inside', 25, [7], 10, [[7]]],
    ['two bad writes in different halves', 25, [3, 20], 18, [[3], [20]]],
    ['two bad writes side by side', 25, [11, 12], 10, [[11], [12]]],
    ['three bad writes together', 25, [0, 1, 2], 12, [[0], [1], [2]]],
    ['a single write refused: nothing to split', 1, [0], 0, [[0]]],
    ['every write bad: the bound spent, then parts lost whole', 25, range(0, 25), MAX_SPLIT_CALLS, [[0], [1], [2], [3], [4], [5], [6], [7, 8], [9], [10, 11, 12], range(13, 25)]],
  ])('%s', async (_name, n, bad, extraCalls, lost) => {
    // Prepare
    const table = fakeTable(new Set(bad));
    const round = freshRound();

    // Act
    await sendHalving(range(0, n), round, table.send, () => true);

    // Assess: each write sent ends in one place only, written or lost.
    expect(table.calls).toHaveLength(1 + extraCalls);
    expect(round.losses.map((l) => l.writes)).toEqual(lost);
    expect(round.losses.every((l) => isMalformed(l.failure))).toBe(true);
    expect(round.splitCalls).toBe(MAX_SPLIT_CALLS - extraCalls);
    const writtenOnce = table.calls.filter((c) => !c.some((w) => bad.includes(w))).flat();
    expect([...writtenOnce, ...lost.flat()].sort((a, b) => a - b)).toEqual(range(0, n));
  });

  it('spends the calls left over a batch\'s tries: with two left, one halving, then parts lost whole', async () => {
    const table = fakeTable(new Set([5]));
    const round = freshRound(2);

    await sendHalving(range(0, 25), round, table.send, () => true);

    expect(table.calls.map((c) => c.length)).toEqual([25, 13, 12]);
    expect(round.losses.map((l) => l.writes)).toEqual([range(0, 13)]);
    expect(round.splitCalls).toBe(0);
  });

  it('does not split a call that failed otherwise (throttled, the network): the writes sent are lost whole', async () => {
    const calls: number[][] = [];
    const throttled = Object.assign(new Error('Throughput exceeds the current capacity of your table'), { name: 'ProvisionedThroughputExceededException' });
    const round = freshRound();

    await sendHalving(range(0, 25), round, async (w) => (calls.push(w), Promise.reject(throttled)), () => true);

    expect(calls).toHaveLength(1);
    expect(round.losses).toEqual([{ writes: range(0, 25), failure: throttled }]);
  });

  it('collects what the halves handed back unprocessed, in the order sent, for the batch\'s next try', async () => {
    const table = fakeTable(new Set([4]), new Set([5, 20]));
    const round = freshRound();

    await sendHalving(range(0, 25), round, table.send, () => true);

    expect(round.unprocessed).toEqual([5, 20]);
    expect(round.losses.map((l) => l.writes)).toEqual([[4]]);
  });

  it('leaves out of the halves a write no longer wanted (replaced while the call was out)', async () => {
    const table = fakeTable(new Set([1]));
    const round = freshRound();

    await sendHalving([0, 1, 2, 3], round, table.send, (w) => w !== 3);

    expect(table.calls).toEqual([[0, 1, 2, 3], [0, 1], [0], [1], [2]]);
    expect(round.losses.map((l) => l.writes)).toEqual([[1]]);
  });

  it.each([
    ['ValidationException', { name: 'ValidationException' }, true],
    ['ProvisionedThroughputExceededException', { name: 'ProvisionedThroughputExceededException' }, false],
    ['a plain Error', new Error('socket hang up'), false],
    ['undefined', undefined, false],
    ['a string', 'ValidationException', false],
  ])('isMalformed: %s → %s', (_name, failure, expected) => {
    expect(isMalformed(failure)).toBe(expected);
  });
});

describe('sendHalving over random bad positions (seeded)', () => {
  it('ends each write sent in one place only (written, handed back, or in one loss) and spends no more than the calls left', async () => {
    for (const { run, writes, bad, random } of seededBatches(20261127, 1_000, [0, 0.04, 0.15, 0.6])) {
      // Prepare
      const back = new Set(writes.filter(() => random() < 0.1));
      const budget = Math.floor(random() * (MAX_SPLIT_CALLS + 1));
      const table = fakeTable(bad, back);
      const round = freshRound(budget);

      // Act
      await sendHalving(writes, round, table.send, () => true);

      // Assess
      const taken = table.calls.filter((c) => !c.some((w) => bad.has(w))).flat();
      const written = taken.filter((w) => !back.has(w));
      const lost = round.losses.flatMap((l) => l.writes);
      const where = `run ${run}: n ${writes.length}, bad [${[...bad]}], back [${[...back]}], budget ${budget}`;
      expect({ where, ends: [...written, ...round.unprocessed, ...lost].sort((a, b) => a - b) }).toEqual({ where, ends: writes });
      expect({ where, unprocessed: round.unprocessed }).toEqual({ where, unprocessed: taken.filter((w) => back.has(w)) });
      expect({ where, calls: table.calls.length <= 1 + budget, left: round.splitCalls >= 0 }).toEqual({ where, calls: true, left: true });
      // Every write wanted: each halving spends its two calls.
      expect({ where, spent: table.calls.length - 1 }).toEqual({ where, spent: budget - round.splitCalls });
      // A write lost alone is bad; a good write is lost only in a part past the bound, beside a bad one.
      for (const loss of round.losses) expect({ where, loss: loss.writes.some((w) => bad.has(w)) }).toEqual({ where, loss: true });
      if (round.splitCalls >= 2) expect({ where, lostGood: lost.filter((w) => !bad.has(w)) }).toEqual({ where, lostGood: [] });
    }
  });
});

describe('lastOfEachKey', () => {
  it.each<[string, string[], string[]]>([
    ['no key twice: all, in order', ['a1', 'b1', 'c1'], ['a1', 'b1', 'c1']],
    ['a key twice: the later kept, in its place', ['a1', 'b1', 'a2', 'c1'], ['b1', 'a2', 'c1']],
    ['a key three times: the last', ['a1', 'a2', 'a3'], ['a3']],
    ['two keys twice each', ['a1', 'b1', 'b2', 'a2'], ['b2', 'a2']],
    ['none', [], []],
  ])('%s', (_name, writes, expected) => {
    expect(lastOfEachKey(writes, (w) => w[0]!)).toEqual(expected);
  });

  it('hands back the same array when no key is named twice (nothing copied per batch)', () => {
    const writes = ['a1', 'b1'];
    expect(lastOfEachKey(writes, (w) => w[0]!)).toBe(writes);
  });
});

describe('sendBatch: a batch refused as malformed, halved within the bound', () => {
  const sending = (table: ReturnType<typeof fakeTable>) => ({ send: table.send, keyOf: String, wanted: () => true, retries: 5, retryDelayMs: () => 0 });

  it.each<[string, number[], number, number[][]]>([
    ['every write bad: the bound spent, the parts still refused lost whole', range(0, 25), 1 + MAX_SPLIT_CALLS, [[0], [1], [2], [3], [4], [5], [6], [7, 8], [9], [10, 11, 12], range(13, 25)]],
    ['one bad write: ten calls more, only it lost', [3], 1 + 10, [[3]]],
    ['nothing refused: one call', [], 1, []],
  ])('%s', async (_name, bad, calls, lost) => {
    // Prepare
    const table = fakeTable(new Set(bad));

    // Act
    const losses = await sendBatch(range(0, 25), sending(table));

    // Assess
    expect(table.calls).toHaveLength(calls);
    expect(losses.map((l) => l.writes)).toEqual(lost);
  });

  it('sends again, once refused, a batch naming a key twice with only the later write of the key (then taken): one call more, nothing lost', async () => {
    // Prepare: as DynamoDB, a call naming a key twice is refused whole as malformed.
    type Put = { key: string; value: number };
    const calls: Put[][] = [];
    const send = async (writes: Put[]) => {
      calls.push(writes);
      if (new Set(writes.map((w) => w.key)).size < writes.length) throw refused();
      return [];
    };
    const batch = [{ key: 'a', value: 1 }, { key: 'b', value: 1 }, { key: 'a', value: 2 }];

    // Act
    const losses = await sendBatch(batch, { send, keyOf: (w) => w.key, wanted: () => true, retries: 5, retryDelayMs: () => 0 });

    // Assess
    expect(losses).toEqual([]);
    expect(calls).toEqual([batch, [batch[1], batch[2]]]);
  });

  it('sends the writes handed back again, and loses those still handed back past the retries', async () => {
    const table = fakeTable(new Set(), new Set([4]));
    const losses = await sendBatch(range(0, 25), sending(table));
    expect(table.calls.slice(1)).toEqual([[4], [4], [4], [4], [4]]);
    expect(losses).toEqual([{ writes: [4], failure: new Error('unprocessed after retries') }]);
  });
});

describe('sendBatch over random bad writes and handed-back writes (seeded)', () => {
  it('ends each write written or in exactly one loss, within 1 + retries + MAX_SPLIT_CALLS calls', async () => {
    for (const { run, writes, bad, random } of seededBatches(7, 500, [0, 0.04, 0.15, 0.6, 1])) {
      // Prepare
      const backRate = random() < 0.5 ? 0 : random() * 0.8;
      const written: number[] = [];
      let calls = 0;
      const send = async (ws: number[]) => {
        calls++;
        if (ws.some((w) => bad.has(w))) throw refused();
        const back = ws.filter(() => random() < backRate);
        written.push(...ws.filter((w) => !back.includes(w)));
        return back;
      };

      // Act
      const losses = await sendBatch(writes, { send, keyOf: String, wanted: () => true, retries: 5, retryDelayMs: () => 0 });

      // Assess
      const where = `run ${run}: n ${writes.length}, bad [${[...bad]}], back rate ${backRate.toFixed(2)}`;
      const lost = losses.flatMap((l) => l.writes);
      expect({ where, ends: [...written, ...lost].sort((a, b) => a - b) }).toEqual({ where, ends: writes });
      expect({ where, bounded: calls <= 1 + 5 + MAX_SPLIT_CALLS }).toEqual({ where, bounded: true });
      expect({ where, badWritten: written.filter((w) => bad.has(w)) }).toEqual({ where, badWritten: [] });
    }
  });
});
