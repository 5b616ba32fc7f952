import { AnthropicStreamMeter } from './stream-meter';
import { SseReader } from '../../http/sse';
import { parseEventData } from './sse';
import { capturedSse } from '../../../test/integration/claude-code/fixtures';
import { charTokens } from '../../surfaces/anthropic-messages/count-tokens';


describe('AnthropicStreamMeter', () => {
  it.each([
    ['CR line ends', (text: string) => text.replaceAll('\n', '\r')],
    ['LF line ends but a CR as the very last byte', (text: string) => `${text.slice(0, -1)}\r`],
  ])('sees message_stop, the last event, of a stream in %s once told it ended', (_name, lineEnds) => {
    // Prepare
    const meter = new AnthropicStreamMeter(0, () => 5);
    const bytes = Buffer.from(lineEnds(capturedSse('cc-1.0.6-haiku-title')));

    // Act
    for (let i = 0; i < bytes.length; i += 11) meter.feed(bytes.subarray(i, i + 11));
    const before = meter.sawMessageStop;
    meter.end();

    // Assess
    expect(before).toBe(false);
    expect(meter.sawMessageStop).toBe(true);
    expect(meter.usage).toMatchObject({ input: 96, output: 15 });
  });

  it.each([
    { file: 'cc-1.0.6-first-turn', usage: { input: 15036, output: 174, cacheRead: 0, cacheWrite: 15032, reasoning: 0 }, stopReason: 'tool_use' },
    { file: 'cc-1.0.6-tool-loop', usage: { input: 18696, output: 122, cacheRead: 18418, cacheWrite: 275, reasoning: 0 }, stopReason: 'end_turn' },
    { file: 'cc-1.0.6-haiku-title', usage: { input: 96, output: 15, cacheRead: 0, cacheWrite: 0, reasoning: 0 }, stopReason: 'end_turn' },
  ] as const)('meters $file fed in small raw chunks', ({ file, usage, stopReason }) => {
    // Prepare
    let clock = 100;
    const meter = new AnthropicStreamMeter(100, () => clock);
    const bytes = Buffer.from(capturedSse(file));

    // Act
    for (let i = 0; i < bytes.length; i += 11) {
      clock += 1;
      meter.feed(bytes.subarray(i, i + 11));
    }

    // Assess
    expect(meter.usage).toEqual(usage);
    expect(meter.stopReason).toBe(stopReason);
    expect(meter.sawMessageStop).toBe(true);
    expect(meter.error).toBeUndefined();
    expect(meter.firstTokenMs).toBeGreaterThan(0);
    expect(meter.firstTokenMs).toBeLessThan(bytes.length / 11);
  });

  it.each([
    { file: 'cc-1.0.6-first-turn', output: 174 },
    { file: 'cc-1.0.6-tool-loop', output: 122 },
    { file: 'cc-1.0.6-haiku-title', output: 15 },
  ] as const)('counts the output relayed in $file within a factor of two of Anthropic’s own count ($output)', ({ file, output }) => {
    // Prepare
    const meter = new AnthropicStreamMeter(0);

    // Act
    meter.feed(capturedSse(file));

    // Assess: what a stream cut off at its end would be charged (lib/usage/cut-off.ts).
    const estimate = charTokens(meter.outputChars);
    expect(estimate).toBeGreaterThanOrEqual(output / 2);
    expect(estimate).toBeLessThanOrEqual(output * 2);
  });

  it('notes an in-band error and a stream cut before message_stop', () => {
    // Prepare
    const meter = new AnthropicStreamMeter(0, () => 5);

    // Act
    meter.feed('event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":7,"output_tokens":1}}}\n\n');
    meter.feed('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n');

    // Assess
    expect(meter.usage).toMatchObject({ input: 7, output: 1 });
    expect(meter.error).toMatchObject({ status: 503, message: 'Overloaded' });
    expect(meter.sawMessageStop).toBe(false);
    expect(meter.firstTokenMs).toBeUndefined();
  });

  it.each([['cc-1.0.6-first-turn'], ['cc-1.0.6-tool-loop'], ['cc-1.0.6-haiku-title']] as const)('learns the same from the events of %s already parsed as from their SSE text', (file) => {
    // Prepare: the events as a reader that parsed them hands them on (Bedrock's).
    const text = capturedSse(file) + 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
    const events: [string | undefined, string][] = [];
    new SseReader({ onEvent: (event) => events.push([event.event, event.data]) }).feed(text);
    const fed = new AnthropicStreamMeter(0, () => 5);
    const parsed = new AnthropicStreamMeter(0, () => 5);

    // Act
    fed.feed(text);
    for (const [name, data] of events) parsed.observeParsed(name, data, parseEventData(data));

    // Assess
    expect(events.length).toBeGreaterThan(5);
    const findings = (m: AnthropicStreamMeter) => ({ usage: m.usage, stopReason: m.stopReason, firstTokenMs: m.firstTokenMs, sawMessageStop: m.sawMessageStop, error: m.error?.message, outputChars: m.outputChars });
    expect(findings(parsed)).toEqual(findings(fed));
    expect(findings(parsed)).toMatchObject({ sawMessageStop: true, error: 'Overloaded', firstTokenMs: 5 });
  });
});
