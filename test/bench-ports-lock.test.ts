import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK_SCRIPT = join(__dirname, '..', 'bench', 'ports-lock.sh');

/** A bash "bench" that takes the ports' lock, says when it started, and holds the lock `holdMs`. */
function run(name: string, lock: string, holdMs: number): Promise<{ started: number; ended: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -euo pipefail; source "${LOCK_SCRIPT}"; node -p 'Date.now()'; sleep ${holdMs / 1000}`, name], { env: { ...process.env, BENCH_PORTS_LOCK: lock } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ started: Number(stdout.trim()), ended: Date.now(), stderr }) : reject(new Error(`${name} exited ${code}: ${stderr}`))));
  });
}

// flock(1) is util-linux's: macOS has none, and the script runs unguarded there.
const hasFlock = spawnSync('sh', ['-c', 'command -v flock'], { stdio: 'ignore' }).status === 0;

(hasFlock ? describe : describe.skip)('bench/ports-lock.sh', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'aigw-ports-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a second run wait, saying so, until the first has finished', async () => {
    // Prepare
    const lock = join(dir, 'ports.lock');
    const first = run('alternate.sh', lock, 1_500);
    await new Promise((r) => setTimeout(r, 300));

    // Act
    const second = run('shared-harness.sh', lock, 0);
    const [a, b] = await Promise.all([first, second]);

    // Assess
    expect(a.stderr).toBe('');
    expect(b.stderr).toContain('shared-harness.sh: another bench run holds the fixed ports');
    expect(b.stderr).toContain('waiting');
    expect(b.started).toBeGreaterThanOrEqual(a.started + 1_400);
  });

  it('lets runs one after another start at once', async () => {
    const lock = join(dir, 'ports.lock');
    const a = await run('one', lock, 0);
    const b = await run('two', lock, 0);
    expect([a.stderr, b.stderr]).toEqual(['', '']);
  });
});
