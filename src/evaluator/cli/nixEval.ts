/**
 * `nixoci eval`: `nix eval` for expressions and files (`--expr`, `--file`,
 * an attribute path, `--apply`, `--json`, `--raw`) and for flake installables
 * (`FLAKEREF#ATTR`, resolved by the flakes code in flake mode).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Pos } from "../ast.js";
import { valueToJson } from "../builtins/conv.js";
import { noPos, showPos } from "../eval.js";
import { EvalError } from "../evalError.js";
import type { Evaluator } from "../evaluator.js";
import { MemoryStore, dummyStore } from "../memoryStore.js";
import { printValue } from "../print.js";
import { type Lazy, NixAttrs, NixString, STRING_FILE, type Value, toBytes } from "../values.js";
import { logText } from "./logText.js";
import { indentJson } from "../lib/json.js";
import { type AutoArg, type RunResult, STACK_OVERFLOW, abortOnWarnOf, autoArgsOf, failureMessage, findAlongAttrPath, makeEvaluator } from "./instantiate.js";
import type { EvalStore } from "../storeApi.js";
import { NixociError } from "../../errors.js";
import { evalInstallableValue, makeFlakeEvaluator } from "../flake/evalValue.js";
import type { FlakeEvalStore } from "../flake/localEvalStore.js";
import type { NixSettings } from "./nixSettings.js";

export interface NixEvalOptions {
  expr?: string;
  file?: string;
  /** Attribute path (the installable's fragment for --expr/--file). */
  attrPath: string;
  apply?: string;
  json: boolean;
  raw: boolean;
  /** --json laid out on lines (--pretty; by default when stdout is a terminal), as current nix eval. */
  pretty?: boolean;
  /** --write-to PATH: a string becomes a file, a set a directory of its attributes. */
  writeTo?: string;
  includes: string[];
  /** --arg NAME EXPR / --argstr NAME STR (with --expr/--file): given to functions met along the attribute path, as in Nix. */
  autoArgs?: AutoArg[];
  experimentalFeatures?: string[];
  showTrace: boolean;
  /** Nix's max-call-depth setting. */
  maxCallDepth?: number;
  /** Nix settings given as flags or in $NIX_CONFIG (`--pure-eval`, `--option system x`, `--abort-on-warn`). */
  settings?: NixSettings;
  cwd: string;
  env: Record<string, string | undefined>;
  /** stderr is a colour terminal: escape sequences in messages are kept. */
  ansi?: boolean;
  /** Without --expr/--file: the flake installable (`.#attr`, `path:/x#attr`, …) and its settings. */
  flake?: { installable: string; system: string; impure: boolean; storeRoot?: string; noWriteLock?: boolean };
}

/** Prints a value as `nix eval` does, in the chosen output mode; returns bytes. */
export function printForNixEval(ev: Evaluator, v: Value, o: Pick<NixEvalOptions, "json" | "raw" | "pretty">): string {
  if (o.raw) return ev.coerceToString(v, new Set(), true, false, noPos);
  if (o.json) {
    const json = valueToJson(ev, v, new Set(), false, noPos);
    return `${o.pretty ? indentJson(json) : json}\n`;
  }
  return printValue(ev, v, { force: true }) + "\n";
}

/** What --write-to writes: a file's bytes, or a directory's entries. */
type FileTree = string | Map<string, FileTree>;

/** `v` as files, as `nix eval --write-to` walks it: a set's attributes in Nix's symbol order. */
function fileTree(ev: Evaluator, l: Lazy, pos: Pos | undefined): FileTree {
  const v = ev.force(l);
  if (typeof v === "string" || v instanceof NixString) return typeof v === "string" ? v : v.s;
  if (!(v instanceof NixAttrs)) throw new EvalError(`value at '${pos ? showPos(pos) : "«none»:0"}' is not a string or an attribute set`);
  const entries = new Map<string, FileTree>();
  for (const name of ev.symbols.order(v.keys())) {
    try {
      if (name === "." || name === "..") throw new EvalError(`invalid file name '${name}'`);
      entries.set(name, fileTree(ev, v.get(name)!, v.posOf(name)));
    } catch (err) {
      if (err instanceof EvalError) err.addTrace(`while evaluating the attribute '${name}'`, v.posOf(name));
      throw err;
    }
  }
  return entries;
}

