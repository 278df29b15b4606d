import { defineConfig } from 'vitest/config';

// Two projects: `unit` runs in milliseconds with no services; `integration` needs the
// real Kafka and ClickHouse engine (started by `npm run stack:up`) and fails when they are missing.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{core,ingest,transforms,api,dashboards,sql,bin}/**/*.test.ts', 'test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/chaos/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
