/**
 * The evaluator: the evaluation core plus everything around it — builtins
 * and the base environment, imports (cached by path), the search path,
 * copying sources to the store, forcing helpers with Nix's error messages.
 */
import { existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { Expr, Pos } from "./ast.js";
import { type CoreHooks, EvalCore, IntOp, canonPath, determinePos, noPos, showType } from "./eval.js";
import { EvalError, type EvalWarning } from "./evalError.js";
import { formatEvalError } from "./cli/formatError.js";
import { SymbolTable } from "./symbols.js";
import { fsPath, readRegularFile, setStoreLocation } from "./fsBytes.js";
import { registerAllBuiltins } from "./builtins/index.js";
import { type ParsedSource, parseNixSource } from "./load.js";
import type { LintLevel } from "./parser.js";
import type { EvalStore } from "./storeApi.js";
import {
  Env,
  type Lazy,
  NixAttrs,
  NixFloat,
  type NixInt,
  NixLambda,
  NixPath,
  NixString,
  PrimOp,
  PrimOpApp,
  type PrimOpFn,
  Thunk,
  type Value,
  fromBytes,
  toBytes,
} from "./values.js";
import { formatFloatToString } from "./lib/float.js";
import { printExpr } from "./showExpr.js";
import { readDerivationFile } from "./builtins/derivation.js";
import { corepkgSources } from "./corepkgs.js";
import type { Derivation } from "../store/format/derivationTypes.js";
import { DrvHashCache, derivationReferences } from "../store/format/derivation.js";

export interface EvaluatorOptions {
  store: EvalStore;
  /** Search path entries, highest priority first: `-I` entries, then NIX_PATH's. `prefix=path` or `path`. */
  searchPath?: readonly string[];
  /** builtins.currentSystem */
  system?: string;
  /** Where trace/warning lines go (byte strings, one line each without newline). */
  traceSink?: (line: string) => void;
  /** Environment for builtins.getEnv. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Pure evaluation mode: no getEnv, currentTime, currentSystem; absolute paths restricted. */
  pureEval?: boolean;
  /** Nix's restrict-eval: no getEnv; only the search path's paths and allowedUris may be read or fetched. */
  restrictEval?: boolean;
  /** Nix's allowed-uris: what restricted mode may fetch (prefixes, see checkURI). */
  allowedUris?: readonly string[];
  /**
   * Enabled experimental features (`--extra-experimental-features`), e.g. parse-toml-timestamps; none
   * by default, as in Nix, and some builtins exist only with theirs (see builtins/index.ts).
   */
  experimentalFeatures?: readonly string[];
  /** The abort-on-warn setting: builtins.warn throws after printing its warning. */
  abortOnWarn?: boolean;
  /** Nix's lint settings for literals; warnings go to traceSink. */
  lint?: Lints;
}

/** The experimental features of flake evaluation: nixoci's flake commands enable flakes as `nix` needs them enabled. */
export const FLAKE_FEATURES: readonly string[] = ["flakes"];

export interface Lints {
  readonly url?: LintLevel;
  readonly absolutePath?: LintLevel;
  readonly shortPath?: LintLevel;
}

/** A builtin definition: primop (arity > 0) or constant; `strict`: see PrimOp.strict. */
export type DefineBuiltin = (
  name: string,
  arity: number,
  fn: PrimOpFn,
  strict?: boolean,
  fn2?: (a: Value, b: Value, pos: Pos) => Value,
) => void;

export class Evaluator extends EvalCore {
  readonly store: EvalStore;
  readonly options: EvaluatorOptions;
  /** Names of the base environment in slot order (for the binder). */
  readonly baseNames: string[] = [];
  readonly baseEnv: Env;
  /** The base env's slots, in order (scopedImport extends a copy). */
  private readonly baseSlots: Lazy[] = [];
  /** The `builtins` attribute set. */
  readonly builtins: NixAttrs;
  /** Parsed sources by file name (for error excerpts). */
  readonly sources = new Map<string, string>();
  private readonly importCache = new Map<string, Value>();
  private readonly storeCopies = new Map<string, string>();

  constructor(options: EvaluatorOptions) {
    const hooks: CoreHooks = {
      copyPathToStore: (p, pos) => this.copyPathToStore(p, pos),
      showExpr: (e) => printExpr(e),
    };
    super(hooks);
    this.floatToString = formatFloatToString;
    this.options = options;
    this.store = options.store;
    this.symbols = SymbolTable.forEvalState({ pureEval: options.pureEval, hasFeature: (f) => this.hasFeature(f) });
    setStoreLocation(options.store.storeDir, (p) => options.store.toRealPath(p));
    const builtinsMap = new Map<string, Lazy>();
    this.builtins = new NixAttrs(builtinsMap);
    const vals = this.baseSlots;
    const addBase = (name: string, v: Lazy): void => {
      this.baseNames.push(name);
      vals.push(v);
    };
    // Nix: names starting with "__" are hidden from the global scope, except as `__name`;
    // the builtins set has them without the prefix.
    const define = (name: string, v: Lazy): void => {
      if (name.startsWith("__")) {
        addBase(name, v);
        builtinsMap.set(name.slice(2), v);
      } else {
        addBase(name, v);
        builtinsMap.set(name, v);
      }
    };
    registerAllBuiltins(this, (name, arity, fn, strict, fn2) => {
      const bare = name.startsWith("__") ? name.slice(2) : name;
      define(name, arity === 0 ? new Thunk(new PrimOp(bare, 1, fn), null) : new PrimOp(bare, arity, fn, strict, fn2));
    });
    for (const [name, op] of Object.entries(IntOp)) {
      const p = vals[this.baseNames.indexOf(`__${name}`)];
      if (p instanceof PrimOp) p.intOp = op;
    }
    const addErrorContext = vals[this.baseNames.indexOf("__addErrorContext")];
    if (addErrorContext instanceof PrimOp) addErrorContext.callFrame = false;
    define("builtins", this.builtins);
    define("true", true);
    define("false", false);
    define("null", null);
    this.baseEnv = Env.fromSlots(null, vals);
  }

  /** Whether an experimental feature is on; as in current Nix, `flakes` implies `fetch-tree`. */
  hasFeature(feature: string): boolean {
    const on = this.options.experimentalFeatures ?? [];
    return on.includes(feature) || (feature === "fetch-tree" && on.includes("flakes"));
  }

  // ---------- parsing and importing ----------

  /** Parses and binds source text (a byte string) against the base environment. */
  parse(text: string, file: string, baseDir: string, extraNames?: readonly string[], intern = true): ParsedSource {
    this.sources.set(file, text);
    const lint = this.options.lint;
    const symbols: string[] = [];
    const parsed = parseNixSource(text, file, baseDir, extraNames ? [...this.baseNames, ...extraNames] : this.baseNames, {
      symbols,
      home: this.options.env?.HOME === undefined ? undefined : toBytes(this.options.env.HOME),
      pureEval: this.options.pureEval,
      lintUrlLiterals: lint?.url,
      lintAbsolutePathLiterals: lint?.absolutePath,
      lintShortPathLiterals: lint?.shortPath,
      onWarning: lint === undefined ? undefined : (text) => (this.options.traceSink ?? ((l: string) => process.stderr.write(l + "\n")))(text),
    });
    if (intern) this.symbols.internAll(symbols);
    return parsed;
  }

  evalExprText(text: string, file: string, baseDir: string): Value {
    const { expr } = this.parse(text, file, baseDir);
    return this.eval(expr, this.baseEnv);
  }

  /** `import path`: evaluates a file once per path. */
  evalFile(path: string, pos: Pos = noPos): Value {
    const core = corepkgSources.get(path);
    if (core !== undefined) {
      const hit = this.importCache.get(path);
      if (hit !== undefined) return hit;
      const v = this.evalExprText(core, path, "/");
      this.importCache.set(path, v);
      return v;
    }
    let p = path;
    try {
      if (statSync(fsPath(p)).isDirectory()) p = p.endsWith("/") ? p + "default.nix" : p + "/default.nix";
    } catch {
      throw new EvalError(`path '${p}' does not exist`, pos);
    }
    const cached = this.importCache.get(p);
    if (cached !== undefined) return cached;
    const text = readRegularFile(p);
    const { expr } = this.parse(text, p, dirname(p));
    const v = this.eval(expr, this.baseEnv);
    this.importCache.set(p, v);
    return v;
  }

  /** `scopedImport attrs path`: the attributes shadow the base environment. */
  scopedImport(scope: NixAttrs, path: string, pos: Pos): Value {
    let p = path;
    if (existsSync(fsPath(p)) && statSync(fsPath(p)).isDirectory()) p += "/default.nix";
    if (!existsSync(fsPath(p))) throw new EvalError(`path '${p}' does not exist`, pos);
    const text = readRegularFile(p);
    const names = scope.keys();
    const { expr } = this.parse(text, p, dirname(p), names);
    const vals = [...this.baseSlots];
    for (const n of names) vals.push(scope.get(n)!);
    // Shadowing: names already in the base env are resolved by the binder to their last slot.
    return this.eval(expr, Env.fromSlots(null, vals));
  }

  // ---------- store ----------

  copyPathToStore(path: string, pos: Pos): string {
    const cached = this.storeCopies.get(path);
    if (cached !== undefined) return cached;
    // Nix's source accessor says so, with no position (the caller's frames may place it).
    if (!existsSync(fsPath(path))) throw new EvalError(`path '${path}' does not exist`);
    const base = path.slice(path.lastIndexOf("/") + 1);
    const sp = this.store.addPathToStore(fsPath(path).toString(), { name: base, method: "recursive" });
    this.storeCopies.set(path, sp);
    return sp;
  }

  // ---------- derivations and references known to this evaluation ----------

  /** Modulo hashes of derivations (Nix's drvHashes); reads unknown .drv files from the store. */
  readonly drvHashCache = new DrvHashCache((p) => this.readDerivation(p));
  private readonly derivations = new Map<string, Derivation>();
  private readonly references = new Map<string, readonly string[]>();

  rememberDerivation(drvPath: string, drv: Derivation): void {
    this.derivations.set(drvPath, drv);
    this.references.set(drvPath, derivationReferences(drv));
  }

  recordReferences(storePath: string, refs: readonly string[]): void {
    this.references.set(storePath, refs);
  }

  readDerivation(drvPath: string): Derivation {
    let d = this.derivations.get(drvPath);
    if (d === undefined) {
      d = readDerivationFile(this, drvPath);
      this.rememberDerivation(drvPath, d);
    }
    return d;
  }

  /** The closure of a store path over the references this evaluation knows (or reads from .drv files). */
  closureOf(storePath: string): string[] {
    const seen = new Set<string>();
    const stack = [storePath];
    while (stack.length > 0) {
      const p = stack.pop()!;
      if (seen.has(p)) continue;
      seen.add(p);
      let refs = this.references.get(p);
      if (refs === undefined && p.endsWith(".drv")) {
        this.readDerivation(p);
        refs = this.references.get(p);
      }
      for (const r of refs ?? []) stack.push(r);
    }
    return [...seen];
  }

  outputPathOf(drvPath: string, output: string): string | undefined {
    const p = this.readDerivation(drvPath).outputs.get(output)?.path;
    return p === "" ? undefined : p;
  }

  /** Where a path's contents are on disk: store paths through the store's toRealPath. */
  realPath(path: string): string {
    const dir = this.store.storeDir + "/";
    if (!path.startsWith(dir)) return path;
    const slash = path.indexOf("/", dir.length);
    const sp = slash === -1 ? path : path.slice(0, slash);
    const real = this.store.toRealPath(fromBytes(sp));
    return real === sp ? path : toBytes(real) + (slash === -1 ? "" : path.slice(slash));
  }

  // ---------- search path ----------

  nixPathValue(): Value {
    const out: Lazy[] = [];
    for (const entry of this.options.searchPath ?? []) {
      const eq = entry.indexOf("=");
      const prefix = eq >= 0 ? entry.slice(0, eq) : "";
      const path = eq >= 0 ? entry.slice(eq + 1) : entry;
      out.push(new NixAttrs(new Map<string, Lazy>([["path", toBytes(path)], ["prefix", toBytes(prefix)]])));
    }
    return out;
  }

  // ---------- forcing helpers (messages as Nix's) ----------

  forceAttrs(l: Lazy, pos: Pos, ctx?: string): NixAttrs {
    const v = this.force(l);
    if (v instanceof NixAttrs) return v;
    throw this.typeError("a set", v, pos, ctx);
  }

  forceList(l: Lazy, pos: Pos, ctx?: string): Lazy[] {
    const v = this.force(l);
    if (Array.isArray(v)) return v;
    throw this.typeError("a list", v, pos, ctx);
  }

  forceInt(l: Lazy, pos: Pos, ctx?: string): NixInt {
    const v = this.force(l);
    if (typeof v === "number" || typeof v === "bigint") return v;
    throw this.typeError("an integer", v, pos, ctx);
  }

  forceBool(l: Lazy, pos: Pos, ctx?: string): boolean {
    const v = this.force(l);
    if (typeof v === "boolean") return v;
    throw this.typeError("a Boolean", v, pos, ctx);
  }

  forceFunction(l: Lazy, pos: Pos, ctx?: string): Value {
    const v = this.force(l);
    if (v instanceof NixLambda || v instanceof PrimOp || v instanceof PrimOpApp || (v instanceof NixAttrs && v.has("__functor"))) return v;
    throw this.typeError("a function", v, pos, ctx);
  }

  /** A string value's text, ignoring its context. */
  forceString(l: Lazy, pos: Pos, ctx?: string): string {
    const v = this.force(l);
    if (typeof v === "string") return v;
    if (v instanceof NixString) return v.s;
    throw this.typeError("a string", v, pos, ctx);
  }

  /** A string value's text; its context is added to `into`. */
  forceStringCtx(l: Lazy, into: Set<string>, pos: Pos, ctx?: string): string {
    const v = this.force(l);
    if (typeof v === "string") return v;
    if (v instanceof NixString) {
      for (const c of v.ctx) into.add(c);
      return v.s;
    }
    throw this.typeError("a string", v, pos, ctx);
  }

  forceStringNoCtx(l: Lazy, pos: Pos, ctx?: string): string {
    const v = this.force(l);
    if (typeof v === "string") return v;
    if (v instanceof NixString) {
      const first = [...v.ctx][0]!;
      throw new EvalError(`the string '${v.s}' is not allowed to refer to a store path (such as '${first.replace(/^[=!][^!]*!?/, "")}')`, pos);
    }
    throw this.typeError("a string", v, pos, ctx);
  }

  /** A number as JS float plus whether it was an int. */
  forceNumber(l: Lazy, pos: Pos, ctx?: string): bigint | number {
    const v = this.force(l);
    if (typeof v === "number" || typeof v === "bigint") return BigInt(v);
    if (v instanceof NixFloat) return v.value;
    throw this.typeError("a float", v, pos, ctx);
  }

  /** Nix's coerceToPath: a path, or a string that is an absolute path. Returns the path text. */
  coerceToPath(l: Lazy, pos: Pos, ctx?: string): string {
    const v = this.force(l);
    // As Nix: the absolute-path check is made on what `outPath`/`__toString` give, within their frames.
    const check = (x: Value): string => {
      if (x instanceof NixPath) return x.path;
      const s = this.coerceToString(x, null, false, false, pos, ctx);
      if (!s.startsWith("/")) {
        // As in Nix, the context frame has the position.
        if (ctx) throw new EvalError(`string '${s}' doesn't represent an absolute path`).addTrace(ctx, pos);
        throw new EvalError(`string '${s}' doesn't represent an absolute path`, pos);
      }
      return s;
    };
    return v instanceof NixAttrs && (v.has("__toString") || v.has("outPath")) ? this.peelToString(v, pos, false, check) : check(v);
  }

  /**
   * Forces a value completely (deepSeq, --strict), a set's attributes in Nix's symbol order (symbols.ts).
   * Each level counts towards max-call-depth, as in Nix's forceValueDeep, placed (as is the
   * forcing) where the value's function is defined, if any.
   */
  forceDeep(l: Lazy, seen: Set<object> = new Set()): Value {
    if (this.callDepth++ > this.maxCallDepth) throw this.callDepthError(determinePos(l) ?? noPos);
    try {
      const v = this.force(l);
      if (typeof v !== "object" || v === null || seen.has(v)) return v;
      if (v instanceof NixAttrs) {
        seen.add(v);
        for (const k of this.symbols.order(v.keys())) {
          const x = v.get(k)!;
          try {
            this.forceDeep(x, seen);
          } catch (err) {
            if (err instanceof EvalError) err.addTrace(`while evaluating the attribute '${k}'`, v.posOf(k));
            throw err;
          }
        }
      } else if (Array.isArray(v)) {
        seen.add(v);
        for (let i = 0; i < v.length; i++) {
          try {
            this.forceDeep(v[i]!, seen);
          } catch (err) {
            if (err instanceof EvalError) err.addTrace(`while evaluating list element at index ${i}`);
            throw err;
          }
        }
      }
      return v;
    } finally {
      this.callDepth--;
    }
  }

  /** Prints a warning with a position and frames, as Nix's logWarning does. */
  warn(w: EvalWarning): void {
    this.options.traceSink?.(formatEvalError(w, this.sources, this.showTrace, "warning"));
  }

  /** Calls a function with already-evaluated or lazy arguments. */
  call(f: Lazy, args: Lazy[], pos: Pos = noPos): Value {
    return this.callFunction(this.force(f), args, pos);
  }

  /** `--arg`/`--argstr`: calls a top-level function with formals with the matching args. */
  autoCallFunction(f: Value, args: NixAttrs, pos: Pos = noPos): Value {
    if (f instanceof NixAttrs && f.has("__functor")) {
      const functor = this.force(f.get("__functor")!);
      const inner = this.callFunction(functor, [f], pos);
      return this.autoCallFunction(inner, args, pos);
    }
    if (!(f instanceof NixLambda)) return f;
    const formals = f.expr.formals;
    if (formals === undefined) return f;
    const m = new Map<string, Lazy>();
    if (formals.ellipsis) for (const [k, v] of args.map) m.set(k, v);
    else {
      for (const fm of formals.entries) {
        const v = args.get(fm.name);
        if (v !== undefined) m.set(fm.name, v);
        else if (fm.default === undefined) {
          // The first such formal in Nix's symbol order.
          const name = this.symbols.first(formals.entries.filter((x) => x.default === undefined && !args.has(x.name)).map((x) => x.name))!;
          const missing = formals.entries.find((x) => x.name === name)!;
          throw new EvalError(
            `cannot evaluate a function that has an argument without a value ('${missing.name}')\n` +
              `Nix attempted to evaluate a function as a top level expression; in\n` +
              `this case it must have its arguments supplied either by default\n` +
              `values, or passed explicitly with '--arg' or '--argstr'. See\n` +
              `https://nix.dev/manual/nix/stable/language/constructs.html#functions.`,
            missing.pos,
          );
        }
      }
    }
    return this.callFunction(f, [new NixAttrs(m)], pos);
  }

  /**
   * Parses an expression for a builtin written in Nix (derivation). Its names are not interned:
   * the symbol table starts with those of Nix's own file (symbols.ts).
   */
  evalInternal(text: string, name: string): Value {
    const { expr } = this.parse(text, name, "/", undefined, false);
    return this.eval(expr, this.baseEnv);
  }
}
