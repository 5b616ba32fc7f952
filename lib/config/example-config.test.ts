import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unpricedModels } from '../local/unpriced';
import { parseConfig } from './load';

/**
 * The shipped `gateway.config.example.json` is what `npm start` serves on a fresh checkout: it
 * must load, and it must price every model, or the first key given a budget is refused a model
 * the example itself offers (`model_not_priced`).
 */
const EXAMPLE = JSON.parse(readFileSync(join(__dirname, '..', '..', 'gateway.config.example.json'), 'utf8')) as unknown;

describe('gateway.config.example.json', () => {
  it('loads with the schema', () => {
    expect(() => parseConfig(EXAMPLE, 'gateway.config.example.json')).not.toThrow();
  });

  it('prices every model it names, so a key with a budget may use each', () => {
    // Prepare
    const config = parseConfig(EXAMPLE, 'gateway.config.example.json');

    // Act
    const unpriced = unpricedModels(config);

    // Assess
    expect(config.models.length).toBeGreaterThan(0);
    expect(unpriced).toEqual([]);
  });
});
