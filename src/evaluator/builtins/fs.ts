/**
 * Builtins touching files, the search path and the store.
 */
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Pos } from "../ast.js";
import { canonPath } from "../eval.js";
import { EvalError, EvalUsageError, ThrownError } from "../evalError.js";
import type { DefineBuiltin, Evaluator } from "../evaluator.js";
import { fsPath, readRegularFile } from "../fsBytes.js";
import { type Lazy, NixAttrs, NixPath, NixString, type Value, bytesBuffer, fromBytes, mkString, toBytes } from "../values.js";
import { type Hash, hashData, parseHashAllowEmpty, parseHashAny, printHash } from "../../store/format/hash.js";
import { narHashPathSync } from "../../store/format/nar.js";
import { makeFixedOutputPath, storePathNameProblem } from "../../store/format/storePath.js";
import { deferred } from "../../deferred.js";
import { hashPlaceholder } from "../../store/format/derivation.js";
import { parseAlgo } from "./strings.js";
import { MemoryStore } from "../memoryStore.js";
import { checkURI } from "./flakeBuiltins.js";

/** Nix's built-in `<nix/…>` files, mapped to pseudo-paths that `import` recognises. */
export const corepkgs = new Map<string, string>([["nix/fetchurl.nix", "/__corepkgs__/fetchurl.nix"]]);

/** `p` with its symlinks resolved (as far as they exist). */
function resolvedPath(p: string): string {
  try {
    return realpathSync(fsPath(p), { encoding: "buffer" }).toString("latin1");
  } catch {
    return p;
  }
}

function fileType(p: string): "regular" | "directory" | "symlink" | "unknown" {
  const st = lstatSync(fsPath(p));
  return st.isFile() ? "regular" : st.isDirectory() ? "directory" : st.isSymbolicLink() ? "symlink" : "unknown";
}

/** Nix's context for the path argument of the builtins that read files (EvalState::realisePath). */
const REALISING = "while realising the context of a path";

