import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK_SCRIPT = join(__dirname, '..', 'bench', 'ports-lock.sh');

/** A bash "bench" that takes the ports' lock, says when it holds it, and keeps it `holdMs`. */
function run(name: string, lock: string, holdMs: number): { holding: Promise<number>; done: Promise<{ started: number; stderr: string }> } {
  const child = spawn('bash', ['-c', `set -euo pipefail; source "${LOCK_SCRIPT}"; node -p 'Date.now()'; sleep ${holdMs / 1000}`, name], { env: { ...process.env, BENCH_PORTS_LOCK: lock } });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const holding = new Promise<number>((resolve) => child.stdout.on('data', (c: Buffer) => (stdout += c).includes('\n') && resolve(Number(stdout.trim()))));
  const done = new Promise<{ started: number; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ started: Number(stdout.trim()), stderr }) : reject(new Error(`${name} exited ${code}: ${stderr}`))));
  });
  return { holding, done };
}

// flock(1) is util-linux's: macOS has none, and the script runs unguarded there.
const hasFlock = spawnSync('sh', ['-c', 'command -v flock'], { stdio: 'ignore' }).status === 0;

(hasFlock ? describe : describe.skip)('bench/ports-lock.sh', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'aigw-ports-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a second run wait, saying so, until the first has finished', async () => {
    // Prepare: the first run holds the lock.
    const lock = join(dir, 'ports.lock');
    const first = run('alternate.sh', lock, 1_000);
    await first.holding;

    // Act
    const second = run('shared-harness.sh', lock, 0);
    const [a, b] = await Promise.all([first.done, second.done]);

    // Assess
    expect(a.stderr).toBe('');
    expect(b.stderr).toContain('shared-harness.sh: another bench run holds the fixed ports');
    expect(b.stderr).toContain('waiting');
    expect(b.started).toBeGreaterThanOrEqual(a.started + 1_000);
  });

  it('lets runs one after another start at once', async () => {
    const lock = join(dir, 'ports.lock');
    const a = await run('one', lock, 0).done;
    const b = await run('two', lock, 0).done;
    expect([a.stderr, b.stderr]).toEqual(['', '']);
  });
});
