import { parseCommandLine } from '../lib/cli/args';
import { CliError } from '../lib/cli/errors';

/** The usage error a command line is refused with (for tests of the parser); throws if it is not refused. */
export function usageErrorOf(argv: string[], now: Date): CliError {
  try {
    parseCommandLine(argv, now);
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be refused`);
}
