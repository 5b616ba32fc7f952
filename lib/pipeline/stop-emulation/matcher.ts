/**
 * Stop sequences honoured by the gateway for a model that refuses `stop` (o3, o4-mini, codex-mini,
 * GPT-5: `lib/params/mend.ts` drops it from the body): the text of an answer is cut where the
 * first of the client's sequences is complete, as a model that takes `stop` ends its answer there.
 * One matcher reads one choice's text as it streams; a whole answer is read the same way, so the
 * two cut at the very same place.
 */

/** What a matcher lets through of the text pushed to it, and the sequence that ended it, if one did. */
export interface Passed {
  /** The text that may go to the client now (possibly empty). */
  text: string;
  /** The sequence found; the text up to it is `text`, the sequence and all after it are not the client's. */
  stop?: string;
}

/**
 * Reads one choice's text as it comes and lets it through at once, except the shortest tail that
 * could still be the start of a stop sequence (never more than the longest sequence less one
 * character), so the first token is not held up unless a sequence may be beginning. Once a
 * sequence is complete the matcher is done: `text` is what comes before it, and later pushes pass nothing.
 *
 * The cut is where a sequence first becomes complete (the earliest end; of two ending together,
 * the longer), which is where a model stops; a sequence split across pushes is found all the same.
 *
 * @example
 * const matcher = new StopMatcher(['\nObservation:']);
 * matcher.push('Thought: look it up\nObs') // { text: 'Thought: look it up' }  ('\nObs' held back)
 * matcher.push('ervation: 42') // { text: '', stop: '\nObservation:' }
 */
export class StopMatcher {
  readonly #sequences: readonly string[];
  readonly #longest: number;
  /** The sequences' first characters: a tail that starts with none of them needs no closer look. */
  readonly #starts: ReadonlySet<number>;
  #held = '';
  #stopped = false;

  constructor(sequences: readonly string[]) {
    this.#sequences = sequences;
    this.#longest = Math.max(0, ...sequences.map((s) => s.length));
    this.#starts = new Set(sequences.map((s) => s.charCodeAt(0)));
  }

  /** How many characters are held back now (the start of the next push's text in its buffer). */
  get heldLength(): number {
    return this.#held.length;
  }

  /** Whether a sequence has been found (the choice's text has ended). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** The next piece of the choice's text: what may go on now, and the sequence if this completed one. */
  push(text: string): Passed {
    if (this.#stopped) return { text: '' };
    const buffer = this.#held ? this.#held + text : text;
    const found = firstStop(buffer, this.#sequences);
    if (found) {
      this.#stopped = true;
      this.#held = '';
      return { text: buffer.slice(0, found.at), stop: found.sequence };
    }
    const keep = heldTail(buffer, this.#sequences, this.#longest, this.#starts);
    this.#held = keep > 0 ? buffer.slice(buffer.length - keep) : '';
    return { text: keep > 0 ? buffer.slice(0, buffer.length - keep) : buffer };
  }

  /** The text held back, at the end of the choice's text (no sequence followed it); the matcher is empty after. */
  flush(): string {
    const held = this.#held;
    this.#held = '';
    return held;
  }
}

/**
 * A whole text cut at the first stop sequence, as `StopMatcher` cuts it streamed.
 *
 * @example
 * cutAtStop('a\nObservation: b', ['\nObservation:']) // { text: 'a', stop: '\nObservation:' }
 * cutAtStop('no stop here', ['END']) // { text: 'no stop here' }
 */
export function cutAtStop(text: string, sequences: readonly string[]): Passed {
  const found = firstStop(text, sequences);
  return found ? { text: text.slice(0, found.at), stop: found.sequence } : { text };
}

/** Where in `text` a sequence is first complete: the earliest end, and of two ending together the one that starts first. */
function firstStop(text: string, sequences: readonly string[]): { at: number; sequence: string } | undefined {
  let best: { at: number; end: number; sequence: string } | undefined;
  for (const sequence of sequences) {
    const at = text.indexOf(sequence);
    if (at < 0) continue;
    const end = at + sequence.length;
    if (!best || end < best.end || (end === best.end && at < best.at)) best = { at, end, sequence };
  }
  return best;
}

/**
 * How many characters at the end of `text` must wait: the longest tail that is the start of a
 * sequence (a match could only begin there), 0 when none is. Checked from the longest possible
 * tail down, so the first hit is the one that matters.
 */
function heldTail(text: string, sequences: readonly string[], longest: number, starts: ReadonlySet<number>): number {
  for (let k = Math.min(longest - 1, text.length); k > 0; k--) {
    const from = text.length - k;
    if (!starts.has(text.charCodeAt(from))) continue;
    for (const sequence of sequences) {
      if (sequence.length > k && sequence.startsWith(text.slice(from))) return k;
    }
  }
  return 0;
}
