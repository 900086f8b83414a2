/**
 * `nixoci instantiate`: nix-instantiate's behaviour, as one synchronous run
 * (it runs on a thread with a large stack, see bigStack.ts).
 */
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Expr } from "../ast.js";
import { EvalError, EvalUsageError } from "../evalError.js";
import { Evaluator, type Lints } from "../evaluator.js";
import { MemoryStore, dummyStore } from "../memoryStore.js";
import { ParseError } from "../parseErrors.js";
import { printAst } from "../printAst.js";
import { printValue } from "../print.js";
import { valueToJson, valueToXml } from "../builtins/conv.js";
import { type Lazy, NixAttrs, NixPath, NixString, type PrimOp, STDIN_FILE, STRING_FILE, Thunk, type Value, toBytes } from "../values.js";
import { canonPath, noPos, showType } from "../eval.js";
import { allowPath, checkSourcePath, restrictPaths } from "../builtins/flakeBuiltins.js";
import type { EvalStore } from "../storeApi.js";
import { formatEvalError } from "./formatError.js";
import { NixociError } from "../../errors.js";
import { NixSettings } from "./nixSettings.js";
import { logText } from "./logText.js";
import { closestNames } from "../suggestions.js";
import type { AutoArg } from "./autoArgs.js";

export type { AutoArg } from "./autoArgs.js";

export interface InstantiateOptions {
  /** Files, or expressions with `expr`; "-" is stdin. Empty: ./default.nix. */
  inputs: string[];
  expr: boolean;
  eval: boolean;
  parse: boolean;
  strict: boolean;
  /** --eval's output: the value as Nix prints it, --json, --xml or --raw (the last given wins). */
  output: "plain" | "json" | "xml" | "raw";
  /** --find-file: print where each input is in the search path. */
  findFile: boolean;
  location: boolean;
  attrPaths: string[];
  /** --arg NAME EXPR / --argstr NAME STR, in order. */
  args: AutoArg[];
  includes: string[];
  /** --experimental-features / --extra-experimental-features, accumulated. */
  experimentalFeatures: string[];
  showTrace: boolean;
  /** --lint-url-literals, --lint-absolute-path-literals, --lint-short-path-literals (ignore, warn, fatal). */
  lint?: Lints;
  /** Nix's max-call-depth setting. */
  maxCallDepth?: number;
  /** --readonly-mode: nothing is written to the store. */
  readOnly: boolean;
  /** --read-write-mode: --eval and --parse write to the store too (builtins.toFile, paths), as without them. */
  readWrite?: boolean;
  /** Nix settings given as flags (`--timeout 1`, `--pure-eval`, `--option system x`). */
  settings?: NixSettings;
  /** stderr is a colour terminal: escape sequences in messages are kept (see logText.ts). */
  ansi?: boolean;
  /** Store root, when the evaluation writes to the store (see writesStore). */
  storeRoot?: string;
  cwd: string;
  env: Record<string, string | undefined>;
  stdin?: string;
}

/**
 * Whether the evaluation writes to the local store (else an in-memory one computes the same paths):
 * as Nix's read-only mode, which --readonly-mode sets, and --eval or --parse unless --read-write-mode.
 */
export function writesStore(o: Pick<InstantiateOptions, "eval" | "parse" | "readOnly" | "readWrite">): boolean {
  return !o.readOnly && (o.readWrite === true || (!o.eval && !o.parse));
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The JS stack overflowed (not a Nix error): re-run on a bigger stack. */
  jsStackOverflow?: boolean;
}

