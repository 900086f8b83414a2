/**
 * String builtins: slicing, replacing, regexes, hashing, versions.
 * Strings are byte strings (values.ts); context flows as in Nix.
 */
import type { Pos } from "../ast.js";
import { EvalError, EvalUsageError } from "../evalError.js";
import type { DefineBuiltin, Evaluator } from "../evaluator.js";
import { deferred } from "../../deferred.js";
import { InvalidRegexError } from "../lib/libErrors.js";
import { compareVersions, parseDrvName, splitVersion } from "../lib/versions.js";
import { type Lazy, NixAttrs, NixPath, NixString, type Value, bytesBuffer, fromBytes, mkString, toBytes } from "../values.js";
import { type HashAlgo, hashData, parseHashAlgoOrUndefined, printHash } from "../../store/format/hash.js";

export function parseAlgo(name: string, pos: Pos): HashAlgo {
  const a = parseHashAlgoOrUndefined(name);
  // Nix's list names blake3 (behind an experimental feature, which nixoci does not have).
  if (a === undefined) throw new EvalUsageError(`unknown hash algorithm '${name}', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'`, pos);
  return a;
}

export function registerStringBuiltins(ev: Evaluator, def: DefineBuiltin): void {
  def("toString", 1, ([a], pos) => {
    const v = ev.force(a!);
    // The common cases, as coerceToString does them, without a context set.
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "bigint") return String(v);
    const ctx = new Set<string>();
    const s = ev.coerceToString(v, ctx, false, true, pos, "while evaluating the first argument passed to builtins.toString");
    return mkString(s, ctx);
  });
  def("__substring", 3, ([st, ln, s], pos) => {
    const start = ev.forceInt(st!, pos, "while evaluating the first argument (the start offset) passed to builtins.substring");
    if (start < 0) throw new EvalError("negative start position in 'substring'", pos);
    const len = ev.forceInt(ln!, pos, "while evaluating the second argument (the substring length) passed to builtins.substring");
    const ctx = new Set<string>();
    const str = ev.coerceToString(ev.force(s!), ctx, true, false, pos, "while evaluating the third argument (the string) passed to builtins.substring");
    const from = Number(start > str.length ? str.length : start);
    const out = len < 0 ? str.slice(from) : str.substr(from, Number(len > str.length ? str.length : len));
    return mkString(out, ctx);
  });
  def("__stringLength", 1, ([s], pos) => {
    const str = ev.coerceToString(ev.force(s!), null, true, false, pos, "while evaluating the argument passed to builtins.stringLength");
    return str.length;
  });
  def("__concatStringsSep", 2, ([sep, l], pos) => {
    const ctx = new Set<string>();
    const sp = ev.forceStringCtx(sep!, ctx, pos, "while evaluating the first argument (the separator string) passed to builtins.concatStringsSep");
    const xs = ev.forceList(l!, pos, "while evaluating the second argument (the list of strings to concat) passed to builtins.concatStringsSep");
    let out = "";
    for (let i = 0; i < xs.length; i++) {
      if (i > 0) out += sp;
      out += ev.coerceToString(ev.force(xs[i]!), ctx, true, false, pos, "while evaluating one element of the list of strings to concat passed to builtins.concatStringsSep");
    }
    return mkString(out, ctx);
  });
  def("__replaceStrings", 3, ([f, t, s], pos) => {
    const from = ev.forceList(f!, pos, "while evaluating the first argument passed to builtins.replaceStrings");
    const to = ev.forceList(t!, pos, "while evaluating the second argument passed to builtins.replaceStrings");
    if (from.length !== to.length) throw new EvalError("'from' and 'to' arguments passed to builtins.replaceStrings have different lengths", pos);
    const ctx = new Set<string>();
    const fromS = from.map((x) => ev.forceString(x, pos, "while evaluating one of the strings to replace passed to builtins.replaceStrings"));
    const toS: (string | undefined)[] = new Array(to.length);
    const toOf = (i: number): string => {
      let r = toS[i];
      if (r === undefined) r = toS[i] = ev.forceStringCtx(to[i]!, ctx, pos, "while evaluating one of the replacement strings passed to builtins.replaceStrings");
      return r;
    };
    const str = ev.forceStringCtx(s!, ctx, pos, "while evaluating the third argument passed to builtins.replaceStrings");
    let out = "";
    let p = 0;
    while (p <= str.length) {
      let found = false;
      for (let i = 0; i < fromS.length; i++) {
        const pat = fromS[i]!;
        if (str.startsWith(pat, p)) {
          found = true;
          out += toOf(i);
          if (pat.length === 0) {
            if (p < str.length) out += str[p];
            p++;
          } else p += pat.length;
          break;
        }
      }
      if (!found) {
        if (p < str.length) out += str[p];
        p++;
      }
    }
    return mkString(out, ctx);
  });
  const regex = (re: string, pos: Pos) => {
    try {
      return deferred("regex").compileRegex(fromBytes(re));
    } catch (err) {
      if (err instanceof InvalidRegexError) {
        throw new EvalError(err.message.includes("space") ? `memory limit exceeded by regular expression '${re}'` : `invalid regular expression '${re}'`, pos);
      }
      throw err;
    }
  };
  const groupList = (gs: (string | null)[]): Lazy[] => gs.map((g) => (g === null ? null : toBytes(g)));
  def("__match", 2, ([r, s], pos) => {
    const re = regex(ev.forceStringNoCtx(r!, pos, "while evaluating the first argument passed to builtins.match"), pos);
    const str = ev.forceString(s!, pos, "while evaluating the second argument passed to builtins.match");
    const m = re.matchWhole(fromBytes(str));
    return m === null ? null : groupList(m);
  });
  def("__split", 2, ([r, s], pos) => {
    const re = regex(ev.forceStringNoCtx(r!, pos, "while evaluating the first argument passed to builtins.split"), pos);
    const str = ev.forceString(s!, pos, "while evaluating the second argument passed to builtins.split");
    return re.split(fromBytes(str)).map((x) => (typeof x === "string" ? toBytes(x) : groupList(x)));
  });
  def("baseNameOf", 1, ([a], pos) => {
    const ctx = new Set<string>();
    const v = ev.force(a!);
    const s = ev.coerceToString(v, ctx, false, false, pos, "while evaluating the first argument passed to builtins.baseNameOf");
    let end = s.length;
    if (end > 0 && s[end - 1] === "/") end--;
    const slash = s.lastIndexOf("/", end - 1);
    return mkString(s.slice(slash + 1, end), ctx);
  });
  def("dirOf", 1, ([a], pos) => {
    const v = ev.force(a!);
    if (v instanceof NixPath) {
      const p = v.path;
      const i = p.lastIndexOf("/");
      return new NixPath(i <= 0 ? "/" : p.slice(0, i));
    }
    const ctx = new Set<string>();
    const s = ev.coerceToString(v, ctx, false, false, pos, "while evaluating the first argument passed to 'builtins.dirOf'");
    const i = s.lastIndexOf("/");
    return mkString(i === -1 ? "." : i === 0 ? "/" : s.slice(0, i), ctx);
  });
  def("__hashString", 2, ([al, s], pos) => {
    const algo = parseAlgo(ev.forceStringNoCtx(al!, pos, "while evaluating the first argument passed to builtins.hashString"), pos);
    const str = ev.forceString(s!, pos, "while evaluating the second argument passed to builtins.hashString");
    return printHash(hashData(algo, bytesBuffer(str)), "base16");
  });
  def("__parseDrvName", 1, ([s], pos) => {
    const name = ev.forceStringNoCtx(s!, pos, "while evaluating the first argument passed to builtins.parseDrvName");
    const r = parseDrvName(name);
    ev.symbols.intern("version");
    return new NixAttrs(new Map<string, Lazy>([["name", r.name], ["version", r.version]]));
  });
  def("__compareVersions", 2, ([a, b], pos) => {
    const x = ev.forceStringNoCtx(a!, pos, "while evaluating the first argument passed to builtins.compareVersions");
    const y = ev.forceStringNoCtx(b!, pos, "while evaluating the second argument passed to builtins.compareVersions");
    return compareVersions(x, y);
  });
  def("__splitVersion", 1, ([a], pos) => {
    const x = ev.forceStringNoCtx(a!, pos, "while evaluating the first argument passed to builtins.splitVersion");
    return splitVersion(x);
  });
  void NixString;
  void ({} as Value);
}
