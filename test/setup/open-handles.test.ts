import { beyond, tally } from './open-handles';

describe('beyond', () => {
  it.each([
    ['nothing more than at the start', ['TTYWrap', 'Timeout'], ['Timeout', 'TTYWrap'], []],
    ['fewer than at the start (a handle of an earlier file closed)', ['Timeout', 'Timeout'], ['Timeout'], []],
    ['a server and a timer left', ['TTYWrap'], ['TTYWrap', 'TCPServerWrap', 'Timeout'], ['TCPServerWrap+1', 'Timeout+1']],
    ['more of a kind there was', ['TCPSocketWrap'], ['TCPSocketWrap', 'TCPSocketWrap', 'TCPSocketWrap'], ['TCPSocketWrap+2']],
    ['one closed and another of a kind opened: counted, not told apart', ['Timeout'], ['Timeout'], []],
  ])('%s', (_, start, now, expected) => {
    // Act
    const left = beyond(tally(start), tally(now));

    // Assess
    expect(left).toEqual(expected);
  });
});
