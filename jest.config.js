/** @type {import('jest').Config} */
module.exports = {
  // Node's, with failed bigint assertions reported (see the file).
  testEnvironment: '<rootDir>/test/jest/environment.ts',
  roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/deploy/cli', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/jest/global-setup.ts',
  globalTeardown: '<rootDir>/test/jest/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
