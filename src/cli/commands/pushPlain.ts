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
import { NixociError } from "../../errors.js";
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
  return {
    jobs: "4",
    retries: "5",
    retryBudget: "50",
    blobCache: true,
    tag: [],
    disallow: [],
    env: [],
    port: [],
    label: [],
    evalCache: true,
    overrideInput: [],
    updateInput: [],
    writeLockFile: true,
    sandbox: true,
    backend: "native",
    requireSigs: true,
  };
}

/**
 * The arguments after `push` as commander would parse them, or undefined when
 * they are not a plain push of an existing image.
 */
export function parsePlainPushArgs(args: readonly string[]): { ref: string; flags: PushFlags } | undefined {
  const flags = defaults() as unknown as Record<string, unknown>;
  let ref: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("-")) {
      // A second operand is a FLAKEREF: a build, or a usage error; either way commander's job.
      if (ref !== undefined) return undefined;
      ref = arg;
      continue;
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const switched = SWITCHES[name];
    if (switched !== undefined) {
      if (eq > 0) return undefined;
      flags[switched[0]] = switched[1];
      continue;
    }
    const key = VALUE_OPTIONS[name] ?? LIST_OPTIONS[name];
    if (key === undefined) return undefined;
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = args[++i];
      // commander would take a dash-led value too; rare enough to leave to it.
      if (value === undefined || value.startsWith("-")) return undefined;
    }
    if (LIST_OPTIONS[name] !== undefined) flags[key] = [...(flags[key] as string[]), value];
    else flags[key] = value;
  }
  // Only pushes of an existing image: a flake build loads the build pipeline anyway.
  if (ref === undefined || (flags.fromLayout === undefined && flags.from === undefined)) return undefined;
  return { ref, flags: flags as unknown as PushFlags };
}

/**
 * Runs `nixoci push ARGS` when it is a plain push of an existing image;
 * returns false (nothing done) otherwise. Errors end as main() ends them.
 */
export async function pushPlain(args: readonly string[]): Promise<boolean> {
  const parsed = parsePlainPushArgs(args);
  if (parsed === undefined) return false;
  try {
    await runPush(parsed.ref, undefined, parsed.flags);
  } catch (err) {
    // As main() reports errors of commands run through commander.
    if (!(err instanceof NixociError)) throw err;
    process.stderr.write(err.message.startsWith("error:") ? `${err.message}\n` : `error: ${err.message}\n`);
    process.exitCode = err.exitCode;
  }
  return true;
}
