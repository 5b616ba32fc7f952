/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/lib', '<rootDir>/functions', '<rootDir>/infra', '<rootDir>/bin', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  // middy 6 ships ESM only; let swc turn it into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  // One temporary directory per run, removed at its end (test/setup/run-tmpdir.js).
  globalSetup: '<rootDir>/test/setup/run-tmpdir.js',
  globalTeardown: '<rootDir>/test/setup/run-tmpdir-teardown.js',
  setupFiles: ['<rootDir>/test/setup/env.ts', '<rootDir>/test/setup/awslambda.ts'],
  testTimeout: 30000,
  // Jest's default is one worker fewer than the cores: on CI's two cores, one worker ran the suites
  // one after another (9 minutes). Most suites wait on sockets and timers, so one per core halves that.
  maxWorkers: '100%',
  // Jest kills a worker not gone 500 ms after it was told to end, and says it "failed to exit
  // gracefully". No test file leaves anything holding a worker (test/setup/open-handles-env.ts over
  // the whole suite), but Node's own teardown of a worker that ran a hundred integration files took
  // 271 ms with nothing left to wait for (51 ms after two files): two such workers ending at once
  // on CI's two cores cross 500 ms now and then. A real leak still holds a worker past this.
  workerGracefulExitTimeout: 3000,
};
