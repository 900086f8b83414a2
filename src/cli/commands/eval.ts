import type { Command } from "commander";
import { type AutoArg, takeAutoArg } from "../../evaluator/cli/autoArgs.js";
import { NixociError } from "../../errors.js";
import { NixSettings } from "../../evaluator/cli/nixSettings.js";
import { NixUsageError } from "../../evaluator/cli/parseArgs.js";
import { writeResult } from "../writeOutput.js";

interface EvalFlags {
  expr?: string;
  file?: string;
  apply?: string;
  json: boolean;
  raw: boolean;
  pretty?: boolean;
  writeTo?: string;
  include: string[];
  impure: boolean;
  writeLockFile: boolean;
}

/** The nix command's logging flags, with how many values each takes. */
const LOGGING_FLAGS: ReadonlyMap<string, number> = new Map([
  ["--verbose", 0],
  ["--quiet", 0],
  ["--debug", 0],
  ["-L", 0],
  ["--print-build-logs", 0],
  ["--log-format", 1],
]);

const LOG_FORMATS: ReadonlySet<string> = new Set(["raw", "raw-with-logs", "internal-json", "bar", "bar-with-logs"]);

/** A bad `nixoci eval` command line, reported as `nix eval` reports one (exit 1). */
const fail = (message: string): never => {
  throw new NixUsageError(message, "nix");
};

/**
 * Takes what commander cannot read out of `args`: `--arg NAME EXPR` and `--argstr NAME STR` into
 * `autoArgs`, Nix's settings flags into `settings` (as nix-instantiate's are read, see
 * NixSettings.parseFlag). The rest is left to commander, whose own options are in `own`, by flag,
 * with whether they take a value (which is never read as a flag, as Nix reads it); any other flag
 * is unrecognised, as `nix eval` says.
 */
export function takeNixFlags(args: readonly string[], own: ReadonlyMap<string, boolean>, autoArgs: AutoArg[], settings: NixSettings): string[] {
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const need = (n: number): void => {
      if (i + n >= args.length) fail(`flag '${a}' requires ${n} argument(s)`);
    };
    if (a === "--") {
      rest.push(...args.slice(i));
      break;
    }
    const taken = takeAutoArg(args, i, autoArgs, fail);
    if (taken > 0) {
      i += taken - 1;
      continue;
    }
    const n = settings.parseFlag(args, i, fail);
    if (n > 0) {
      i += n - 1;
      continue;
    }
    // The nix command's logging flags: nothing to log for an evaluation. (-v repeats: -vvv.)
    const logging = LOGGING_FLAGS.get(a) ?? (/^-v+$/.test(a) ? 0 : undefined);
    if (logging !== undefined) {
      need(logging);
      i += logging;
      if (a === "--log-format" && !LOG_FORMATS.has(args[i]!)) throw new NixociError(`option 'log-format' has an invalid value '${args[i]}'`);
      continue;
    }
    // `--expr=E` and `-I/path` carry their value, which commander reads.
    const attached = a.startsWith("--") ? a.includes("=") : /^-[a-zA-Z]./.test(a);
    const flag = !attached ? a : a.startsWith("--") ? a.slice(0, a.indexOf("=")) : a.slice(0, 2);
    const takesValue = own.get(flag);
    if (takesValue === undefined && a.startsWith("-") && a !== "-") fail(`unrecognised flag '${a}'`);
    rest.push(a);
    if (takesValue === true && !attached) {
      need(1);
      rest.push(args[++i]!);
    }
  }
  return rest;
}

