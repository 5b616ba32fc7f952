import { writeFileSync } from 'node:fs';
import { configJsonSchema } from './load';

/** `npm run schema`: regenerates gateway.config.schema.json, which editors use to check configs. */
writeFileSync('gateway.config.schema.json', `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write('wrote gateway.config.schema.json\n');