/** Builds an evaluator as nix-instantiate does (-I, then NIX_PATH or the nix-path setting, options). */
export function makeEvaluator(
  store: EvalStore,
  includes: string[],
  env: Record<string, string | undefined>,
  stderr: string[],
  experimentalFeatures: readonly string[] = [],
  lint?: Lints,
  settings?: NixSettings,
): Evaluator {
  const nixPath = (settings ?? new NixSettings()).nixPath(env.NIX_PATH);
  const pureEval = settings?.bool("pure-eval");
  const restrictEval = settings?.bool("restrict-eval");
  // As in Nix, pure evaluation has no search path: -I and NIX_PATH are not used.
  const searchPath = pureEval === true ? [] : [...includes, ...nixPath];
  const ev = new Evaluator({
    store,
    searchPath,
    env,
    experimentalFeatures,
    lint,
    system: settings?.currentSystem(),
    pureEval,
    restrictEval,
    allowedUris: (settings?.get("allowed-uris") ?? "").split(/\s+/).filter((u) => u !== ""),
    abortOnWarn: abortOnWarnOf(settings, env),
    traceSink: (line) => stderr.push(line + "\n"),
  });
  // Pure and restricted evaluations read no file they were not given: what they copy into the
  // store, Nix's corepkgs, and (restricted) the search path's own paths.
  if (pureEval === true || restrictEval === true) {
    restrictPaths(ev);
    for (const entry of searchPath) {
      const path = entry.slice(entry.indexOf("=") + 1);
      // A URL entry (a tarball, channel:, flake:) is not a path of this machine.
      if (!/^[a-z][a-z0-9+.-]*:/.test(path)) allowPath(ev, canonPath(toBytes(resolve(process.cwd(), path))));
    }
  }
  return ev;
}

/** Nix's abort-on-warn: the setting, else NIX_ABORT_ON_WARN=1/yes/true. */
export function abortOnWarnOf(settings: NixSettings | undefined, env: Record<string, string | undefined>): boolean {
  return settings?.bool("abort-on-warn") ?? ["1", "yes", "true"].includes(env.NIX_ABORT_ON_WARN ?? "");
}

/** The set of --arg NAME EXPR (parsed now, evaluated when used, relative to `cwd`) and --argstr NAME STR. */
export function autoArgsOf(ev: Evaluator, args: readonly AutoArg[], cwd: string): NixAttrs {
  if (args.length === 0) return NixAttrs.empty;
  // Nix keeps them in a map by name (the last of a name wins), and interns each name after
  // parsing its expression.
  const byName = new Map<string, AutoArg>();
  for (const a of args) byName.set(a.name, a);
  const m = new Map<string, Lazy>();
  for (const name of [...byName.keys()].sort()) {
    const a = byName.get(name)!;
    m.set(
      name,
      a.fromFile ? readFileSync(resolve(cwd, a.value), "latin1")
      : a.fromStdin ? a.value
      : a.isString ? toBytes(a.value)
      : new Thunk(ev.parse(toBytes(a.value), STRING_FILE, toBytes(cwd)).expr, ev.baseEnv),
    );
    ev.symbols.intern(name);
  }
  return new NixAttrs(m);
}

/** Follows `-A a.b.0` as Nix's findAlongAttrPath, auto-calling functions on the way. */
export function findAlongAttrPath(ev: Evaluator, attrPath: string, autoArgs: NixAttrs, root: Value): Value {
  const parts = attrPath === "" ? [] : splitAttrPath(attrPath);
  const notA = (kind: string, v: Value) => new EvalError(`the expression selected by the selection path '${attrPath}' should be a ${kind} but is ${showType(v)}`);
  let v = root;
  for (const [i, part] of parts.entries()) {
    v = ev.autoCallFunction(v, autoArgs);
    // As Nix: a part that reads as an unsigned int is a list index, whatever the value is.
    const index = /^[0-9]+$/.test(part) && Number(part) <= 0xffffffff ? Number(part) : undefined;
    if (index !== undefined) {
      if (!Array.isArray(v)) throw notA("list", v);
      if (index >= v.length) throw new EvalError(`list index ${index} in selection path '${attrPath}' is out of range`);
      v = ev.force(v[index]!);
      continue;
    }
    if (!(v instanceof NixAttrs)) throw notA("set", v);
    if (part === "") throw new EvalError(`empty attribute name in selection path '${attrPath}'`);
    ev.symbols.intern(part);
    const x = v.get(part);
    if (x === undefined) {
      const err = new EvalError(`attribute '${part}' in selection path '${parts.slice(0, i + 1).join(".")}' not found`);
      err.suggestions = closestNames(part, v.keys());
      throw err;
    }
    v = ev.force(x);
  }
  return v;
}

