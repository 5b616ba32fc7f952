// Entry point of `cdk synth` / `cdk deploy` (see cdk.json); everything else is in gateway-app.ts.
import { ConfigError } from '../lib/config/load';
import { createGatewayApp } from './gateway-app';

try {
  createGatewayApp();
} catch (err) {
  // A bad config is the operator's to fix: show which fields, not a stack trace.
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exitCode = 1;
}
