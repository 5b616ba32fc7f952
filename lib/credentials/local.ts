import { readFile } from 'node:fs/promises';
import type { CredentialRef } from '../config/schema';
import { CredentialError, describeRef, pickField, type Credentials } from './credentials';

/**
 * Credentials for local runs: environment variables and files. Secrets Manager references are
 * refused with a hint, since a local run has no AWS account to read them from.
 */
export class LocalCredentials implements Credentials {
  readonly #files = new Map<string, Promise<string>>();

  constructor(
    readonly env: NodeJS.ProcessEnv = process.env,
    readonly baseDir = process.cwd(),
  ) {}

  async resolve(ref: CredentialRef): Promise<string> {
    if ('env' in ref) {
      const value = this.env[ref.env];
      if (!value) throw new CredentialError(`environment variable ${ref.env} is not set`);
      return value;
    }
    if ('file' in ref) {
      const path = ref.file.startsWith('/') ? ref.file : `${this.baseDir}/${ref.file}`;
      let text = this.#files.get(path);
      if (!text) {
        text = readFile(path, 'utf8');
        this.#files.set(path, text);
        text.catch(() => this.#files.delete(path));
      }
      try {
        return pickField(await text, ref);
      } catch (err) {
        if (err instanceof CredentialError) throw err;
        throw new CredentialError(`cannot read ${describeRef(ref)}: ${(err as Error).message}`, { cause: err });
      }
    }
    throw new CredentialError(`${describeRef(ref)} is a Secrets Manager reference; locally use { "env": NAME } or { "file": PATH }`);
  }

  refresh(ref: CredentialRef): void {
    if ('file' in ref) this.#files.clear();
  }
}
