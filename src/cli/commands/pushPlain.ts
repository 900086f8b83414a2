/**
 * `nixoci push REF --from-layout DIR[:TAG]` (or `--from SOURCE`) run without
 * loading commander: start-up is most of a no-op push (ping + one manifest
 * HEAD), and commander is the largest module it would load. Only plain
 * command lines are taken: the registry flags below, parsed into exactly the
 * object commander hands the push action (tests/registry/pushPlain.test.ts
 * checks that against commander), then the same runPush. Anything else (a
 * flake build, help, an unknown flag, an attached short value, a dash-led
 * value) goes through commander as before.
 */
import { imageFlagDefaults, parsePlainArgs } from "../plainArgs.js";
import { reportErrors } from "../reportError.js";
import { runPush, type PushFlags } from "./push.js";

/** Options taking a value → their key in commander's options object. */
const VALUE_OPTIONS: Record<string, keyof PushFlags> = {
  "--from-layout": "fromLayout",
  "--from": "from",
  "--creds": "creds",
  "--tls-verify": "tlsVerify",
  "--platform": "platform",
  "--authfile": "authfile",
  "-j": "jobs",
  "--jobs": "jobs",
  "--retries": "retries",
  "--retry-budget": "retryBudget",
  "--chunk-size": "chunkSize",
  "--digestfile": "digestfile",
};

/** Repeatable options (collected into a list). */
const LIST_OPTIONS: Record<string, keyof PushFlags> = { "-t": "tag", "--tag": "tag" };

/** Options without a value → key and value. */
const SWITCHES: Record<string, [keyof PushFlags, boolean]> = {
  "--insecure": ["insecure", true],
  "--no-blob-cache": ["blobCache", false],
  "--json": ["json", true],
  "--debug": ["debug", true],
  "-q": ["quiet", true],
  "--quiet": ["quiet", true],
};

/** What commander sets before reading the command line (the option defaults of `push`). */
function defaults(): PushFlags {
  return { jobs: "4", retries: "5", retryBudget: "50", blobCache: true, tag: [], ...imageFlagDefaults() } as unknown as PushFlags;
}

/**
 * The arguments after `push` as commander would parse them, or undefined when
 * they are not a plain push of an existing image.
 */
export function parsePlainPushArgs(args: readonly string[]): { ref: string; flags: PushFlags } | undefined {
  const parsed = parsePlainArgs(args, { values: VALUE_OPTIONS, lists: LIST_OPTIONS, switches: SWITCHES }, defaults() as unknown as Record<string, unknown>);
  // A second operand is a FLAKEREF: a build, or a usage error; either way commander's job.
  if (parsed === undefined || parsed.operands.length !== 1) return undefined;
  const flags = parsed.flags as unknown as PushFlags;
  // Only pushes of an existing image: a flake build loads the build pipeline anyway.
  if (flags.fromLayout === undefined && flags.from === undefined) return undefined;
  return { ref: parsed.operands[0]!, flags };
}

/**
 * Runs `nixoci push ARGS` when it is a plain push of an existing image;
 * returns false (nothing done) otherwise. Errors end as main() ends them
 * (bin/nixoci.cjs runs this from a CommonJS bundle of its own, before main is loaded).
 */
export async function pushPlain(args: readonly string[]): Promise<boolean> {
  const parsed = parsePlainPushArgs(args);
  if (parsed === undefined) return false;
  await reportErrors(() => runPush(parsed.ref, undefined, parsed.flags));
  return true;
}
