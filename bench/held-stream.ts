/**
 * One streamed answer as the stream-hold micro-benchmarks run it (`lib/pipeline/stream-hold.bench.ts`,
 * `early-frames.bench.ts`): an `UpstreamBody` given the stream's reads, then read to its end,
 * either unwatched (as a stream no in-band error may open is relayed) or held until its start
 * (the scan of its framing, `streamScan`), checked for an early failure, then read.
 *
 * @example
 * await medianNsPerAsyncCall(heldAnswer([chunk], 'text/event-stream'), 100_000);
 */
import { answerInHand, failedBeforeAnswer } from '../lib/pipeline/read-ahead';
import { streamScan } from '../lib/upstream/answer-start';
import type { UpstreamResponse } from '../lib/upstream/http';
import { UpstreamBody } from '../lib/upstream/response-body';

const noop = () => undefined;

/** The answer relayed unwatched: its reads pushed, then read. */
export function unwatchedAnswer(reads: readonly Buffer[]): () => Promise<void> {
  return async () => {
    const body = new UpstreamBody(noop, noop);
    for (const chunk of reads) body.push(chunk);
    body.end();
    for await (const _ of body);
  };
}

/**
 * The answer held until its start (`answerInHand`), its opening checked for an early failure
 * (`failedBeforeAnswer`: a sound answer read as one throws), then read. `jsonArray`: the call
 * asked for Gemini's JSON array (its content type alone says JSON).
 */
export function heldAnswer(reads: readonly Buffer[], contentType: string, jsonArray = false): () => Promise<void> {
  const ctx = { stream: true, jsonArray };
  return async () => {
    const body = new UpstreamBody(noop, noop, undefined, { scan: streamScan(contentType, jsonArray)!, onStart: noop });
    const res: UpstreamResponse = { status: 200, headers: { 'content-type': contentType }, body };
    for (const chunk of reads) body.push(chunk);
    const holding = answerInHand(res, ctx, undefined, 'p');
    if (holding) await holding;
    if (failedBeforeAnswer(res, 'p')) throw new Error('a sound answer read as a failure');
    body.end();
    for await (const _ of body);
  };
}
