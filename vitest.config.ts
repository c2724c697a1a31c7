import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Integration and e2e tests start real servers (moto_server, the local API); give them room on a
    // shared 2-core machine without letting a hung test block CI forever.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One `sls package` per stage per run, shared by the suites that read the artifacts.
    globalSetup: ['./tests/helpers/package-cache-setup.ts'],
    reporters: ['default', './tests/helpers/summary-reporter.ts'],
  },
});
