import { multipartBoundary, multipartFields, multipartParts, withMultipartField } from './multipart';

const B = 'XyZ123';
/** A body from parts written as the official clients write them (CRLF lines). */
const body = (...parts: string[]) => Buffer.from(`${parts.map((p) => `--${B}\r\n${p}\r\n`).join('')}--${B}--\r\n`);
const field = (name: string, value: string) => `Content-Disposition: form-data; name="${name}"\r\n\r\n${value}`;
const file = (name: string, filename: string, bytes: string) => `Content-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n${bytes}`;

describe('multipartBoundary', () => {
  it.each([
    ['multipart/form-data; boundary=XyZ123', 'XyZ123'],
    ['multipart/form-data; boundary="with space"', 'with space'],
    ['Multipart/Form-Data ; charset=utf-8; BOUNDARY=abc', 'abc'],
    ['multipart/form-data', undefined],
    ['multipart/form-data; boundary=', undefined],
    [`multipart/form-data; boundary=${'a'.repeat(71)}`, undefined],
    ['application/json', undefined],
    ['multipart/mixed; boundary=abc', undefined],
    [undefined, undefined],
  ])('%s → %s', (contentType, expected) => {
    expect(multipartBoundary(contentType)).toBe(expected);
  });
});

describe('multipartParts and multipartFields', () => {
  it.each<{ name: string; raw: Buffer; fields: Record<string, string>; files?: string[] }>([
    { name: 'reads text fields and skips files', raw: body(file('file', 'a.mp3', 'ID3\u0000binary'), field('model', 'whisper-1'), field('stream', 'true')), fields: { model: 'whisper-1', stream: 'true' }, files: ['a.mp3'] },
    { name: 'keeps a field\'s first value when it is given twice', raw: body(field('model', 'a'), field('model', 'b')), fields: { model: 'a' } },
    { name: 'reads an empty value', raw: body(field('prompt', ''), field('model', 'm')), fields: { prompt: '', model: 'm' } },
    { name: 'skips a preamble and an epilogue', raw: Buffer.concat([Buffer.from('preamble\r\n'), body(field('model', 'm')), Buffer.from('epilogue')]), fields: { model: 'm' } },
    { name: 'takes header names in any case and unquoted names', raw: Buffer.from(`--${B}\r\ncontent-disposition: form-data; NAME=model\r\n\r\nm\r\n--${B}--`), fields: { model: 'm' } },
    { name: 'reads escaped quotes in names', raw: body('Content-Disposition: form-data; name="a\\"b"\r\n\r\nv'), fields: { 'a"b': 'v' } },
    { name: 'does not end a value at the boundary inside a line', raw: body(field('prompt', `x --${B} y`)), fields: { prompt: `x --${B} y` } },
    { name: 'keeps CRLFs inside a value', raw: body(field('prompt', 'one\r\ntwo\r\n')), fields: { prompt: 'one\r\ntwo\r\n' } },
    { name: 'allows transport padding after a boundary', raw: Buffer.from(`--${B}  \r\n${field('model', 'm')}\r\n--${B}--`), fields: { model: 'm' } },
    { name: 'reads UTF-8 values', raw: body(field('prompt', 'café ☕')), fields: { prompt: 'café ☕' } },
    { name: 'takes a body of no parts', raw: Buffer.from(`--${B}--\r\n`), fields: {} },
  ])('$name', ({ raw, fields, files }) => {
    const parts = multipartParts(raw, B);
    expect(multipartFields(raw, parts)).toEqual(fields);
    if (files) expect(parts.filter((p) => p.filename !== undefined).map((p) => p.filename)).toEqual(files);
  });

  it.each([
    ['no boundary in the body', Buffer.from('model=gpt'), 'no part starts with the boundary'],
    ['another boundary than content-type names', body(field('model', 'm')).toString().replaceAll(B, 'Other'), 'no part starts with the boundary'],
    ['no closing boundary', Buffer.from(`--${B}\r\n${field('model', 'm')}`), 'without the closing boundary'],
    ['headers without a blank line', Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="m"`), 'do not end with a blank line'],
    ['LF-only lines', Buffer.from(`--${B}\nContent-Disposition: form-data; name="m"\n\nv\n--${B}--`), 'without the closing boundary'],
    ['a part without Content-Disposition', body('Content-Type: text/plain\r\n\r\nv'), 'no Content-Disposition'],
    ['a part without a name', body('Content-Disposition: form-data; filename="a"\r\n\r\nv'), 'names no field'],
    ['text after a boundary', Buffer.from(`--${B}junk\r\n${field('model', 'm')}\r\n--${B}--`), 'text after the boundary'],
    // Which one a reader takes is its own choice: the gateway could check one name and the upstream read another.
    ['a name given twice in one part', body('Content-Disposition: form-data; name="prompt"; name="model"\r\n\r\ndear'), 'gives a parameter twice'],
    ['two Content-Disposition headers in one part', body('Content-Disposition: form-data; name="prompt"\r\nContent-Disposition: form-data; name="model"\r\n\r\ndear'), 'more than one Content-Disposition'],
  ])('refuses %s with a 400', (_name, raw, message) => {
    expect(() => multipartParts(Buffer.from(raw), B)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_multipart', message: expect.stringContaining(message) }));
  });
});

describe('withMultipartField', () => {
  const binary = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x2d, 0x2d, 0x41, 0x0d, 0x0a]);
  const upload = () => {
    const head = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n`);
    return Buffer.concat([head, binary, Buffer.from(`\r\n--${B}\r\n${field('model', 'alias')}\r\n--${B}\r\n${field('language', 'en')}\r\n--${B}--\r\n`)]);
  };

  it.each<{ name: string; value: string | undefined; fields: Record<string, string> }>([
    { name: 'swaps the model, longer', value: 'upstream-model-name', fields: { model: 'upstream-model-name', language: 'en' } },
    { name: 'swaps the model, shorter', value: 'm', fields: { model: 'm', language: 'en' } },
    { name: 'removes the model part', value: undefined, fields: { language: 'en' } },
  ])('$name and keeps the file part byte for byte', ({ value, fields }) => {
    const raw = upload();
    const out = withMultipartField(raw, multipartParts(raw, B), 'model', value);
    const parts = multipartParts(out, B);
    expect(multipartFields(out, parts)).toEqual(fields);
    const filePart = parts.find((p) => p.filename === 'a.bin')!;
    expect(Buffer.from(out.subarray(filePart.valueStart, filePart.valueEnd))).toEqual(binary);
    expect(out.subarray(0, filePart.valueEnd)).toEqual(raw.subarray(0, filePart.valueEnd));
  });

  it('removes a last part and leaves a well-formed body', () => {
    const raw = body(field('language', 'en'), field('model', 'm'));
    expect(withMultipartField(raw, multipartParts(raw, B), 'model', undefined).toString()).toBe(body(field('language', 'en')).toString());
  });

  it('leaves the body as it is when the field is not there', () => {
    const raw = body(field('language', 'en'));
    expect(withMultipartField(raw, multipartParts(raw, B), 'model', 'x')).toBe(raw);
  });
});