/** Nix's parseAttrPath: `.` separates, `"…"` quotes; a last empty part is dropped (`a.` is `a`). */
function splitAttrPath(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === ".") {
      out.push(cur);
      cur = "";
    } else if (c === '"') {
      const close = s.indexOf('"', i + 1);
      if (close < 0) throw new EvalError(`missing closing quote in selection path '${s}'`);
      cur += s.slice(i + 1, close);
      i = close;
    } else cur += c;
  }
  if (cur !== "") out.push(cur);
  return out;
}

/** Nix's getDerivations: derivations at the top, in attrsets (one level, or with recurseForDerivations), in lists. */
function collectDerivations(ev: Evaluator, v: Value, autoArgs: NixAttrs, out: string[], top: boolean, seen: Set<object>): void {
  v = ev.autoCallFunction(v, autoArgs);
  if (v instanceof NixAttrs) {
    if (seen.has(v)) return;
    seen.add(v);
    if (ev.isDerivation(v)) {
      const d = v.get("drvPath");
      if (d === undefined) throw new EvalError("attribute 'drvPath' missing");
      const dv = ev.force(d);
      out.push(typeof dv === "string" ? dv : (dv as NixString).s);
      return;
    }
    const rec = v.get("recurseForDerivations");
    if (!top && !(rec !== undefined && ev.force(rec) === true)) return;
    for (const k of v.keys()) {
      const x = ev.force(v.get(k)!);
      if (x instanceof NixAttrs && (ev.isDerivation(x) || top || x.get("recurseForDerivations") !== undefined)) {
        collectDerivations(ev, x, autoArgs, out, false, seen);
      }
    }
    return;
  }
  if (Array.isArray(v)) {
    for (const x of v) collectDerivations(ev, ev.force(x), autoArgs, out, false, seen);
    return;
  }
  if (top) throw new EvalError("expression does not evaluate to a derivation (or a set or list of those)");
}

