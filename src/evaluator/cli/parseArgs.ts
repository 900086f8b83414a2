/**
 * nix-instantiate's command line (flags with two values such as `--arg NAME
 * EXPR` do not fit a generic option parser).
 */
import { UsageError } from "../../errors.js";
import type { InstantiateOptions } from "./instantiate.js";

export function parseInstantiateArgs(argv: readonly string[], cwd: string, env: Record<string, string | undefined>): InstantiateOptions {
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
    cwd,
    env,
  };
  const need = (i: number, n: number, flag: string): void => {
    if (i + n >= argv.length) throw new UsageError(`flag '${flag}' requires ${n} argument${n > 1 ? "s" : ""}`);
  };
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
        if (level !== "ignore" && level !== "warn" && level !== "fatal") throw new UsageError(`invalid value '${level}' for setting '${a.slice(2)}'`);
        o.lint = { ...o.lint, [a === "--lint-url-literals" ? "url" : a === "--lint-short-path-literals" ? "shortPath" : "absolutePath"]: level };
        break;
      }
      case "--add-root":
      case "--trace-verbose":
      case "--indirect":
      case "--no-gc-warning":
      case "--impure":
        if (a === "--add-root") i++;
        break;
      default:
        if (a.startsWith("-I") && a.length > 2) o.includes.push(a.slice(2));
        else if (a.startsWith("-") && a !== "-") throw new UsageError(`unrecognised flag '${a}'`);
        else o.inputs.push(a);
    }
  }
  return o;
}
