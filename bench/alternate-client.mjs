// One request at a time to each target in turn, round after round, so that every target meets the
// machine in the same state: a slow stretch of a noisy VM slows them all alike, where runs one
// after another (the shared harness's way) differ by more than what is being compared.
// Env: TARGETS (JSON list of {name, url, headers, body?}; body, when given, in place of BODY; the first is the baseline of the Δ column),
// BODY, ROUNDS (measured, default 3000), WARM (unmeasured rounds first, default 2000),
// THINK_US (client busy-wait before each request, default 0), BURST (requests to a target in a row
// within a round, default 1: a burst shows what a target's work after one answer costs the next, as
// the shared harness's runs one after another do; rounds are then ROUNDS / BURST). A stream (BODY's "stream": true) is
// timed to its first body byte, a whole answer to its end. Prints one line per target.
import http from 'node:http';

const targets = JSON.parse(process.env.TARGETS);
const body = Buffer.from(process.env.BODY);
const stream = JSON.parse(process.env.BODY).stream === true;
const rounds = Number(process.env.ROUNDS || 3000);
const warm = Number(process.env.WARM || 2000);
const think = BigInt(Number(process.env.THINK_US || 0) * 1000);
const burst = Number(process.env.BURST || 1);
for (const t of targets) Object.assign(t, { u: new URL(t.url), agent: new http.Agent({ keepAlive: true, maxSockets: 1 }), ms: [], body: t.body ? Buffer.from(t.body) : body });

function once(t) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let first;
    const req = http.request(t.u, { method: 'POST', agent: t.agent, headers: { 'content-type': 'application/json', 'content-length': t.body.length, ...t.headers } }, (res) => {
      res.on('data', () => (first ??= process.hrtime.bigint()));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${t.name}: status ${res.statusCode}`));
        else resolve(Number((stream ? first : process.hrtime.bigint()) - t0) / 1e6);
      });
    });
    req.on('error', reject);
    req.end(t.body);
  });
}

const pause = () => {
  if (!think) return;
  const until = process.hrtime.bigint() + think;
  while (process.hrtime.bigint() < until);
};
for (let i = 0; i < warm; i++) for (const t of targets) await once(t);
for (let i = 0; i < rounds / burst; i++) for (const t of targets) for (let j = 0; j < burst; j++) (pause(), t.ms.push(await once(t)));
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];
const base = quantile(targets[0].ms, 0.5);
for (const t of targets) {
  const p50 = quantile(t.ms, 0.5);
  const mean = t.ms.reduce((a, b) => a + b, 0) / t.ms.length;
  console.log(`${t.name.padEnd(8)} p50 ${p50.toFixed(3)} ms  Δ ${(p50 - base >= 0 ? '+' : '') + (p50 - base).toFixed(3)}  p90 ${quantile(t.ms, 0.9).toFixed(3)}  p99 ${quantile(t.ms, 0.99).toFixed(3)}  mean ${mean.toFixed(3)}`);
}
