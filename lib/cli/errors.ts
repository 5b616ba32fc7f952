/** Which usage text fits a mistake on the command line. */
export type HelpTopic = 'main' | 'keys' | 'teams' | 'usage' | 'config' | 'check';

export interface CliErrorOptions {
  /** The usage text that helps with a `usage` error. */
  topic?: HelpTopic;
  /** Print that usage text in full (the command itself was missing or unknown), not just a pointer to it. */
  fullUsage?: boolean;
  cause?: unknown;
}

/**
 * The one error the CLI throws on purpose. `usage` means the command line was wrong (exit 2,
 * usage follows); `failed` means the command ran and did not succeed (exit 1).
 */
export class CliError extends Error {
  readonly kind: 'usage' | 'failed';
  readonly topic: HelpTopic;
  readonly fullUsage: boolean;

  constructor(kind: 'usage' | 'failed', message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.kind = kind;
    this.topic = options.topic ?? 'main';
    this.fullUsage = options.fullUsage ?? false;
  }

  get exitCode(): number {
    return this.kind === 'usage' ? EXIT.usage : EXIT.failed;
  }
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
