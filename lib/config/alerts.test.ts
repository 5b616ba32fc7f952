import { GatewayConfigSchema, type GatewayConfigInput } from './schema';

const base: GatewayConfigInput = {
  providers: [{ id: 'openai', type: 'openai', accounts: [{ id: 'main', apiKey: { env: 'OPENAI_API_KEY' } }] }],
  models: [{ name: 'gpt-4o-mini', targets: [{ provider: 'openai', model: 'gpt-4o-mini' }] }],
};

describe('alerts in the gateway config', () => {
  it('announces budgets at 80 % and 100 % unless told otherwise', () => {
    expect(GatewayConfigSchema.parse(base).alerts).toEqual({ budgetThresholds: [0.8, 1] });
  });

  it('takes the thresholds given', () => {
    expect(GatewayConfigSchema.parse({ ...base, alerts: { budgetThresholds: [0.5, 0.8, 1] } }).alerts.budgetThresholds).toEqual([0.5, 0.8, 1]);
  });

  it.each([
    ['a threshold over 1', [0.8, 1.5]],
    ['a threshold of 0', [0, 1]],
    ['a threshold given twice', [0.8, 0.8]],
    ['no threshold', []],
  ])('refuses %s', (_case, budgetThresholds) => {
    const parsed = GatewayConfigSchema.safeParse({ ...base, alerts: { budgetThresholds } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['alerts', 'budgetThresholds', ...(parsed.error?.issues[0]?.path.slice(2) ?? [])]);
  });
});
