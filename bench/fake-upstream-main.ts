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
import { startFakeOpenAI } from '../test/fakes/openai';
import { fakeOptions, replyChunks, serveFake } from './fake-process';

serveFake('fake-openai', async () => {
  const env = process.env;
  const chunks = replyChunks(env);
  const fake = await startFakeOpenAI(fakeOptions(env));
  fake.reply({ kind: 'text', text: chunks.join(''), chunks, usage: { prompt: 12, completion: chunks.length } });
  return fake;
});
