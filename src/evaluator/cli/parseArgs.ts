/**
 * nix-instantiate's command line (flags with two values such as `--arg NAME
 * EXPR` do not fit a generic option parser).
 */
import { UsageError } from "../../errors.js";
import type { InstantiateOptions } from "./instantiate.js";
import { takeAutoArg } from "./autoArgs.js";
import { NixSettings } from "./nixSettings.js";

/**
 * A bad command line of a Nix-compatible command, reported as Nix reports it: exit 1 (not the 2 of
 * nixoci's other commands), with the pointer to the Nix program's --help.
 */
export class NixUsageError extends UsageError {
  override readonly exitCode: number = 1;
  constructor(message: string, program: string) {
    super(`${message}\nTry '${program} --help' for more information.`);
  }
}

/** A bad nix-instantiate command line. */
export class InstantiateUsageError extends NixUsageError {
  constructor(message: string) {
    super(message, "nix-instantiate");
  }
}

export function parseInstantiateArgs(input: readonly string[], cwd: string, env: Record<string, string | undefined>): InstantiateOptions {
  const fail = (message: string): never => {
    throw new InstantiateUsageError(message);
  };
  const settings = NixSettings.fromEnv(env, fail);
  const o: InstantiateOptions = {
    inputs: [],
    expr: false,
    eval: false,
    parse: false,
    strict: false,
    output: "plain",
    findFile: false,
    location: true,
    attrPaths: [],
    args: [],
    includes: [],
    experimentalFeatures: [],
    showTrace: false,
    readOnly: false,
    settings,
    cwd,
    env,
  };
  // A copy: a compound short flag is replaced by its parts where it stands (see below).
  const argv = [...input];
  const need = (i: number, n: number, flag: string): void => {
    if (i + n >= argv.length) fail(`flag '${flag}' requires ${n} argument(s)`);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    // --arg, --argstr, --arg-from-file, --arg-from-stdin (autoArgs.ts).
    const taken = takeAutoArg(argv, i, o.args, fail);
    if (taken > 0) {
      i += taken - 1;
      continue;
    }
    switch (a) {
      case "--eval":
      case "--eval-only":
        o.eval = true;
        break;
      case "--parse":
      case "--parse-only":
        o.parse = true;
        break;
      case "-E":
      case "--expr":
        o.expr = true;
        break;
      case "--strict":
        o.strict = true;
        break;
      case "--json":
        o.output = "json";
        break;
      case "--xml":
        o.output = "xml";
        break;
      case "--raw":
        o.output = "raw";
        break;
      case "--find-file":
        o.findFile = true;
        break;
      case "--no-location":
        o.location = false;
        break;
      case "--readonly-mode":
        o.readOnly = true;
        break;
      case "--read-write-mode":
        o.readWrite = true;
        break;
      case "-A":
      case "--attr":
        need(i, 1, a);
        o.attrPaths.push(argv[++i]!);
        break;
      case "-I":
      case "--include":
        need(i, 1, a);
        o.includes.push(argv[++i]!);
        break;
      case "--store":
        need(i, 1, a);
        o.storeRoot = argv[++i]!;
        break;
      case "--lint-absolute-path-literals":
      case "--lint-short-path-literals":
      case "--lint-url-literals": {
        need(i, 1, a);
        const level = argv[++i]!;
        if (level !== "ignore" && level !== "warn" && level !== "fatal") throw new InstantiateUsageError(`invalid value '${level}' for setting '${a.slice(2)}'`);
        o.lint = { ...o.lint, [a === "--lint-url-literals" ? "url" : a === "--lint-short-path-literals" ? "shortPath" : "absolutePath"]: level };
        break;
      }
      // Logging, build and GC-root flags: nothing to do for an evaluation.
      case "-v":
      case "--verbose":
      case "--quiet":
      case "-Q":
      case "--no-build-output":
      case "-k":
      case "-K":
      case "--repair":
      case "--dry-run":
      case "--debug":
      case "--trace-verbose":
      case "--indirect":
      case "--no-gc-warning":
      case "--impure":
        break;
      case "--add-root":
        i++;
        break;
      case "--log-format":
        need(i, 1, a);
        i++;
        break;
      default: {
        if (a.startsWith("-I") && a.length > 2) {
          o.includes.push(a.slice(2));
          break;
        }
        const n = settings.parseFlag(argv, i, fail, true);
        if (n > 0) i += n - 1;
        // Nix's compound short flags: `-vQ` is `-v -Q`, read again from here. A flag's own
        // arguments never get here (each case takes them), so `-A ab` stays whole. `-I…` is
        // taken above: `-Ipath` is nixoci's, and later Nix's, spelling.
        else if (/^-[a-zA-Z]{2,}$/.test(a)) argv.splice(i--, 1, ...[...a.slice(1)].map((c) => `-${c}`));
        else if (a.startsWith("-") && a !== "-") throw new InstantiateUsageError(`unrecognised flag '${a}'`);
        else o.inputs.push(a);
      }
    }
  }
  // --show-trace, --max-call-depth N, --experimental-features and --option are all settings flags.
  Object.assign(o, settings.evalSettings());
  return o;
}
