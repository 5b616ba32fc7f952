/**
 * What the benchmark's fake upstream processes (`bench/fake-*-main.ts`) share: the streamed reply
 * they give, the readiness line `bench/run.ts` waits for, and how they stop.
 */

/** The part of a started fake a process needs. */
export interface RunningFake {
  url: string;
  close(): Promise<void>;
}

/** FAKE_CHUNKS (default 20) short words, one content delta each, so every fake streams the same reply. */
export function replyChunks(env: NodeJS.ProcessEnv): string[] {
  const count = Number(env.FAKE_CHUNKS ?? 20);
  return Array.from({ length: count }, (_, i) => (i === 0 ? 'Word0' : ` word${i}`));
}

/**
 * What every fake takes from the environment: FAKE_KEY (the key it accepts; any key when unset) and
 * FAKE_CHUNK_DELAY_MS (default 0). No request is recorded: a benchmark sends tens of thousands,
 * some of them 73 KB.
 */
export function fakeOptions(env: NodeJS.ProcessEnv): { apiKey?: string; chunkDelayMs: number; recordRequests: false } {
  return { ...(env.FAKE_KEY ? { apiKey: env.FAKE_KEY } : {}), chunkDelayMs: Number(env.FAKE_CHUNK_DELAY_MS ?? 0), recordRequests: false };
}

/**
 * Starts a fake and prints `<name> listening on <url>` once it answers. Stops on SIGTERM/SIGINT,
 * and when stdin closes: the benchmark keeps a pipe open, so EOF means it died without stopping us.
 */
export function serveFake(name: string, start: () => Promise<RunningFake>): void {
  start().then(
    (fake) => {
      process.stdout.write(`${name} listening on ${fake.url}\n`);
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        fake.close().finally(() => process.exit(0));
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      process.stdin.on('end', stop).on('error', stop).resume();
    },
    (error: unknown) => {
      process.stderr.write(`${name}: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
