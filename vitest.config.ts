import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    reporters: ["default", "./tests/helpers/summaryReporter.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores on CI machines: more forks only thrash.
    pool: "forks",
    maxWorkers: 2,
  },
});
