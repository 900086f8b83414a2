/**
 * Real external tools (Nix 2.8, skopeo, umoci, runc, docker-registry) are
 * oracles in our tests. Locally a missing tool skips its tests; in CI
 * (CI=true) every tool is installed by .ci/run, so a missing one is an error,
 * never a silent skip.
 */
import { execFileSync } from "node:child_process";

const cache = new Map<string, boolean>();

export function hasTool(name: string): boolean {
  let found = cache.get(name);
  if (found === undefined) {
    try {
      execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
      found = true;
    } catch {
      found = false;
    }
    cache.set(name, found);
  }
  if (!found && process.env.CI === "true") {
    throw new Error(`required test tool '${name}' is not installed (CI=true: .ci/run must install it)`);
  }
  return found;
}

/** For `describe.skipIf(!haveTools(...))`: true only when every tool is present. */
export function haveTools(...names: string[]): boolean {
  return names.every(hasTool);
}
