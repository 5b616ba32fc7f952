import { loggableError } from './loggable-error';

function parseError(text: string): Error {
  try {
    JSON.parse(text);
  } catch (err) {
    return err as Error;
  }
  throw new Error('parsed');
}

describe('loggableError', () => {
  it.each([
    ['a short text, quoted whole', 'my secret prompt'],
    ['a long text, quoted in part', 'hello world, here is my long secret prompt'],
    ['a text with quotes and escapes', 'x"a\\"b" trailing'],
    ['a text starting with a dollar', "$' my secret"],
    ['a text over lines', 'h\nmy "secret"\nprompt'],
  ])('cuts the JSON text V8 quotes from the message and the stack: %s', (_, text) => {
    const err = parseError(text);
    expect(err.message).toContain(text.slice(0, 5)); // V8 quotes it: the case this guards

    const logged = loggableError(err);

    expect(logged.name).toBe('SyntaxError');
    expect(logged.message).toBe(`Unexpected token '${text[0]}' (the text is not logged) is not valid JSON`);
    expect(logged.message).not.toContain(text.slice(1, 5));
    expect(logged.stack).not.toContain(text.slice(1, 5));
    expect(logged.stack).toContain('loggable-error.test');
  });

  it.each([
    ['a JSON error that quotes nothing', parseError('{"a":1} more'), 'Unexpected non-whitespace character after JSON at position 8'],
    ['any other error', new TypeError("Cannot read properties of null (reading 'x')"), "Cannot read properties of null (reading 'x')"],
  ])('keeps %s as it is', (_, err, message) => {
    expect(loggableError(err)).toBe(err);
    expect(loggableError(err).message).toBe(message);
  });

  it.each([
    ['a string', 'a prompt thrown as a string', 'a string was thrown (not logged)'],
    ['null', null, 'a null was thrown'],
    ['an object', { prompt: 'x' }, 'a object was thrown'],
  ])('describes %s thrown without its content', (_, thrown, message) => {
    expect(loggableError(thrown).message).toBe(message);
  });

  it('keeps the cause of an error whose message it cuts', () => {
    const cause = new TypeError('the first failure');
    const err = new SyntaxError(`Unexpected token 'h', "hello worl"... is not valid JSON`, { cause });

    const logged = loggableError(err);

    expect(logged.message).toBe("Unexpected token 'h' (the text is not logged) is not valid JSON");
    expect(logged.cause).toBe(cause);
  });

  it('cuts the JSON text from an error down the cause chain, the errors above it kept as they are but for their cause', () => {
    class Wrapped extends Error {
      readonly code = 'upstream_bad_stream';
    }
    const parse = parseError('my secret prompt');
    const err = new Wrapped('the upstream sent something else', { cause: new Error('while reading', { cause: parse }) });

    const logged = loggableError(err);

    expect(logged).toBeInstanceOf(Wrapped);
    expect(logged).toMatchObject({ name: 'Error', message: 'the upstream sent something else', code: 'upstream_bad_stream' });
    expect(logged.stack).toBe(err.stack);
    const middle = logged.cause as Error;
    expect(middle.message).toBe('while reading');
    expect((middle.cause as Error).message).toBe("Unexpected token 'm' (the text is not logged) is not valid JSON");
    expect(JSON.stringify({ stack: middle.stack, inner: (middle.cause as Error).stack })).not.toContain('secret');
    expect(err.cause).not.toBe(middle); // the thrown error is left as it was
    expect(((err.cause as Error).cause as Error).message).toContain('secret');
  });

  it('keeps an error whose cause chain quotes nothing as it is', () => {
    const err = new Error('outer', { cause: new TypeError('inner') });
    expect(loggableError(err)).toBe(err);
  });
});
