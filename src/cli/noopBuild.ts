/**
 * The no-op `nixoci build`: the same build as last time with nothing changed
 * is answered from the build-result cache (buildCache.ts) before commander,
 * the evaluator, the store or the image code is even loaded. Start-up is most
 * of a no-op's time, so this module and what it imports stay small.
 *
 * Only plain command lines are tried: `build [FLAKEREF]` with the flags in the
 * tables below, parsed into exactly the object commander would hand to the
 * build action (tests/cli/noopBuild.test.ts checks that against commander), so
 * a request has one identity whichever path sees it. Anything else (help, an
 * unknown or ineligible flag, an attached short value) goes the normal way.
 */
import { buildProbe, lookupBuild, type BuildFlags } from "./buildCache.js";
import { imageFlagDefaults, parsePlainArgs } from "./plainArgs.js";

/** Options taking a value → their key in commander's options object. */
const VALUE_OPTIONS: Record<string, string> = {
  "-o": "output",
  "--output": "output",
  "--format": "format",
  "-t": "tag",
  "--tag": "tag",
  "--system": "system",
  "--store": "store",
  "--max-layers": "maxLayers",
  "--layering": "layering",
  "--entrypoint": "entrypoint",
  "--cmd": "cmd",
  "--user": "user",
  "--workdir": "workdir",
  "--max-jobs": "maxJobs",
  "-j": "j",
  "--substituters": "substituters",
  "--trusted-public-keys": "trustedPublicKeys",
  "--backend": "backend",
};

/** Repeatable options (commander's `collect`). */
const LIST_OPTIONS: Record<string, string> = { "--disallow": "disallow", "--env": "env", "--port": "port", "--label": "label" };

/** Options without a value → key and value. */
const SWITCHES: Record<string, [string, boolean]> = {
  "--json": ["json", true],
  "-L": ["printBuildLogs", true],
  "--print-build-logs": ["printBuildLogs", true],
  "--show-trace": ["showTrace", true],
  "--no-sandbox": ["sandbox", false],
  "--no-require-sigs": ["requireSigs", false],
  "--no-write-lock-file": ["writeLockFile", false],
};

/** What commander sets before reading the command line (option defaults of `build`). */
function defaults(): BuildFlags {
  return { format: "oci", ...imageFlagDefaults() } as unknown as BuildFlags;
}

/**
 * The arguments after `build` as commander would parse them, or undefined
 * when they are not a plain command line this parser knows.
 */
export function parsePlainBuildArgs(args: readonly string[]): { installable: string; flags: BuildFlags } | undefined {
  const parsed = parsePlainArgs(args, { values: VALUE_OPTIONS, lists: LIST_OPTIONS, switches: SWITCHES }, defaults() as unknown as Record<string, unknown>);
  if (parsed === undefined || parsed.operands.length > 1) return undefined;
  return { installable: parsed.operands[0] ?? ".#default", flags: parsed.flags as unknown as BuildFlags };
}

export interface NoopOutput {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/**
 * Answer `nixoci build ARGS` from the cache when it is a no-op; returns
 * whether it did (false: run the real command). Any trouble while looking
 * (an unreadable entry, git failing) is a miss; only writing the answer can throw.
 */
export function noopBuild(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, out: NoopOutput = process): boolean {
  let hit: ReturnType<typeof lookupBuild>;
  try {
    const parsed = parsePlainBuildArgs(args);
    const probe = parsed && buildProbe(parsed.installable, parsed.flags, cwd, env);
    hit = probe && lookupBuild(probe);
  } catch {
    return false;
  }
  if (!hit) return false;
  out.stderr.write(hit.messages.concat(hit.summary.stderr).map((l) => `${l}\n`).join(""));
  if (hit.summary.stdout) out.stdout.write(hit.summary.stdout);
  return true;
}
