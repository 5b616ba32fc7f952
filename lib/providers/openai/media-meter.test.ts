import { MediaStreamMeter } from './media-meter';

const clock = () => {
  let t = 0;
  return { now: () => (t += 5) };
};

describe('MediaStreamMeter', () => {
  it.each<{ name: string; stream: string[]; complete: boolean; usage?: { input: number; output: number }; error?: string; firstToken: boolean }>([
    {
      name: 'reads a streamed transcription to its done event and its usage',
      stream: ['data: {"type":"transcript.text.delta","delta":"Hel"}\n\n', 'data: {"type":"transcript.text.delta","delta":"lo"}\n\ndata: {"type":"transcript.text.done","text":"Hello","usage":{"type":"tokens","input_tokens":14,"output_tokens":3}}\n\n'],
      complete: true,
      usage: { input: 14, output: 3 },
      firstToken: true,
    },
    {
      name: 'reads streamed speech with event names and split chunks',
      stream: ['event: speech.audio.delta\ndata: {"type":"speech.audio.delta","audio":"AAAA"}\n\nevent: speech.audio.do', 'ne\ndata: {"type":"speech.audio.done","usage":{"input_tokens":5,"output_tokens":40,"total_tokens":45}}\n\n'],
      complete: true,
      usage: { input: 5, output: 40 },
      firstToken: true,
    },
    {
      name: 'reads a streamed image to its completed event',
      stream: ['event: image_generation.partial_image\ndata: {"type":"image_generation.partial_image","b64_json":"AA=="}\n\n', 'event: image_generation.completed\ndata: {"type":"image_generation.completed","b64_json":"AA==","usage":{"input_tokens":50,"output_tokens":272}}\n\n'],
      complete: true,
      usage: { input: 50, output: 272 },
      firstToken: true,
    },
    { name: 'knows a stream cut before its done event', stream: ['data: {"type":"transcript.text.delta","delta":"Hel"}\n\n'], complete: false, firstToken: true },
    { name: 'reads an in-band error', stream: ['data: {"type":"error","error":{"message":"boom"}}\n\n'], complete: false, error: 'boom', firstToken: false },
    { name: 'reads a done event without usage (whisper counts none)', stream: ['data: {"type":"transcript.text.done","text":"Hi"}\n\n'], complete: true, firstToken: false },
  ])('$name', ({ stream, complete, usage, error, firstToken }) => {
    const meter = new MediaStreamMeter(0, clock().now);
    for (const chunk of stream) meter.feed(Buffer.from(chunk));
    expect(meter.complete).toBe(complete);
    expect(meter.usage === undefined ? undefined : { input: meter.usage.input, output: meter.usage.output }).toEqual(usage);
    expect(meter.error?.message).toBe(error);
    // Passed on as the upstream wrote it: nothing of it is the log's alone, and it is booked without a code.
    expect([meter.error?.code, meter.error?.detail]).toEqual([undefined, undefined]);
    expect(meter.firstTokenMs !== undefined).toBe(firstToken);
  });

  it.each([
    { name: 'generation', prefix: 'image_generation' },
    { name: 'edit', prefix: 'image_edit' },
  ])('counts each completed image of a streamed $name with n=2, their output tokens added and the prompt once', ({ prefix }) => {
    // Prepare
    const completed = (output: number) => `event: ${prefix}.completed\ndata: {"type":"${prefix}.completed","b64_json":"AA==","usage":{"input_tokens":50,"output_tokens":${output}}}\n\n`;
    const partial = `event: ${prefix}.partial_image\ndata: {"type":"${prefix}.partial_image","b64_json":"AA=="}\n\n`;
    const meter = new MediaStreamMeter(0, clock().now);

    // Act
    for (const chunk of [partial, completed(272), partial, completed(400)]) meter.feed(Buffer.from(chunk));

    // Assess
    expect(meter.images).toBe(2);
    expect(meter.usage).toMatchObject({ input: 50, output: 672 });
    expect(meter.complete).toBe(true);
  });

  it.each([
    ['CR line ends', 'data: {"type":"transcript.text.delta","delta":"Hi"}\r\rdata: {"type":"transcript.text.done","text":"Hi","usage":{"input_tokens":14,"output_tokens":3}}\r\r'],
    ['its last event without its blank line', 'data: {"type":"transcript.text.delta","delta":"Hi"}\n\ndata: {"type":"transcript.text.done","text":"Hi","usage":{"input_tokens":14,"output_tokens":3}}'],
  ])('reads the done event, the last, of a stream with %s once told it ended', (_name, text) => {
    // Prepare
    const meter = new MediaStreamMeter(0, clock().now);

    // Act
    meter.feed(Buffer.from(text));
    const before = meter.complete;
    meter.end();

    // Assess
    expect(before).toBe(false);
    expect(meter.complete).toBe(true);
    expect(meter.usage).toMatchObject({ input: 14, output: 3 });
  });

  it('counts no images in a transcription', () => {
    const meter = new MediaStreamMeter(0, clock().now);

    meter.feed(Buffer.from('data: {"type":"transcript.text.done","text":"Hi","usage":{"input_tokens":1,"output_tokens":1}}\n\n'));

    expect(meter.images).toBe(0);
  });
});