function writeTree(path: string, tree: FileTree): void {
  if (typeof tree === "string") {
    writeFileSync(path, Buffer.from(tree, "latin1"));
    return;
  }
  mkdirSync(path);
  for (const [name, sub] of tree) writeTree(join(path, Buffer.from(name, "latin1").toString()), sub);
}

/** For a flake installable, `store` must be a {@link FlakeEvalStore} (the local store). */
export function runNixEval(o: NixEvalOptions, store: EvalStore = dummyStore(o.settings?.get("store")) ?? new MemoryStore()): RunResult {
  const stderr: string[] = [];
  // Flake mode reports warnings and traces as lines.
  const lines: string[] = [];
  // Every message as Nix's logger writes it (logText.ts).
  const log = (last: string[] = []) => logText([...stderr, ...lines.map((l) => `${l}\n`), ...last], o.ansi === true);
  let ev: Evaluator | undefined;
  try {
    stderr.push(...(o.settings?.warnings ?? []).map((w) => `${w}\n`));
    if (o.raw && o.json) throw new NixociError("--raw and --json are mutually exclusive");
    let v: Value;
    if (o.expr !== undefined || o.file !== undefined) {
      ev = makeEvaluator(store, o.includes, o.env, stderr, o.experimentalFeatures, undefined, o.settings);
      ev.showTrace = o.showTrace;
      if (o.maxCallDepth !== undefined) ev.maxCallDepth = o.maxCallDepth;
      let root: Value;
      if (o.expr !== undefined) root = ev.evalExprText(toBytes(o.expr), STRING_FILE, toBytes(o.cwd));
      else {
        const file = o.file === "-" ? undefined : resolve(o.cwd, o.file!);
        root = file === undefined ? ev.evalExprText(toBytes(readFileSync(0, "utf8")), toBytes("«stdin»"), toBytes(o.cwd)) : ev.evalFile(toBytes(file));
      }
      v = findAlongAttrPath(ev, o.attrPath, autoArgsOf(ev, o.autoArgs ?? [], o.cwd), root);
    } else if (o.flake) {
      const req = { ...o.flake, cwd: o.cwd };
      ev = makeFlakeEvaluator(req, store, lines, {
        experimentalFeatures: o.experimentalFeatures,
        abortOnWarn: abortOnWarnOf(o.settings, o.env),
      });
      ev.showTrace = o.showTrace;
      if (o.maxCallDepth !== undefined) ev.maxCallDepth = o.maxCallDepth;
      v = evalInstallableValue(req, store as FlakeEvalStore, lines, ev).value;
    } else throw new NixociError("'nixoci eval' needs an installable (FLAKEREF#ATTR), --expr or --file");
    if (o.apply !== undefined) v = ev.callFunction(ev.evalExprText(toBytes(o.apply), STRING_FILE, toBytes(o.cwd)), [v], noPos);
    if (o.writeTo !== undefined) {
      const target = resolve(o.cwd, o.writeTo);
      if (existsSync(target)) throw new NixociError(`path '${target}' already exists`);
      // Everything is evaluated before anything is written: an evaluation that fails (or is run
      // again on a bigger stack) leaves nothing behind.
      writeTree(target, fileTree(ev, v, undefined));
      return { stdout: "", stderr: log(), exitCode: 0 };
    }
    const stdout = printForNixEval(ev, v, o);
    return { stdout, stderr: log(), exitCode: 0 };
  } catch (err) {
    const msg = failureMessage(err, ev?.sources ?? new Map(), o.showTrace, "nix");
    if (msg === undefined) return STACK_OVERFLOW;
    return { stdout: "", stderr: log([`${msg}\n`]), exitCode: 1 };
  }
}
