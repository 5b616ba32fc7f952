import { cutAtStop, StopMatcher, type Passed } from './matcher';

/** Pushes each piece in turn, and says what went out after each. */
function pushAll(sequences: string[], pieces: string[]): Passed[] {
  const matcher = new StopMatcher(sequences);
  return pieces.map((piece) => matcher.push(piece));
}

describe('cutAtStop, on a whole text', () => {
  // [case, text, sequences, what the client gets]
  it.each<[string, string, string[], Passed]>([
    ['no sequence in it', 'Hello there', ['END'], { text: 'Hello there' }],
    ['cut before the sequence, which is not kept', 'Thought: x\nObservation: 42', ['\nObservation:'], { text: 'Thought: x', stop: '\nObservation:' }],
    ['the sequence at the very start', 'END of it', ['END'], { text: '', stop: 'END' }],
    ['the sequence at the very end', 'all done END', ['END'], { text: 'all done ', stop: 'END' }],
    ['the first of two occurrences', 'a END b END', ['END'], { text: 'a ', stop: 'END' }],
    ['of several sequences, the one that comes first', 'one STOP two END', ['END', 'STOP'], { text: 'one ', stop: 'STOP' }],
    ['a newline as the sequence', 'line one\nline two', ['\n'], { text: 'line one', stop: '\n' }],
    // A model stops as soon as a sequence is complete: "bc" is complete before "abcd" is.
    ['the one complete first, where sequences overlap', 'xabcd', ['abcd', 'bc'], { text: 'xa', stop: 'bc' }],
    ['of two complete at once, the longer', 'xabc', ['bc', 'abc'], { text: 'x', stop: 'abc' }],
    ['characters beyond the BMP', 'fin 🛑 after', ['🛑'], { text: 'fin ', stop: '🛑' }],
  ])('%s', (_case, text, sequences, expected) => {
    expect(cutAtStop(text, sequences)).toEqual(expected);
  });
});

describe('StopMatcher, on a streamed text', () => {
  it('lets text through at once when no sequence could be beginning', () => {
    const out = pushAll(['\nObservation:'], ['Thought: I should', ' look it up']);

    expect(out).toEqual([{ text: 'Thought: I should' }, { text: ' look it up' }]);
  });

  it('holds back only the tail that could start a sequence, and lets it go when it turns out not to', () => {
    const out = pushAll(['\nObservation:'], ['Thought\nObs', 'cure fact']);

    expect(out).toEqual([{ text: 'Thought' }, { text: '\nObscure fact' }]);
  });

  it('finds a sequence split across many pushes, one character each', () => {
    const out = pushAll(['END'], ['a', 'E', 'N', 'D', 'b']);

    expect(out).toEqual([{ text: 'a' }, { text: '' }, { text: '' }, { text: '', stop: 'END' }, { text: '' }]);
  });

  it('finds a sequence split across two pushes with text before it in the second', () => {
    const out = pushAll(['</answer>'], ['The answer is 42.</ans', 'wer> and more']);

    expect(out).toEqual([{ text: 'The answer is 42.' }, { text: '', stop: '</answer>' }]);
  });

  it('never holds back more than the longest sequence less one character', () => {
    const matcher = new StopMatcher(['aaaa']);

    const out = matcher.push('xaaa');

    expect(out).toEqual({ text: 'x' });
    expect(matcher.flush()).toBe('aaa');
  });

  it('holds back from the earliest place a sequence could begin, so overlapping starts are not missed', () => {
    const out = pushAll(['abab'], ['xab', 'a', 'b!']);

    expect(out).toEqual([{ text: 'x' }, { text: '' }, { text: '', stop: 'abab' }]);
  });

  it('gives back what it held when the text ends without a sequence', () => {
    const matcher = new StopMatcher(['\n\nHuman:']);
    matcher.push('Goodbye\n\n');

    const held = matcher.flush();

    expect(held).toBe('\n\n');
    expect(matcher.flush()).toBe('');
  });

  it('passes nothing more once a sequence has been found', () => {
    const matcher = new StopMatcher(['END']);
    matcher.push('xEND');

    expect(matcher.stopped).toBe(true);
    expect(matcher.push('more')).toEqual({ text: '' });
    expect(matcher.flush()).toBe('');
  });
});
