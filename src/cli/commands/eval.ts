import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { AutoArg } from "../../evaluator/cli/instantiate.js";
import { writeResult } from "../writeOutput.js";

interface EvalFlags {
  expr?: string;
  file?: string;
  apply?: string;
  json: boolean;
  raw: boolean;
  include: string[];
  showTrace: boolean;
  system?: string;
  impure: boolean;
  store?: string;
  writeLockFile: boolean;
  extraExperimentalFeatures: string[];
}

/**
 * Takes `--arg NAME EXPR` and `--argstr NAME STR` out of `args` into `into` (commander has no
 * options with two values).
 */
export function takeAutoArgs(args: readonly string[], into: AutoArg[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      rest.push(...args.slice(i));
      break;
    }
    if (a === "--arg" || a === "--argstr") {
      if (i + 2 >= args.length) throw new UsageError(`flag '${a}' requires 2 argument(s)`);
      into.push({ name: args[i + 1]!, value: args[i + 2]!, isString: a === "--argstr" });
      i += 2;
    } else rest.push(a);
  }
  return rest;
}

/** `nixoci eval`: like `nix eval`, a flake installable (FLAKEREF#ATTR) or an expression/file (--expr/--file, attribute path), --json, --raw. */
export function registerEval(program: Command): void {
  const autoArgs: AutoArg[] = [];
  const command = program
    .command("eval")
    .description("Evaluate a flake attribute (FLAKEREF#ATTR), a Nix expression (--expr) or file (--file) and print the result, like nix eval")
    .argument("[installable]", "FLAKEREF#ATTR, or with --expr/--file an attribute path within the value", "")
    .option("--expr <expr>", "evaluate this expression")
    .option("-f, --file <file>", "evaluate this file ('-' for stdin)")
    .option("--apply <function>", "apply this function to the value before printing")
    .option("--json", "print as JSON", false)
    .option("--raw", "print a string without quotes or escaping", false)
    .option("-I, --include <path>", "add to the search path", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--show-trace", "show the evaluation trace on errors", false)
    .option("--system <system>", "Nix system of the flake outputs to look in (default: this machine's)")
    .option("--impure", "allow access to mutable paths and repositories (getEnv, currentSystem, files outside the flake)", false)
    .option("--store <dir>", "store root (default: $NIXOCI_STORE or the local store)")
    .option("--no-write-lock-file", "do not write the flake's newly generated lock file")
    // For --help only: takeAutoArgs has taken these out of the arguments before commander reads them.
    .option("--arg <name> <expr>", "with --expr/--file: pass EXPR as argument NAME to the functions along the attribute path")
    .option("--argstr <name> <string>", "as --arg, with the string STRING")
    .option("--extra-experimental-features <features>", "enable experimental features (e.g. parse-toml-timestamps)", (v: string, acc: string[]) => [...acc, ...v.split(/\s+/)], [] as string[])
    .action(async (installable: string, opts: EvalFlags) => {
      // Loaded on use: keeps other commands' start-up free of the evaluator.
      const { runNixEvalCli } = await import("../../evaluator/cli/runNixEval.js");
      const flakeMode = opts.expr === undefined && opts.file === undefined && installable !== "";
      const flake = flakeMode
        ? {
            installable,
            system: opts.system ?? (await import("../pipeline.js")).defaultSystem(),
            impure: opts.impure,
            storeRoot: opts.store ?? process.env.NIXOCI_STORE,
            noWriteLock: !opts.writeLockFile,
          }
        : undefined;
      const r = await runNixEvalCli({
        flake,
        expr: opts.expr,
        file: opts.file,
        attrPath: installable.startsWith(".#") ? installable.slice(2) : installable,
        apply: opts.apply,
        json: opts.json,
        raw: opts.raw,
        includes: opts.include,
        autoArgs,
        experimentalFeatures: opts.extraExperimentalFeatures.filter((f) => f !== ""),
        showTrace: opts.showTrace,
        cwd: process.cwd(),
        env: { ...process.env },
        ansi: (await import("../../evaluator/cli/logText.js")).stderrWantsAnsi(process.stderr.isTTY, process.env),
      });
      writeResult(r);
    });
  const parseOptions = command.parseOptions.bind(command);
  command.parseOptions = (args: string[]) => parseOptions(takeAutoArgs(args, autoArgs));
}
