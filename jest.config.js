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
};
