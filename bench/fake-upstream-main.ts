/**
 * The fake OpenAI upstream as its own process, for `bench/run.ts`: the
 * benchmark's load client, the gateway and the upstream each get a CPU of
 * their own instead of sharing one event loop.
 *
 * Prints `fake-openai listening on http://127.0.0.1:PORT/v1` when ready.
 * Env: FAKE_KEY (the key it accepts; any key when unset), FAKE_CHUNKS (content
 * deltas per streamed reply, default 20), FAKE_CHUNK_DELAY_MS (default 0).
 * Stops on SIGTERM/SIGINT, and when its stdin closes (its parent died).
 */
import { startFakeOpenAI, type Reply } from '../test/fakes/openai';

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const chunkCount = Number(env.FAKE_CHUNKS ?? 20);
  const chunks = Array.from({ length: chunkCount }, (_, i) => (i === 0 ? 'Word0' : ` word${i}`));
  const reply: Reply = { kind: 'text', text: chunks.join(''), chunks, usage: { prompt: 12, completion: chunkCount } };
  const fake = await startFakeOpenAI({
    ...(env.FAKE_KEY ? { apiKey: env.FAKE_KEY } : {}),
    chunkDelayMs: Number(env.FAKE_CHUNK_DELAY_MS ?? 0),
    recordRequests: false, // A benchmark sends tens of thousands of requests.
  });
  fake.reply(reply);
  process.stdout.write(`fake-openai listening on ${fake.url}\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    fake.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop).on('error', stop).resume();
}

main(process.env).catch((error: unknown) => {
  process.stderr.write(`fake-openai: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
