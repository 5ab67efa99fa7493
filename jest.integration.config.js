/** Integration suite: real OpenTofu, PostgreSQL, Synapse, coturn. Run by `npm run test:integration`. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/integration'],
  testMatch: ['**/*.test.ts'],
  // A first run on a new machine builds OpenTofu and the providers inside beforeAll.
  testTimeout: 40 * 60 * 1000,
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
};
