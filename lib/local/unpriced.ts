import type { GatewayConfig } from '../config/schema';

/**
 * The models some target of which has no price (its own or the model's): their calls cost
 * nothing in usage reports, and a key with a budget is refused them (`model_not_priced`), since a
 * budget cannot hold a cost it cannot count. The config built from environment variables has no
 * prices at all, so a user following the tour meets this first.
 */
export function unpricedModels(config: GatewayConfig): string[] {
  return config.models.filter((model) => model.targets.some((target) => !(target.price ?? model.price))).map((model) => model.name);
}

/** The start-up line about them; none when every model has a price. */
export function unpricedModelsLine(names: readonly string[]): string | undefined {
  if (!names.length) return undefined;
  return `  prices: none for ${names.join(', ')} (no \`price\` in the config): their cost is not counted, and keys with a budget may not use them`;
}
