import type { GatewayRequest } from '../../http/types';
import { multipartRequestFields } from './request';

const B = 'XyZ123';
const body = (...parts: string[]) => Buffer.from(`${parts.map((p) => `--${B}\r\n${p}\r\n`).join('')}--${B}--\r\n`);
const field = (name: string, value: string) => `Content-Disposition: form-data; name="${name}"\r\n\r\n${value}`;
const file = (name: string, filename: string, bytes: string) => `Content-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n${bytes}`;
const req = { headers: { 'content-type': `multipart/form-data; boundary=${B}` } } as unknown as GatewayRequest;

describe('multipartRequestFields', () => {
  it('reads the text fields of an upload', () => {
    expect(multipartRequestFields(body(file('file', 'a.mp3', 'ID3'), field('model', 'whisper-1')), req)).toEqual({ model: 'whisper-1' });
  });

  // The gateway checks and rewrites the first `model` part; an upstream that reads the last one
  // (Starlette's form, for one) would be served the model the key was never checked for.
  it.each([
    ['two model fields', body(field('model', 'cheap'), field('model', 'dear'), file('file', 'a.mp3', 'ID3'))],
    ['a model field and a file part named model', body(field('model', 'cheap'), file('model', 'dear', 'x'))],
    ['two stream fields', body(field('model', 'm'), field('stream', 'false'), field('stream', 'true'))],
  ])('refuses %s with a 400', (_name, raw) => {
    expect(() => multipartRequestFields(raw, req)).toThrow(expect.objectContaining({ status: 400, param: expect.any(String) }));
  });

  // An image edit is held and charged per image by its `n`: an upstream that reads another `n` than the first would make images no budget held.
  it.each([
    ['two n fields', body(field('model', 'dall-e-2'), field('n', '1'), field('n', '10'), file('image', 'a.png', 'PNG'))],
    ['an n field and a file part named n', body(field('model', 'dall-e-2'), field('n', '1'), file('n', '10', 'x'))],
  ])('refuses %s with a 400 naming n', (_name, raw) => {
    expect(() => multipartRequestFields(raw, req)).toThrow(expect.objectContaining({ status: 400, param: 'n' }));
  });
});
