/**
 * The fake Anthropic upstream (`test/fakes/anthropic.ts`) as its own process, for the Claude Code
 * phase of `bench/run.ts`, for the same reason as `fake-upstream-main.ts`.
 *
 * Prints `fake-anthropic listening on http://127.0.0.1:PORT` (no `/v1`: the form an `anthropic`
 * provider's `baseUrl` takes) when ready. Env: FAKE_KEY (the `x-api-key` it accepts; any key when
 * unset), FAKE_CHUNKS (text deltas per streamed reply, default 20), FAKE_CHUNK_DELAY_MS (default 0).
 * Stops on SIGTERM/SIGINT, and when its stdin closes (its parent died).
 */
import { startFakeAnthropic } from '../test/fakes/anthropic';
import { fakeOptions, replyChunks, serveFake } from './fake-process';

serveFake('fake-anthropic', async () => {
  const env = process.env;
  const chunks = replyChunks(env);
  const fake = await startFakeAnthropic(fakeOptions(env));
  // A fixed reply: the fake still parses and checks every body, as the real API would refuse a mangled one.
  fake.reply({ kind: 'text', text: chunks.join(''), chunks, usage: { input: 12, output: chunks.length } });
  return fake;
});
