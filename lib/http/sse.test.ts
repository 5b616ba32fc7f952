import { sseReframed } from './sse';

describe('sseReframed', () => {
  it.each([
    ['one line of data', '{"a":1}', undefined, 'data: {"a":1}\n\n'],
    ['data of several lines, one data line each', 'line 1\nline 2', undefined, 'data: line 1\ndata: line 2\n\n'],
    ['a named event', '{"error":{}}', 'error', 'event: error\ndata: {"error":{}}\n\n'],
  ])('%s', (_name, data, event, expected) => {
    expect(sseReframed(data, event)).toBe(expected);
  });
});
