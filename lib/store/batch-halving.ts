/**
 * Sending a batch of BatchWriteItem writes (`sendBatch`): again its writes handed back unprocessed,
 * and in halves when the table refuses the call as malformed (`ValidationException`), so that only
 * the writes refused on their own are lost (`DynamoUsageSink`).
 */

/**
 * The most calls a batch spends, past its own (and its retries), sending again in halves the writes of
 * a call refused as malformed (`sendHalving`). Halving singles out one bad write of 25 in at most 10
 * (two per halving, five halvings) and any two in at most 18; a batch of bad writes only would take
 * 48, so past 20 a part still refused is lost whole: a drain's end stays bounded (20 calls on top of
 * the retries' 1.24 s).
 */
export const MAX_SPLIT_CALLS = 20;

/** Writes of a batch lost together, and the failure that lost them. */
export interface Loss<W> {
  writes: W[];
  failure: unknown;
}

/** What the sends of one batch came to: filled in by `sendHalving`, over all the batch's tries. */
export interface HalvingRound<W> {
  /** Handed back by the table (this try), to be sent again after a wait. */
  unprocessed: W[];
  /** Lost, each part with its failure: the batch's, over all its tries. */
  losses: Loss<W>[];
  /** Calls left to send halves: the batch's, over all its tries (`MAX_SPLIT_CALLS` at first). */
  splitCalls: number;
  /**
   * Applied once, to the first call refused as malformed: the writes with each key named once
   * (`lastOfEachKey`), sent again whole if fewer. Only then: a key named twice always refuses the
   * batch's first call, and a `Set` of 25 fresh keys on every batch costs 12-20 µs (about a fifth of
   * the sink's own work per batch, `usage.bench.ts`).
   */
  distinct?: (writes: W[]) => W[];
}

/** Whether the table refused the call as malformed: the same writes would be refused again. */
export const isMalformed = (failure: unknown): boolean => (failure as { name?: unknown } | undefined)?.name === 'ValidationException';

/**
 * The writes with only the last of each key (`keyOf`): a batch naming a key twice is refused whole,
 * and, split, the earlier could be handed back unprocessed and written again after the later. The
 * later holds, as it would have had the two been sent one after the other. The same array when no
 * key is named twice.
 */
export function lastOfEachKey<W>(writes: W[], keyOf: (w: W) => string): W[] {
  const seen = new Set<string>();
  let dropped: Set<number> | undefined;
  for (let i = writes.length - 1; i >= 0; i--) {
    const key = keyOf(writes[i]!);
    if (seen.has(key)) (dropped ??= new Set()).add(i);
    else seen.add(key);
  }
  return dropped ? writes.filter((_, i) => !dropped!.has(i)) : writes;
}

/**
 * Sends `writes` in one call (`send`, which answers the writes handed back unprocessed), adding
 * what comes back to `round`. A call refused as malformed is most often one write's fault (over
 * 400 KB, an empty key): the writes are sent again in halves, one after the other, each half refused
 * halved again, down to the writes refused alone, so only those are lost; past `round.splitCalls` a
 * part still refused is lost whole. A key named twice is named once before halving
 * (`round.distinct`): its halves would be taken, but an earlier write handed back unprocessed would
 * land after the later. A write no longer `wanted` (replaced while the call was out)
 * is not sent in a half. Other failures (throttling past the SDK's tries, the network) lose the
 * writes sent, unsplit: the same writes would meet them again.
 *
 * @example
 * const round = { unprocessed: [], losses: [], splitCalls: MAX_SPLIT_CALLS };
 * await sendHalving(batch, round, writeAndListUnprocessed, () => true);
 * // round.losses: only the parts refused on their own (or past the bound, or thrown otherwise)
 */
export async function sendHalving<W>(writes: W[], round: HalvingRound<W>, send: (writes: W[]) => Promise<W[]>, wanted: (w: W) => boolean): Promise<void> {
  try {
    round.unprocessed.push(...(await send(writes)));
  } catch (err) {
    const distinct = isMalformed(err) ? round.distinct?.(writes) : undefined;
    round.distinct = undefined;
    if (distinct && distinct.length < writes.length) return sendHalving(distinct, round, send, wanted);
    if (!isMalformed(err) || writes.length === 1 || round.splitCalls < 2) {
      round.losses.push({ writes, failure: err });
      return;
    }
    round.splitCalls -= 2;
    const half = Math.ceil(writes.length / 2);
    for (const part of [writes.slice(0, half), writes.slice(half)]) {
      const still = part.filter(wanted);
      if (still.length) await sendHalving(still, round, send, wanted);
    }
  }
}

/** What `sendBatch` needs besides the batch. */
export interface BatchSending<W> {
  /** One call: the writes handed back unprocessed. */
  send: (writes: W[]) => Promise<W[]>;
  /** A write's key in the table: of two writes of one key in a batch refused, only the later is sent again (`lastOfEachKey`). */
  keyOf: (w: W) => string;
  /** False for a write replaced since it was queued: not sent again, neither written nor lost. */
  wanted: (w: W) => boolean;
  /** How many times the writes handed back are sent again, and the wait before the `attempt`th (1-based). */
  retries: number;
  retryDelayMs: (attempt: number) => number;
}

/**
 * Sends a batch, halving a call refused as malformed (`sendHalving`, at most `MAX_SPLIT_CALLS`
 * more calls over all tries, one more for a key named twice), and again the writes handed
 * back unprocessed (`retries` times); answers what was lost, each part with the failure that lost it.
 * A write is written, left out (no longer `wanted`), or in exactly one loss.
 */
export async function sendBatch<W>(batch: W[], o: BatchSending<W>): Promise<Loss<W>[]> {
  const losses: Loss<W>[] = [];
  const round: HalvingRound<W> = { unprocessed: [], losses, splitCalls: MAX_SPLIT_CALLS, distinct: (writes) => lastOfEachKey(writes, o.keyOf) };
  let left = batch;
  for (let attempt = 0; left.length && attempt <= o.retries; attempt++) {
    if (attempt) {
      await new Promise((r) => setTimeout(r, o.retryDelayMs(attempt)));
      // A stored object's write replaced meanwhile (a delete after a home) must not land after its replacement.
      left = left.filter(o.wanted);
      if (!left.length) break;
    }
    round.unprocessed = [];
    await sendHalving(left, round, o.send, o.wanted);
    // Taken once, the batch names no key twice.
    round.distinct = undefined;
    left = round.unprocessed;
  }
  if (left.length) losses.push({ writes: left, failure: new Error('unprocessed after retries') });
  return losses;
}
