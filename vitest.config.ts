import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    setupFiles: ["tests/helpers/preloadDeferred.ts"],
    reporters: ["default", "./tests/helpers/summaryReporter.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores on CI machines: more forks only thrash.
    pool: "forks",
    // Real tools under a loaded 2-core machine (Nix 2.8 occasionally kills a
    // fast builder with signal 9; registries and sandboxes race timeouts): a
    // failed test runs once more, so only a failure that repeats is red.
    retry: 1,
    maxWorkers: 2,
  },
});