/** `nixoci eval`: like `nix eval`, a flake installable (FLAKEREF#ATTR) or an expression/file (--expr/--file, attribute path), --json, --raw. */
export function registerEval(program: Command): void {
  const autoArgs: AutoArg[] = [];
  let settings = new NixSettings();
  const command = program
    .command("eval")
    .description("Evaluate a flake attribute (FLAKEREF#ATTR), a Nix expression (--expr) or file (--file) and print the result, like nix eval")
    .argument("[installable]", "FLAKEREF#ATTR, or with --expr/--file an attribute path within the value", "")
    .option("--expr <expr>", "evaluate this expression")
    .option("-f, --file <file>", "evaluate this file ('-' for stdin)")
    .option("--apply <function>", "apply this function to the value before printing")
    .option("--json", "print as JSON", false)
    .option("--raw", "print a string without quotes or escaping", false)
    .option("--write-to <path>", "write a string, or a set of strings (as a directory), to PATH")
    .option("--pretty", "print JSON laid out on lines (the default when standard output is a terminal)")
    .option("--no-pretty", "print JSON on one line")
    .option("-I, --include <path>", "add to the search path", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--impure", "allow access to mutable paths and repositories (getEnv, currentSystem, files outside the flake)", false)
    .option("--no-write-lock-file", "do not write the flake's newly generated lock file")
    .addHelpText(
      "after",
      "\nNix's settings are flags too, as for nix eval (after $NIX_CONFIG): --NAME VALUE, --NAME / --no-NAME for a\n" +
        "Boolean, --extra-NAME VALUE, --option NAME VALUE; e.g. --show-trace, --max-call-depth N, --pure-eval,\n" +
        "--abort-on-warn, --extra-experimental-features F, --system S (the flake outputs' system), --store DIR\n" +
        "(the store root; default: $NIXOCI_STORE or the local store).",
    )
    .action(async (installable: string, opts: EvalFlags) => {
      // Loaded on use: keeps other commands' start-up free of the evaluator.
      const { runNixEvalCli } = await import("../../evaluator/cli/runNixEval.js");
      // As the nix command: pure evaluation unless a setting says otherwise; --impure (not a
      // setting) turns it off, and so does --file, which refuses an explicit --pure-eval.
      if (opts.impure) settings.set("pure-eval", "false");
      if (opts.expr !== undefined && opts.file !== undefined) fail("'--file' and '--expr' are exclusive");
      if (opts.file !== undefined) {
        if (settings.bool("pure-eval") === true) fail("'--file' is not compatible with '--pure-eval'");
        settings.set("pure-eval", "false");
      } else if (settings.get("pure-eval") === undefined) settings.set("pure-eval", "true");
      const flakeMode = opts.expr === undefined && opts.file === undefined && installable !== "";
      const flake = flakeMode
        ? {
            installable,
            system: settings.currentSystem() ?? (await import("../pipeline.js")).defaultSystem(),
            impure: settings.bool("pure-eval") === false,
            storeRoot: settings.get("store") ?? process.env.NIXOCI_STORE,
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
        pretty: opts.pretty ?? process.stdout.isTTY === true,
        writeTo: opts.writeTo,
        includes: opts.include,
        autoArgs,
        settings,
        ...settings.evalSettings(),
        cwd: process.cwd(),
        env: { ...process.env },
        ansi: (await import("../../evaluator/cli/logText.js")).stderrWantsAnsi(process.stderr.isTTY, process.env),
      });
      writeResult(r);
    });
  // For --help only: takeNixFlags takes these out of the arguments before commander reads them.
  const helpOnly = [
    ["--arg <name> <expr>", "with --expr/--file: pass EXPR as argument NAME to the functions along the attribute path"],
    ["--argstr <name> <string>", "as --arg, with the string STRING"],
    ["--option <name> <value>", "set the Nix setting NAME to VALUE (see below)"],
  ] as const;
  const own = new Map<string, boolean>([["-h", false], ["--help", false]]);
  for (const o of command.options) for (const f of [o.long, o.short]) if (f !== undefined) own.set(f, o.required || o.optional);
  for (const [flags, description] of helpOnly) command.option(flags, description);
  const parseOptions = command.parseOptions.bind(command);
  command.parseOptions = (args: string[]) => {
    settings = NixSettings.fromEnv(process.env, fail);
    // nixoci reads no nix.conf, where a user of nix eval turns these on: they are the default
    // here ($NIX_CONFIG and the flags can still set other features).
    if (settings.get("experimental-features") === undefined) settings.set("experimental-features", "nix-command flakes");
    return parseOptions(takeNixFlags(args, own, autoArgs, settings));
  };
}
