import type { AccountConfig, GatewayConfig, ModelConfig, Price, ProviderConfig } from '../config/schema';

/** One way to serve a model: a provider, the accounts it may use, and the upstream model id. */
export interface Target {
  provider: ProviderConfig;
  accounts: AccountConfig[];
  model: string;
  /** The target's own price, else the model's; none when the config names none. */
  price?: Price;
}

export interface CatalogModel {
  name: string;
  config: ModelConfig;
  targets: Target[];
  /** Whether some target has a pool of accounts to choose from (only then is a sticky key worth its hash). */
  pooled: boolean;
}

/** The models clients may ask for, by name and alias; built once from the config. */
export class Catalog {
  readonly #byName = new Map<string, CatalogModel>();
  /** Canonical names, in config order (aliases not repeated). */
  readonly models: CatalogModel[] = [];

  constructor(config: GatewayConfig) {
    const providers = new Map(config.providers.map((p) => [p.id, p]));
    for (const m of config.models) {
      const targets = m.targets.map((t) => {
        const provider = providers.get(t.provider)!;
        const accounts = t.accounts ? provider.accounts.filter((a) => t.accounts!.includes(a.id)) : provider.accounts;
        const price = t.price ?? m.price;
        return { provider, accounts, model: t.model, ...(price ? { price } : {}) };
      });
      const entry: CatalogModel = { name: m.name, config: m, targets, pooled: targets.some((t) => t.accounts.length > 1) };
      this.models.push(entry);
      for (const name of [m.name, ...(m.aliases ?? [])]) this.#byName.set(name, entry);
    }
  }

  find(name: string): CatalogModel | undefined {
    return this.#byName.get(name);
  }

  /** Every name a client may send (names and aliases). */
  names(): string[] {
    return [...this.#byName.keys()];
  }
}
