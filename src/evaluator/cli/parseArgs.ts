/**
 * nix-instantiate's command line (flags with two values such as `--arg NAME
 * EXPR` do not fit a generic option parser).
 */
import { UsageError } from "../../errors.js";
import type { InstantiateOptions } from "./instantiate.js";
import { NixSettings } from "./nixSettings.js";

/** A bad command line, reported as nix-instantiate reports it (exit 1, with the pointer to --help). */
export class InstantiateUsageError extends UsageError {
  override readonly exitCode = 1;
  constructor(message: string) {
    super(`${message}\nTry 'nix-instantiate --help' for more information.`);
  }
}

export function parseInstantiateArgs(argv: readonly string[], cwd: string, env: Record<string, string | undefined>): InstantiateOptions {
  const settings = new NixSettings();
  const o: InstantiateOptions = {
    inputs: [],
    expr: false,
    eval: false,
    parse: false,
    strict: false,
    json: false,
    xml: false,
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
  const fail = (message: string): never => {
    throw new InstantiateUsageError(message);
  };
  const need = (i: number, n: number, flag: string): void => {
    if (i + n >= argv.length) fail(`flag '${flag}' requires ${n} argument(s)`);
  };
  argv = expandShortFlags(argv);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
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
        o.json = true;
        break;
      case "--xml":
        o.xml = true;
        break;
      case "--no-location":
        o.location = false;
        break;
      case "--show-trace":
        o.showTrace = true;
        break;
      case "--readonly-mode":
        o.readOnly = true;
        break;
      case "--read-write-mode":
        o.readOnly = false;
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
      case "--arg":
      case "--argstr":
        need(i, 2, a);
        o.args.push({ name: argv[i + 1]!, value: argv[i + 2]!, isString: a === "--argstr" });
        i += 2;
        break;
      case "--store":
        need(i, 1, a);
        o.storeRoot = argv[++i]!;
        break;
      case "--option":
        need(i, 2, a);
        settings.set(argv[i + 1]!, argv[i + 2]!);
        i += 2;
        break;
      case "--no-show-trace":
        o.showTrace = false;
        break;
      case "--max-call-depth": {
        need(i, 1, a);
        const n = Number.parseInt(argv[++i]!, 10);
        if (Number.isFinite(n)) o.maxCallDepth = n;
        break;
      }
      case "--extra-experimental-features":
      case "--experimental-features":
        need(i, 1, a);
        if (a === "--experimental-features") o.experimentalFeatures.length = 0;
        o.experimentalFeatures.push(...argv[++i]!.split(/\s+/).filter((f) => f !== ""));
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
      case "-j":
      case "--log-format":
        need(i, 1, a);
        if (a === "-j") settings.set("max-jobs", argv[i + 1]!);
        i++;
        break;
      default: {
        if (a.startsWith("-I") && a.length > 2) {
          o.includes.push(a.slice(2));
          break;
        }
        const n = settings.parseFlag(argv, i, fail);
        if (n > 0) i += n - 1;
        else if (a.startsWith("-") && a !== "-") throw new InstantiateUsageError(`unrecognised flag '${a}'`);
        else o.inputs.push(a);
      }
    }
  }
  // Settings the evaluation reads, when given as `--option NAME VALUE`.
  o.showTrace = settings.bool("show-trace") ?? o.showTrace;
  const depth = settings.get("max-call-depth");
  if (depth !== undefined) o.maxCallDepth = Number(depth);
  const features = settings.get("experimental-features");
  if (features !== undefined) o.experimentalFeatures.push(...features.split(/\s+/).filter((f) => f !== ""));
  return o;
}

/** Nix's compound short flags: `-vQ` is `-v -Q` (`-I…` stays whole: `-Ipath` is nixoci's, and Nix's later, spelling). */
function expandShortFlags(argv: readonly string[]): readonly string[] {
  if (!argv.some((a) => /^-[a-zA-HJ-Z][a-zA-Z]+$/.test(a))) return argv;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    out.push(...(/^-[a-zA-HJ-Z][a-zA-Z]+$/.test(a) ? [...a.slice(1)].map((c) => `-${c}`) : [a]));
    // A flag's own arguments are never expanded (`-A ab`, `--arg x -ab`).
    const arity = FLAG_ARITY[a] ?? 0;
    for (let k = 0; k < arity && i + 1 < argv.length; k++) out.push(argv[++i]!);
  }
  return out;
}

const FLAG_ARITY: Readonly<Record<string, number>> = {
  "-A": 1, "--attr": 1, "-I": 1, "--include": 1, "--arg": 2, "--argstr": 2, "--option": 2, "--store": 1, "-j": 1,
  "--log-format": 1, "--add-root": 1, "--max-call-depth": 1, "--experimental-features": 1, "--extra-experimental-features": 1,
};