export function runInstantiate(o: InstantiateOptions, openStore: (root: string | undefined) => EvalStore): RunResult {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let ev: Evaluator | undefined;
  try {
    const store = dummyStore(o.storeRoot) ?? (writesStore(o) ? openStore(o.storeRoot) : new MemoryStore());
    stderr.push(...(o.settings?.warnings ?? []).map((w) => `${w}\n`));
    ev = makeEvaluator(store, o.includes, o.env, stderr, o.experimentalFeatures, o.lint, o.settings);
    ev.showTrace = o.showTrace;
    if (o.maxCallDepth !== undefined) ev.maxCallDepth = o.maxCallDepth;
    const evaluator = ev;
    // As nix-instantiate: "-" (also with -E) is stdin, read once and first; then the others.
    const stdinInput = o.inputs.includes("-");
    const others = o.inputs.filter((i) => i !== "-");
    const inputs = [...(stdinInput ? ["-"] : []), ...(others.length > 0 || stdinInput || o.expr ? others : ["./default.nix"])];
    const loadText = (input: string): { text: string; file: string; baseDir: string } => {
      if (input === "-") return { text: toBytes(o.stdin ?? readFileSync(0, "utf8")), file: STDIN_FILE, baseDir: toBytes(o.cwd) };
      if (o.expr) return { text: toBytes(input), file: STRING_FILE, baseDir: toBytes(o.cwd) };
      let file = resolve(o.cwd, input);
      if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) file += "/default.nix";
      // Pure evaluation refuses even the file it is asked to evaluate, as Nix does.
      checkSourcePath(evaluator, toBytes(file), noPos);
      return { text: readFileSync(file, "latin1"), file: toBytes(file), baseDir: toBytes(resolve(file, "..")) };
    };
    if (o.findFile) {
      // The search path's lookup, as `<name>` does it.
      const findFile = evaluator.builtins.get("findFile") as PrimOp;
      for (const name of o.inputs) {
        const found = evaluator.force(findFile.fn([evaluator.nixPathValue(), toBytes(name)], noPos));
        stdout.push(`${found instanceof NixPath ? found.path : evaluator.coerceToString(found, new Set(), false, false, noPos)}\n`);
      }
      return { stdout: stdout.join(""), stderr: logText(stderr, o.ansi === true), exitCode: 0 };
    }
    const autoArgs = autoArgsOf(evaluator, o.args, o.cwd);
    let warnedRoot = false;
    for (const input of inputs) {
      const { text, file, baseDir } = loadText(input);
      if (o.parse) {
        const expr: Expr = evaluator.parse(text, file, baseDir).expr;
        stdout.push(printAst(expr) + "\n");
        continue;
      }
      const root = evaluator.evalExprText(text, file, baseDir);
      for (const attrPath of o.attrPaths.length > 0 ? o.attrPaths : [""]) {
        const v = findAlongAttrPath(evaluator, attrPath, autoArgs, root);
        if (o.eval) {
          const res = autoArgs.size === 0 ? v : evaluator.autoCallFunction(v, autoArgs);
          const ctx = new Set<string>();
          if (o.output === "xml") stdout.push(valueToXml(evaluator, res, ctx, o.strict, o.location));
          else if (o.output === "json") stdout.push(valueToJson(evaluator, res, ctx, true, noPos, o.strict) + "\n");
          // As current Nix: the string, no newline after it.
          else if (o.output === "raw") stdout.push(evaluator.coerceToString(evaluator.force(res), ctx, true, false, noPos, "while generating the nix-instantiate output"));
          else {
            if (o.strict) evaluator.forceDeep(res);
            stdout.push(printValue(evaluator, res) + "\n");
          }
        } else {
          const drvs: string[] = [];
          collectDerivations(evaluator, v, autoArgs, drvs, true, new Set());
          if (drvs.length > 0 && writesStore(o) && !warnedRoot) {
            stderr.push("warning: you did not specify '--add-root'; the result might be removed by the garbage collector\n");
            warnedRoot = true;
          }
          for (const d of drvs) stdout.push(d + "\n");
        }
      }
    }
    return { stdout: stdout.join(""), stderr: logText(stderr, o.ansi === true), exitCode: 0 };
  } catch (err) {
    const msg = failureMessage(err, ev?.sources ?? new Map(), o.showTrace);
    if (msg === undefined) return STACK_OVERFLOW;
    return { stdout: stdout.join(""), stderr: logText([...stderr, `${msg}\n`], o.ansi === true), exitCode: 1 };
  }
}

/** A JS stack overflow: the caller runs the command again on a big-stack worker. */
export const STACK_OVERFLOW: RunResult = { stdout: "", stderr: "error: stack overflow (possible infinite recursion)\n", exitCode: 1, jsStackOverflow: true };

/**
 * The Nix-style message of an error ending an evaluation command (`instantiate`, `eval`), or
 * undefined for a JS stack overflow ({@link STACK_OVERFLOW}); anything unexpected is rethrown.
 */
export function failureMessage(err: unknown, sources: Map<string, string>, showTrace: boolean, program = "nix-instantiate"): string | undefined {
  if (err instanceof EvalUsageError) return `${formatEvalError(err, sources, showTrace)}\nTry '${program} --help' for more information.`;
  if (err instanceof EvalError) return formatEvalError(err, sources, showTrace);
  if (err instanceof ParseError) return err.message;
  if (err instanceof RangeError && /call stack/.test(err.message)) return undefined;
  if (err instanceof NixociError) return err.message.startsWith("error:") ? err.message : `error: ${err.message}`;
  if ((err as NodeJS.ErrnoException).code === "ENOENT") return `error: getting status of '${(err as NodeJS.ErrnoException).path}': No such file or directory`;
  throw err;
}
