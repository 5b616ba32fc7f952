import OpenAI from 'openai';
import { eventually, startHarness, type Harness } from './harness';

/** Every request leaves one usage record, however it ends, also when many run at once. */
const FIRST_CHUNK = `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] })}\n\n`;

describe('usage records under concurrency', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it('records each of 200 concurrent requests once: whole, streamed, broken off upstream, or abandoned by the client before or after its stream opened', async () => {
    // Prepare: the prompt says how the fake upstream treats each request.
    // A client that leaves does so once its call has reached the upstream (`hang <n>` names its controller): its stream is held
    // until its first event, which never comes, so it leaves while it waits for the headers.
    const leaving = new Map<string, AbortController>();
    h.upstream.reply((req) => {
      const text = JSON.stringify((req.body as { messages: unknown[] }).messages);
      if (text.includes('drop')) return { kind: 'drop', afterChunks: 2 };
      // The first chunk, then silence (empty pieces are pauses): the client leaves once it has that chunk.
      if (text.includes('slow')) return { kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: [FIRST_CHUNK, ...Array<string>(50).fill('')], delayMs: 100 };
      const hang = /hang \d+/.exec(text)?.[0];
      if (hang) {
        setTimeout(() => leaving.get(hang)!.abort(), 20);
        return { kind: 'hang-after-headers' };
      }
      return { kind: 'text', text: 'fine', usage: { prompt: 5, completion: 1 } };
    });
    const { id, key } = await h.createKey({ name: 'crowd', models: ['*'] });
    const client = new OpenAI({ apiKey: key, baseURL: `${h.gw.url}/v1`, maxRetries: 0 });
    const kinds = Array.from({ length: 200 }, (_, i) => (['whole', 'stream', 'drop', 'leave', 'leave-open'] as const)[i % 5]);

    // Act
    await Promise.all(
      kinds.map(async (kind, i) => {
        const content = { drop: 'drop', leave: `hang ${i}`, 'leave-open': 'slow', stream: 'ok', whole: 'ok' }[kind!];
        const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content }];
        if (kind === 'whole') return client.chat.completions.create({ model: 'gpt-4o-mini', messages });
        const controller = new AbortController();
        if (kind === 'leave') leaving.set(`hang ${i}`, controller);
        try {
          const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }, { signal: controller.signal });
          for await (const _ of stream) {
            // read it all, or leave at the first chunk
            if (kind === 'leave-open') controller.abort();
          }
        } catch {
          // broken off or abandoned: expected for those kinds
        }
      }),
    );
    // Assess: a call left while its stream was held (before any byte of it) is booked once its upstream request has ended.
    let rows: Awaited<ReturnType<typeof h.usage>> = [];
    await eventually(async () => {
      rows = await h.usage(id);
      expect(rows).toHaveLength(200);
    });
    const outcomes: Record<string, number> = {};
    for (const r of rows) outcomes[String(r.outcome)] = (outcomes[String(r.outcome)] ?? 0) + 1;
    expect(rows).toHaveLength(200);
    expect(new Set(rows.map((r) => r.requestId)).size).toBe(200);
    expect(outcomes).toEqual({ ok: 80, interrupted: 40, aborted: 80 });
    expect(rows.filter((r) => r.outcome === 'ok').every((r) => r.inputTokens === 5 && r.outputTokens === 1)).toBe(true);
  });
});