export function registerFsBuiltins(ev: Evaluator, def: DefineBuiltin): void {
  /**
   * Nix's realiseContext: the store paths a path string depends on must be valid before its contents
   * are read, and derivation outputs among them are built now (import from derivation).
   */
  const realiseContext = (v: Value, pos: Pos): void => {
    if (v instanceof NixPath) return;
    const ctx = new Set<string>();
    ev.coerceToString(v, ctx, false, false, pos, REALISING);
    const builds: { drvPath: string; output: string }[] = [];
    for (const c of ctx) {
      let p = c.startsWith("=") ? c.slice(1) : c;
      if (c.startsWith("!")) {
        const sep = c.indexOf("!", 1);
        p = c.slice(sep + 1);
        builds.push({ drvPath: p, output: c.slice(1, sep) });
      }
      if (!ev.store.isValidPath(p)) throw new EvalError(`path '${p}' is not valid`, pos);
    }
    const missing = builds.filter((b) => {
      const out = ev.outputPathOf(b.drvPath, b.output);
      return out === undefined || !ev.store.isValidPath(out);
    });
    if (missing.length === 0) return;
    const what = missing.map((b) => `'${b.drvPath}^${b.output}'`).join(", ");
    if (!ev.store.buildPaths) throw new EvalError(`cannot build ${what} during evaluation: this command evaluates without a store that builds (use the local store)`, pos);
    try {
      ev.store.buildPaths(missing);
    } catch (e) {
      throw new EvalError(`cannot build ${what} during evaluation (import from derivation): ${(e as Error).message.split("\n")[0]}`, pos);
    }
  };
  /** A path argument, its context realised, mapped to where its contents are on disk. */
  const path = (l: Lazy, pos: Pos): string => {
    const v = ev.force(l);
    realiseContext(v, pos);
    return ev.realPath(ev.coerceToPath(v, pos, REALISING));
  };
  const noSuch = (p: string, pos: Pos, what = "opening file"): EvalError => new EvalError(`${what} '${p}': No such file or directory`, pos);

  def("import", 1, ([a], pos) => ev.evalFile(path(a!, pos), pos));
  // The path first, as Nix does.
  def("scopedImport", 2, ([s, a], pos) => {
    const file = path(a!, pos);
    return ev.scopedImport(ev.forceAttrs(s!, pos), file, pos);
  });
  def("__readFile", 1, ([a], pos) => {
    const p = path(a!, pos);
    // Files added by this evaluation to a store that only computes paths (--eval) are read from memory.
    const known = ev.store instanceof MemoryStore ? ev.store.texts.get(fromBytes(p)) : undefined;
    if (known !== undefined) return toBytes(known);
    let s: string;
    try {
      s = readRegularFile(p);
    } catch (err) {
      throw err instanceof EvalError ? err : noSuch(p, pos);
    }
    if (s.includes("\0")) throw new EvalError(`the contents of the file '${p}' cannot be represented as a Nix string`, pos);
    return s;
  });
  def("__pathExists", 1, ([a], pos) => {
    const v = ev.force(a!);
    realiseContext(v, pos);
    const p = ev.realPath(v instanceof NixPath ? v.path : ev.coerceToPath(v, pos, REALISING));
    // The OS resolves "." and ".." and refuses "file/" or "file/." (ENOTDIR), as Nix's check does.
    try {
      statSync(fsPath(p));
      return true;
    } catch {
      try {
        lstatSync(fsPath(p));
        return !p.endsWith("/");
      } catch {
        return false;
      }
    }
  });
  def("__readFileType", 1, ([a], pos) => {
    const p = path(a!, pos);
    try {
      return fileType(p);
    } catch {
      throw new EvalError(`getting status of '${p}': No such file or directory`, pos);
    }
  });
  def("__readDir", 1, ([a], pos) => {
    const p = path(a!, pos);
    let entries;
    try {
      entries = readdirSync(fsPath(p), { withFileTypes: true, encoding: "buffer" });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Current Nix's words; a symlink is named by what it points to.
      if (code === "ENOTDIR") throw new EvalError(`'${resolvedPath(p)}' is not a directory`, pos);
      throw new EvalError(`path '${p}' does not exist`, pos);
    }
    const m = new Map<string, Lazy>();
    for (const e of entries) {
      const name = e.name.toString("latin1");
      m.set(name, e.isFile() ? "regular" : e.isDirectory() ? "directory" : e.isSymbolicLink() ? "symlink" : "unknown");
    }
    const s = new NixAttrs(m);
    // Nix reads a directory as a sorted map and interns its names in that order.
    for (const name of s.keys()) ev.symbols.intern(name);
    return s;
  });
  def("__hashFile", 2, ([al, a], pos) => {
    const algo = parseAlgo(ev.forceStringNoCtx(al!, pos, "while evaluating the first argument passed to builtins.hashFile"), pos);
    const p = path(a!, pos);
    let bytes: string;
    try {
      bytes = readRegularFile(p);
    } catch (err) {
      throw err instanceof EvalError ? err : new EvalError(`path '${p}' does not exist`, pos);
    }
    return printHash(hashData(algo, bytesBuffer(bytes)), "base16");
  });
  def("__convertHash", 1, ([a], pos) => {
    const args = ev.forceAttrs(a!, pos, "while evaluating the first argument passed to builtins.convertHash");
    const get = (n: string): string | undefined => {
      const v = args.get(n);
      return v === undefined ? undefined : ev.forceStringNoCtx(v, pos, `while evaluating the attribute '${n}'`);
    };
    const hashText = get("hash");
    if (hashText === undefined) throw new EvalError("attribute 'hash' missing", pos);
    const algoName = get("hashAlgo");
    const algo = algoName === undefined ? undefined : parseAlgo(algoName, pos);
    const fmt = get("toHashFormat");
    if (fmt === undefined) throw new EvalError("attribute 'toHashFormat' missing", pos);
    const enc = fmt === "base32" || fmt === "nix32" ? "nix32" : fmt === "base16" ? "base16" : fmt === "base64" ? "base64" : fmt === "sri" ? "sri" : undefined;
    if (enc === undefined) throw new EvalUsageError(`unknown hash format '${fmt}', expect 'base16', 'base32', 'base64', or 'sri'`, pos);
    if (fmt === "base32") ev.options.traceSink?.('warning: "base32" is a deprecated alias for hash format "nix32".');
    return printHash(parseHashAny(hashText, algo), enc, enc === "sri");
  });
  def("__findFile", 2, ([sp, n], pos) => {
    const entries = ev.forceList(sp!, pos, "while evaluating the first argument passed to builtins.findFile");
    const name = ev.forceStringNoCtx(n!, pos, "while evaluating the second argument passed to builtins.findFile");
    for (const e of entries) {
      const attrs = ev.forceAttrs(e, pos, "while evaluating an element of the list passed to builtins.findFile");
      const pv = attrs.get("prefix");
      const prefix = pv === undefined ? "" : ev.forceStringNoCtx(pv, pos, "while evaluating the `prefix` attribute");
      const pathV = attrs.get("path");
      if (pathV === undefined) throw new EvalError("attribute 'path' missing", pos);
      const base = ev.coerceToString(ev.force(pathV), null, false, false, pos);
      let rest: string;
      if (prefix === "") rest = "/" + name;
      else if (name === prefix) rest = "";
      else if (name.startsWith(prefix + "/")) rest = name.slice(prefix.length);
      else continue;
      const abs = base.startsWith("/") ? base : toBytes(process.cwd()) + "/" + base;
      const candidate = canonPath(abs + rest);
      if (existsSync(fsPath(candidate))) return new NixPath(candidate);
    }
    const core = corepkgs.get(name);
    if (core !== undefined) return new NixPath(core);
    throw new ThrownError(
      ev.options.pureEval
        ? `cannot look up '<${name}>' in pure evaluation mode (use '--impure' to override)`
        : `file '${name}' was not found in the Nix search path (add it using $NIX_PATH or -I)`,
      pos,
    );
  });
  def("__toPath", 1, ([a], pos) => {
    const ctx = new Set<string>();
    const s = ev.coerceToString(ev.force(a!), ctx, false, false, pos, "while evaluating the first argument passed to builtins.toPath");
    if (!s.startsWith("/")) throw new EvalError(`string '${s}' doesn't represent an absolute path`).addTrace("while evaluating the first argument passed to builtins.toPath");
    return mkString(canonPath(s), ctx);
  });
  def("__storePath", 1, ([a], pos) => {
    const ctx = new Set<string>();
    const s = ev.coerceToString(ev.force(a!), ctx, false, false, pos, "while evaluating the first argument passed to 'builtins.storePath'");
    const dir = ev.store.storeDir + "/";
    if (!s.startsWith(dir)) throw new EvalError(`path '${s}' is not in the Nix store`, pos);
    const rest = s.slice(dir.length);
    const sp = dir + rest.split("/")[0];
    if (!ev.store.isValidPath(sp)) throw new EvalError(`path '${sp}' is not valid`, pos);
    ctx.add(sp);
    return mkString(s, ctx);
  });
  def("placeholder", 1, ([a], pos) => hashPlaceholder(ev.forceStringNoCtx(a!, pos, "while evaluating the first argument passed to builtins.placeholder")));
  def("__toFile", 2, ([n, c], pos) => {
    const name = ev.forceStringNoCtx(n!, pos, "while evaluating the first argument passed to builtins.toFile");
    const ctx = new Set<string>();
    const contents = ev.forceStringCtx(c!, ctx, pos, "while evaluating the second argument passed to builtins.toFile");
    const refs: string[] = [];
    for (const x of ctx) {
      if (x.startsWith("=") || x.startsWith("!")) {
        throw new EvalError(`files created by builtins.toFile may not reference derivations, but ${name} references ${x.replace(/^=|^![^!]*!/, "")}`, pos);
      }
      refs.push(x);
    }
    const sp = ev.store.addTextToStore(fromBytes(name), fromBytes(contents), refs.sort());
    ev.recordReferences(sp, refs);
    return new NixString(sp, new Set([sp]));
  });
  const addPath = (src: string, name: string, filter: Value | undefined, recursive: boolean, sha256: string | undefined, pos: Pos): Value => {
    if (!existsSync(fsPath(src))) throw new EvalError(`path '${src}' does not exist`, pos);
    const filterFn =
      filter === undefined
        ? undefined
        : (p: string, type: string): boolean => {
            const r = ev.callFunction(filter, [toBytes(p), type], pos);
            if (typeof r !== "boolean") throw ev.typeError("a Boolean", r, pos, "while evaluating the return value of the path filter function");
            return r;
          };
    let sp: string;
    try {
      sp = ev.store.addPathToStore(fsPath(src).toString(), {
        name: fromBytes(name),
        method: recursive ? "recursive" : "flat",
        filter: filterFn,
        expectedHash: sha256,
      });
    } catch (err) {
      if (err instanceof EvalError) err.addTrace(`while adding path '${src}'`);
      throw err;
    }
    return new NixString(sp, new Set([sp]));
  };
  /** The source path of filterSource and builtins.path; `ctx`: Nix's context for the argument. */
  const srcPath = (l: Lazy, pos: Pos, ctx: string): string => canonPath(ev.coerceToPath(l, pos, ctx));
  def("__filterSource", 2, ([f, a], pos) => {
    const src = srcPath(a!, pos, "while evaluating the second argument (the path to filter) passed to 'builtins.filterSource'");
    const filter = ev.forceFunction(f!, pos, "while evaluating the first argument passed to builtins.filterSource");
    return addPath(src, src.slice(src.lastIndexOf("/") + 1), filter, true, undefined, pos);
  });
  def("__path", 1, ([a], pos) => {
    const args = ev.forceAttrs(a!, pos, "while evaluating the argument passed to builtins.path");
    let src: string | undefined;
    let name: string | undefined;
    let filter: Value | undefined;
    let recursive = true;
    let sha256: string | undefined;
    for (const k of args.keys()) {
      const v = args.get(k)!;
      if (k === "path") src = srcPath(v, args.posOf(k) ?? pos, "while evaluating the 'path' attribute passed to 'builtins.path'");
      else if (k === "name") name = ev.forceStringNoCtx(v, pos, "while evaluating the `name` attribute passed to builtins.path");
      else if (k === "filter") filter = ev.forceFunction(v, pos, "while evaluating the `filter` parameter passed to builtins.path");
      else if (k === "recursive") recursive = ev.forceBool(v, pos, "while evaluating the `recursive` attribute passed to builtins.path");
      else if (k === "sha256") sha256 = printHash(parseHashAny(ev.forceStringNoCtx(v, pos, "while evaluating the `sha256` attribute passed to builtins.path"), "sha256"), "nix32");
      else throw new EvalError(`unsupported argument '${k}' to 'builtins.path'`, pos);
    }
    if (src === undefined) throw new EvalError("missing required 'path' attribute in the first argument to builtins.path", pos);
    return addPath(src, name ?? src.slice(src.lastIndexOf("/") + 1), filter, recursive, sha256, pos);
  });
  def("__outputOf", 2, ([d, o], pos) => {
    const ctx = new Set<string>();
    const drv = ev.coerceToString(ev.force(d!), ctx, false, false, pos);
    const out = ev.forceStringNoCtx(o!, pos, "while evaluating the second argument passed to builtins.outputOf");
    const path = ev.outputPathOf(drv, out);
    if (path === undefined) throw new EvalError(`cannot compute the output '${out}' of '${drv}'`, pos);
    return new NixString(path, new Set([`!${out}!${drv}`]));
  });
  const notSupported = (name: string, arity: number): void =>
    def(name, arity, (_args, pos) => {
      throw new EvalError(`'builtins.${name.replace(/^__/, "")}' needs network or a Nix daemon, which nixoci's evaluator does not provide`, pos);
    });
  const FETCH_ARG_CTX = {
    url: "while evaluating the url we should fetch",
    sha256: "while evaluating the sha256 of the content we should fetch",
    name: "while evaluating the name of the content we should fetch",
  } as const;
  const fetchArgs = (a: Lazy, pos: Pos, fn: string): { url: string; name?: string; sha256?: string; attrs: boolean } => {
    const v = ev.force(a);
    if (v instanceof NixAttrs) {
      const out: { url?: string; name?: string; sha256?: string; attrs: boolean } = { attrs: true };
      for (const k of v.keys()) {
        if (k === "url" || k === "name" || k === "sha256") out[k] = ev.forceStringNoCtx(v.get(k)!, v.posOf(k) ?? pos, FETCH_ARG_CTX[k]);
        else throw new EvalError(`unsupported argument '${k}' to '${fn}'`, pos);
      }
      if (out.url === undefined) throw new EvalError(`'url' argument required`, pos);
      return out as { url: string; attrs: boolean };
    }
    return { url: ev.forceStringNoCtx(v, pos, FETCH_ARG_CTX.url), attrs: false };
  };
  /**
   * Nix 2.8's fetch() behind builtins.fetchurl and builtins.fetchTarball: with a sha256, a path
   * already in the store is the answer without downloading; else download (file://, http, https),
   * unpack a tarball (exactly one top-level entry), check the hash, add to the store.
   */
  const fetchToStore = (a: Lazy, pos: Pos, fn: "fetchurl" | "fetchTarball"): NixString => {
    const { url, name: given, sha256, attrs } = fetchArgs(a, pos, fn);
    checkURI(ev, fromBytes(url));
    const unpack = fn === "fetchTarball";
    const name = given ?? (unpack ? "source" : url.replace(/\/$/, "").slice(url.replace(/\/$/, "").lastIndexOf("/") + 1));
    // As current Nix, before anything is downloaded.
    const problem = storePathNameProblem(fromBytes(name));
    if (problem !== undefined) {
      const resolution =
        given !== undefined
          ? `Please change the value for the 'name' attribute passed to '${fn}', so that it can create a valid store path.`
          : attrs
            ? `Please add a valid 'name' attribute to the argument for '${fn}', so that it can create a valid store path.`
            : `Please pass an attribute set with 'url' and 'name' attributes to '${fn}',  so that it can create a valid store path.`;
      throw new EvalError(`invalid store path name when fetching URL '${url}': ${toBytes(problem)}. ${resolution}`, pos);
    }
    if (ev.options.pureEval && sha256 === undefined) throw new EvalError(`in pure evaluation mode, '${fn}' requires a 'sha256' argument`, pos);
    let expected: Hash | undefined;
    if (sha256 !== undefined) {
      const parsed = parseHashAllowEmpty(sha256, "sha256");
      if (parsed.emptyWarning) ev.options.traceSink?.(`warning: ${parsed.emptyWarning}`);
      expected = parsed.hash;
      const pinned = makeFixedOutputPath(unpack ? "recursive" : "flat", expected, name, {}, ev.store.storeDir);
      if (ev.store.isValidPath(pinned)) return new NixString(pinned, new Set([pinned]));
    }
    const tmp = mkdtempSync(join(tmpdir(), "nixoci-fetch-"));
    let keep = false;
    try {
      let file = join(tmp, "download");
      if (url.startsWith("file://")) {
        const p = url.slice("file://".length);
        if (!existsSync(fsPath(p))) throw new EvalError(`unable to download '${url}': file '${p}' does not exist`, pos);
        file = fsPath(p).toString();
      } else {
        try {
          deferred("download").downloadSync(url, file);
        } catch (e) {
          throw new EvalError((e as Error).message, pos);
        }
      }
      let source = file;
      if (unpack) {
        try {
          source = deferred("download").unpackSingleTree(file, join(tmp, "unpacked"), url);
        } catch (e) {
          throw new EvalError(e instanceof deferred("download").UnpackError ? `unable to unpack '${url}'` : (e as Error).message, pos);
        }
      }
      if (expected) {
        const got = unpack ? narHashPathSync(source).hash : hashData("sha256", readFileSync(source));
        if (printHash(got, "nix32") !== printHash(expected, "nix32")) {
          throw new EvalError(`hash mismatch in file downloaded from '${url}':\n  specified: ${printHash(expected, "nix32", true)}\n  got:       ${printHash(got, "nix32", true)}`, pos);
        }
      }
      const sp = ev.store.addPathToStore(source, { name, method: unpack ? "recursive" : "flat" });
      // A store that only computes paths (--eval, read-only) reads the contents where they are.
      if (ev.store.toRealPath(sp).startsWith(`${tmp}/`)) keep = true;
      return new NixString(sp, new Set([sp]));
    } finally {
      if (keep) process.once("exit", () => rmSync(tmp, { recursive: true, force: true }));
      else rmSync(tmp, { recursive: true, force: true });
    }
  };
  def("__fetchurl", 1, ([a], pos) => fetchToStore(a!, pos, "fetchurl"));
  def("fetchTarball", 1, ([a], pos) => fetchToStore(a!, pos, "fetchTarball"));
  notSupported("fetchGit", 1);
  notSupported("fetchMercurial", 1);
  notSupported("__fetchClosure", 1);
}
