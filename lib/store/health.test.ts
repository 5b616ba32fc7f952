import { startTestTable } from '../../test/dynalite';
import { DynamoHealthStore } from './health';

describe('DynamoHealthStore', () => {
  it('shares rests, keeps the longer of two, and reads only those not yet over', async () => {
    const t = await startTestTable();
    try {
      const store = new DynamoHealthStore(t.table);
      await store.publish({ ref: 'openai/main', until: 2_000 });
      await store.publish({ ref: 'openai/main', until: 1_500 });
      await store.publish({ ref: 'anthropic/a', until: 900 });
      await store.publish({ ref: 'gemini/x', until: 5_000 });
      await store.publish({ ref: 'gemini/x', until: 6_000 });

      expect((await store.read(1_000)).sort((a, b) => a.ref.localeCompare(b.ref))).toEqual([
        { ref: 'gemini/x', until: 6_000 },
        { ref: 'openai/main', until: 2_000 },
      ]);
      expect(await store.read(10_000)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
