import { fuzzer } from '../../test/fuzz';
import { MultipartError, multipartFields, multipartParts, withMultipartField } from './multipart';

/**
 * Uploads the official clients send, cut, spliced and sprinkled with boundary-like bytes: the
 * framer either reads them or refuses them with its 400, and whatever it reads, a rewritten
 * `model` reads back as written with every other field unchanged.
 */
const B = 'fuzz-boundary';
const PIECES = ['\r\n', `--${B}`, `--${B}--`, '\r\n\r\n', '"', 'Content-Disposition: form-data; name="model"', 'name=', '\u0000', '\xff', '--', 'filename="a"'];
const VALID = Buffer.from(
  `--${B}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\nRIFF\u0000\u0001--\r\n\r\n--${B}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--${B}\r\nContent-Disposition: form-data; name="language"\r\n\r\nen\r\n--${B}--\r\n`,
  'latin1',
);

it('reads or refuses 3 000 mutated uploads, and rewrites what it reads exactly', () => {
  const { random, pick } = fuzzer(11, { names: [], scalars: [] });
  for (let i = 0; i < 3_000; i++) {
    let body = VALID;
    for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
      const at = Math.floor(random() * (body.length + 1));
      const cut = random() < 0.3 ? Math.floor(random() * 8) : 0;
      body = Buffer.concat([body.subarray(0, at), Buffer.from(random() < 0.7 ? pick(PIECES) : '', 'latin1'), body.subarray(at + cut)]);
    }
    let parts;
    try {
      parts = multipartParts(body, B);
    } catch (err) {
      expect(err).toBeInstanceOf(MultipartError);
      continue;
    }
    const before = multipartFields(body, parts);
    const rewritten = withMultipartField(body, parts, 'model', 'gpt-4o-transcribe');
    const after = multipartFields(rewritten, multipartParts(rewritten, B));
    expect(after).toEqual('model' in before ? { ...before, model: 'gpt-4o-transcribe' } : before);
  }
});
