import { ConfigError, parseConfig } from '../lib/config/load';

/** What the config's validation says of `input`, one line per bad field; none when it is a valid config. */
export function issuesOf(input: unknown): readonly string[] {
  try {
    parseConfig(input);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}
