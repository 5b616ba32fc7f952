import { fuzzer } from '../../../test/fuzz';
import { stoppedEvents } from './canonical';
import { ChatStopStream } from './chat-completions';
import { cutAtStop, StopMatcher } from './matcher';
import type { StreamEvent } from '../../canonical/types';

/**
 * Texts and stop sequences from a small alphabet (so sequences overlap, repeat and split often),
 * cut into random pieces: the streamed cut must be the whole text's cut, and nothing beyond the
 * longest sequence less one character may wait.
 */
const ALPHABET = ['a', 'b', 'a', 'b', '\n', 'O', '🛑'];

function setup(seed: number) {
  const { random, pick } = fuzzer(seed, { names: [], scalars: [] });
  const word = (max: number) => Array.from({ length: 1 + Math.floor(random() * max) }, () => pick(ALPHABET)).join('');
  const sequences = () => Array.from({ length: 1 + Math.floor(random() * 4) }, () => word(4));
  /** `text` in random pieces (some empty), split anywhere but inside a surrogate pair. */
  const pieces = (text: string) => {
    const chars = [...text];
    const out: string[] = [];
    let i = 0;
    while (i < chars.length) {
      const n = Math.floor(random() * 5);
      out.push(chars.slice(i, i + n).join(''));
      i += n;
    }
    return out;
  };
  return { random, word, sequences, pieces };
}

describe('stop emulation, on random texts in random pieces', () => {
  it('cuts a streamed text where the whole text is cut, holding back at most the longest sequence less one', () => {
    const { word, sequences, pieces } = setup(20261127);

    for (let i = 0; i < 3000; i++) {
      const seqs = sequences();
      const text = word(40);
      const longest = Math.max(...seqs.map((s) => s.length));
      const matcher = new StopMatcher(seqs);
      let out = '';
      let seen = 0;
      let stop: string | undefined;
      for (const piece of pieces(text)) {
        const passed = matcher.push(piece);
        out += passed.text;
        seen += piece.length;
        if (passed.stop !== undefined) {
          stop = passed.stop;
          break;
        }
        expect(seen - out.length).toBeLessThanOrEqual(longest - 1);
      }
      if (stop === undefined) out += matcher.flush();

      const whole = cutAtStop(text, seqs);
      expect({ text: out, stop }).toEqual({ text: whole.text, stop: whole.stop });
    }
  });

  it('gives a Chat Completions stream of two choices, interleaved in random chunks, each choice’s whole cut', () => {
    const { random, word, sequences, pieces } = setup(7);

    for (let i = 0; i < 500; i++) {
      const seqs = sequences();
      const texts = [word(30), word(30)];
      const queues = texts.map((text) => pieces(text));
      const stream = new ChatStopStream({ sequences: seqs, choices: 2 });
      let sent = '';
      const chunk = (index: number, delta: object, finish: string | null = null) => JSON.stringify({ id: 'c', choices: [{ index, delta, finish_reason: finish }] });
      while (queues.some((q) => q.length > 0)) {
        const index = queues[0]!.length > 0 && (queues[1]!.length === 0 || random() < 0.5) ? 0 : 1;
        sent += stream.event(chunk(index, { content: queues[index]!.shift()! }));
      }
      for (const index of [0, 1]) sent += stream.event(chunk(index, {}, 'length'));
      sent += stream.event('[DONE]') + stream.end();

      const got = ['', ''];
      const finish: (string | undefined)[] = [undefined, undefined];
      const events = sent.split('\n\n').filter(Boolean).map((e) => e.slice('data: '.length));
      expect(events.filter((e) => e === '[DONE]')).toHaveLength(1);
      for (const data of events.filter((e) => e !== '[DONE]')) {
        for (const c of (JSON.parse(data) as { choices: { index: number; delta: { content?: string }; finish_reason: string | null }[] }).choices) {
          got[c.index] += c.delta.content ?? '';
          finish[c.index] ??= c.finish_reason ?? undefined;
        }
      }
      for (const index of [0, 1]) {
        const whole = cutAtStop(texts[index]!, seqs);
        expect(got[index]).toBe(whole.text);
        expect(finish[index]).toBe(whole.stop !== undefined ? 'stop' : 'length');
      }
    }
  });

  it('gives a translated stream the whole text’s cut, with the sequence on its finish', async () => {
    const { word, sequences, pieces } = setup(99);

    for (let i = 0; i < 500; i++) {
      const seqs = sequences();
      const text = word(40);
      async function* source(): AsyncGenerator<StreamEvent> {
        yield { type: 'start', id: 's', model: 'o3' };
        for (const piece of pieces(text)) yield { type: 'text_delta', text: piece };
        yield { type: 'finish', reason: 'length' };
      }

      let out = '';
      const finishes: StreamEvent[] = [];
      for await (const event of stoppedEvents(source(), seqs)) {
        if (event.type === 'text_delta') out += event.text;
        if (event.type === 'finish') finishes.push(event);
      }

      const whole = cutAtStop(text, seqs);
      expect(out).toBe(whole.text);
      expect(finishes).toEqual([whole.stop !== undefined ? { type: 'finish', reason: 'stop', stopSequence: whole.stop } : { type: 'finish', reason: 'length' }]);
    }
  });
});
