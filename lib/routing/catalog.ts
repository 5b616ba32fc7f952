import type { AccountConfig, GatewayConfig, ModelConfig, Price, ProviderConfig } from '../config/schema';
import type { Balance } from './balance';

/** One way to serve a model: a provider, the accounts it may use, and the upstream model id. */
export interface Target {
  provider: ProviderConfig;
  accounts: AccountConfig[];
  model: string;
  /** The target's own price, else the model's; none when the config names none. */
  price?: Price;
  /** How the accounts are ordered: the target's `balance`, else its provider's; weighted when neither names one. */
  balance?: Balance;
}

export interface CatalogModel {
  name: string;
  config: ModelConfig;
  targets: Target[];
  /** Whether some target has a pool of accounts to choose from (only then is a sticky key worth its hash). */
  pooled: boolean;
}

/** How many models matched by a pattern are kept built (names come from clients: the count must be bounded). */
const RESOLVED_MAX = 1024;

/** A model whose name holds one `*`: any name it matches, with `*` in its targets' models standing for the matched part. */
interface Pattern {
  prefix: string;
  suffix: string;
  config: ModelConfig;
  targets: Target[];
}

/**
 * The models clients may ask for, by name and alias; built once from the config. A name with a
 * `*` (`claude-*`) serves every name it matches that no exact name claims, patterns tried in
 * config order: new model versions work without a config change (Claude Code names its models by
 * full id, and picks new ones as they ship).
 */
export class Catalog {
  readonly #byName = new Map<string, CatalogModel>();
  readonly #patterns: Pattern[] = [];
  readonly #resolved = new Map<string, CatalogModel>();
  /** Canonical names, in config order (aliases and patterns not included). */
  readonly models: CatalogModel[] = [];

  constructor(config: GatewayConfig) {
    const providers = new Map(config.providers.map((p) => [p.id, p]));
    for (const m of config.models) {
      const targets = m.targets.map((t) => {
        const provider = providers.get(t.provider)!;
        const accounts = t.accounts ? provider.accounts.filter((a) => t.accounts!.includes(a.id)) : provider.accounts;
        const price = t.price ?? m.price;
        const balance = t.balance ?? provider.balance;
        return { provider, accounts, model: t.model, ...(price ? { price } : {}), ...(balance && balance !== 'weighted' ? { balance } : {}) };
      });
      const star = m.name.indexOf('*');
      if (star >= 0) {
        this.#patterns.push({ prefix: m.name.slice(0, star), suffix: m.name.slice(star + 1), config: m, targets });
        continue;
      }
      const entry: CatalogModel = { name: m.name, config: m, targets, pooled: isPooled(targets) };
      this.models.push(entry);
      for (const name of [m.name, ...(m.aliases ?? [])]) this.#byName.set(name, entry);
    }
  }

  find(name: string): CatalogModel | undefined {
    return this.#byName.get(name) ?? (this.#patterns.length ? this.#matched(name) : undefined);
  }

  /** Every name a client may send (names and aliases; a pattern's names cannot be listed). */
  names(): string[] {
    return [...this.#byName.keys()];
  }

  #matched(name: string): CatalogModel | undefined {
    const known = this.#resolved.get(name);
    if (known) return known;
    for (const p of this.#patterns) {
      if (name.length <= p.prefix.length + p.suffix.length || !name.startsWith(p.prefix) || !name.endsWith(p.suffix)) continue;
      const part = name.slice(p.prefix.length, name.length - p.suffix.length);
      const targets = p.targets.map((t) => ({ ...t, model: t.model.replace('*', () => part) }));
      // The part comes from the client and lands in URL paths (Gemini's `models/…`, Azure's deployment): no `.` or `..` segments.
      if (targets.some((t) => t.model.split('/').some((s) => s === '.' || s === '..'))) return undefined;
      const entry: CatalogModel = { name, config: p.config, targets, pooled: isPooled(targets) };
      if (this.#resolved.size < RESOLVED_MAX) this.#resolved.set(name, entry);
      return entry;
    }
    return undefined;
  }
}

const isPooled = (targets: readonly Target[]) => targets.some((t) => t.accounts.length > 1);
