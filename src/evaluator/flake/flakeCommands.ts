/**
 * `nixoci flake lock | update | metadata | show`, printing what Nix 2.8's
 * `nix flake …` prints: stdout carries Nix's ANSI bold/green/magenta escapes
 * even when it is not a terminal (2.8 writes them unconditionally through
 * logger->cout), stderr lines ("evaluating '…'...", warnings) carry none (2.8
 * filters escapes out of stderr when it is not a terminal).
 *
 * Synchronous (evaluation is); the CLI runs it on a big-stack worker.
 */
import { NixociError } from "../../errors.js";
import type { Pos } from "../ast.js";
import { EvalError } from "../evalError.js";
import { restrictPaths } from "../builtins/flakeBuiltins.js";
import { Evaluator, FLAKE_FEATURES } from "../evaluator.js";
import { formatEvalError } from "../cli/formatError.js";
import { filterAnsiEscapes } from "../cli/logText.js";
import { ParseError } from "../parseErrors.js";
import type { EvalStore } from "../storeApi.js";
import { NixAttrs, type Value, fromBytes, toBytes } from "../values.js";
import { defaultEvalCachePath } from "./evalCache.js";
import { defaultFetchCachePath, FetchCache } from "./fetchCache.js";
import { callFlake, type FlakeHost, type LockedFlake, lockFlake, parseRefOrThrow } from "./flake.js";
import { parseCliFlakeRef } from "./installable.js";
import { type FlakeRefAttrs, type LockFile, type LockedInputRef } from "./lockFile.js";
import { flakeRefToString28, withDirInGitUrl } from "./refString.js";

export interface FlakeCommandRequest {
  command: "lock" | "update" | "metadata" | "show";
  /** Default ".". */
  flakeRef?: string;
  cwd: string;
  system: string;
  json?: boolean;
  /** `flake show --legacy`. */
  legacy?: boolean;
  updateInputs?: string[];
  overrideInputs?: Record<string, string>;
  noWriteLock?: boolean;
  impure?: boolean;
  showTrace?: boolean;
  fetchCachePath?: string;
  noFetchCache?: boolean;
}

/** Output in order: [1, text] for stdout, [2, text] for stderr; each text is one line without "\n". */
export interface FlakeCommandResult {
  output: Array<[1 | 2, string]>;
  /** Formatted, Nix-style; the command failed. */
  error?: string;
}

const BOLD = "\x1b[1m";
const NORMAL = "\x1b[0m";
const GREEN = "\x1b[32;1m";
const WARNING = "\x1b[35;1m";
const treeConn = "├───";
const treeLast = "└───";
const treeLine = "│   ";
const treeNull = "    ";
const noPos: Pos = { file: "«flake show»", line: 0, column: 0 };

class ShowError extends NixociError {}

export function runFlakeCommand(req: FlakeCommandRequest, store: EvalStore & { narHashOf(p: string): string }): FlakeCommandResult {
  const output: FlakeCommandResult["output"] = [];
  const out = (line: string) => output.push([1, line]);
  const seenWarnings = new Set<string>();
  const err = (line: string) => {
    if (line.startsWith("warning: ") && seenWarnings.has(line)) return;
    seenWarnings.add(line);
    for (const l of line.split("\n")) output.push([2, l]);
  };
  // The evaluator's lines and messages are byte strings; the output is text.
  const ev = new Evaluator({ store, system: req.system, pureEval: !req.impure, experimentalFeatures: FLAKE_FEATURES, env: process.env, traceSink: (l) => err(fromBytes(l)) });
  ev.showTrace = req.showTrace ?? false;
  if (!req.impure) restrictPaths(ev);
  const fetchCache = req.noFetchCache ? undefined : new FetchCache(req.fetchCachePath ?? defaultFetchCachePath(defaultEvalCachePath()));
  const host: FlakeHost = { ev, narHashOf: (p) => store.narHashOf(p), fetchCache, warn: err };
  const parseRef = (s: string) => parseRefOrThrow(s, req.cwd);
  try {
    const ref = parseCliFlakeRef(req.flakeRef ?? ".", req.cwd, parseRef);
    const overrideInputs = Object.fromEntries(Object.entries(req.overrideInputs ?? {}).map(([k, v]) => [k, parseCliFlakeRef(v, req.cwd, parseRef, false)]));
    const locked = lockFlake(host, ref, {
      cwd: req.cwd,
      updateInputs: req.updateInputs,
      overrideInputs,
      recreateLockFile: req.command === "update",
      noWriteLock: req.noWriteLock,
      warn: err,
    });
    if (req.command === "metadata") printMetadata(locked, req.json ?? false, out);
    else if (req.command === "show") show(ev, host, locked, req, out, err);
    return { output };
  } catch (e) {
    // Without colour escapes (some messages have them, as Nix's): this text is printed as is.
    if (e instanceof EvalError) return { output, error: fromBytes(filterAnsiEscapes(formatEvalError(e, ev.sources, req.showTrace ?? false), false)) };
    if (e instanceof ParseError) return { output, error: fromBytes(e.message) };
    if (e instanceof NixociError) return { output, error: e.message.startsWith("error:") ? e.message : `error: ${e.message}` };
    throw e;
  } finally {
    fetchCache?.close();
  }
}

/** Local time as strftime's "%F %T" (TZ decides, as for Nix). */
function localTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function withDir(ref: FlakeRefAttrs, dir: unknown): FlakeRefAttrs {
  return typeof dir === "string" && dir !== "" ? { ...ref, dir } : ref;
}

/** A reference's attributes as 2.8 reports them in JSON (its git URLs keep `?dir=`), keys sorted. */
function refJson(ref: FlakeRefAttrs): FlakeRefAttrs {
  const r = withDirInGitUrl(ref);
  return Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]!]));
}

function printMetadata(locked: LockedFlake, json: boolean, out: (line: string) => void): void {
  const dir = locked.ref.dir;
  const lockedRef = withDir(locked.lockedRef, dir);
  const rev = typeof lockedRef.rev === "string" ? lockedRef.rev : undefined;
  const revCount = typeof lockedRef.revCount === "number" ? lockedRef.revCount : undefined;
  const lastModified = typeof lockedRef.lastModified === "number" ? lockedRef.lastModified : undefined;
  const storePath = String(locked.sourceInfo.outPath);
  if (json) {
    const j: Record<string, unknown> = {};
    if (locked.description !== undefined) j.description = locked.description;
    if (lastModified !== undefined) j.lastModified = lastModified;
    j.locked = refJson(lockedRef);
    j.locks = JSON.parse(JSON.stringify(locked.graph.lock));
    j.original = refJson(locked.originalRef);
    j.originalUrl = flakeRefToString28(locked.originalRef);
    j.path = storePath;
    j.resolved = refJson(locked.ref);
    j.resolvedUrl = flakeRefToString28(locked.ref);
    if (revCount !== undefined) j.revCount = revCount;
    if (rev !== undefined) j.revision = rev;
    j.url = flakeRefToString28(lockedRef);
    out(JSON.stringify(sortDeep(j)));
    return;
  }
  out(`${BOLD}Resolved URL:${NORMAL}  ${flakeRefToString28(locked.ref)}`);
  out(`${BOLD}Locked URL:${NORMAL}    ${flakeRefToString28(lockedRef)}`);
  if (locked.description !== undefined) out(`${BOLD}Description:${NORMAL}   ${locked.description}`);
  out(`${BOLD}Path:${NORMAL}          ${storePath}`);
  if (rev !== undefined) out(`${BOLD}Revision:${NORMAL}      ${rev}`);
  if (revCount !== undefined) out(`${BOLD}Revisions:${NORMAL}     ${revCount}`);
  if (lastModified !== undefined) out(`${BOLD}Last modified:${NORMAL} ${localTime(lastModified)}`);
  out(`${BOLD}Inputs:${NORMAL}`);
  printInputTree(locked.graph.lock, flakeRefToString28(lockedRef), out);
}

/** The Inputs tree: each node's inputs once (a node reached again is not expanded), follows as arrows. */
function printInputTree(lock: LockFile, rootUrl: string, out: (line: string) => void): void {
  const visited = new Set<string>([lock.root]);
  const recurse = (key: string, prefix: string): void => {
    const inputs = Object.entries(lock.nodes[key]?.inputs ?? {}) as [string, LockedInputRef][];
    inputs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    inputs.forEach(([name, ref], i) => {
      const last = i + 1 === inputs.length;
      const head = prefix + (last ? treeLast : treeConn);
      if (Array.isArray(ref)) {
        out(`${head}${BOLD}${name}${NORMAL} follows input '${ref.join("/")}'`);
        return;
      }
      const node = lock.nodes[ref];
      out(`${head}${BOLD}${name}${NORMAL}: ${node?.locked ? flakeRefToString28(node.locked) : rootUrl}`);
      if (!visited.has(ref)) {
        visited.add(ref);
        recurse(ref, prefix + (last ? treeNull : treeLine));
      }
    });
  };
  recurse(lock.root, "");
}

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (typeof v !== "object" || v === null) return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortDeep(o[k])]));
}

/** `nix flake show`: Nix 2.8's visit() over the flake's outputs. */
function show(ev: Evaluator, host: FlakeHost, locked: LockedFlake, req: FlakeCommandRequest, out: (l: string) => void, err: (l: string) => void): void {
  const flake = callFlake(host, locked);
  const outputs = ev.force(flake.get(toBytes("outputs"))!);
  const json = req.json ?? false;
  const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

  const getAttrs = (v: Value): string[] => {
    const a = ev.forceAttrs(v, noPos, "while evaluating a flake output");
    return a.keys().map(fromBytes);
  };
  const getAttr = (v: Value, name: string): Value | undefined => {
    const a = ev.force(v);
    if (!(a instanceof NixAttrs)) throw new EvalError(`'${name}' is not an attribute set`, noPos);
    const x = a.get(toBytes(name));
    return x === undefined ? undefined : ev.force(x);
  };
  const getString = (v: Value | undefined, what: string): string => {
    if (v === undefined) throw new EvalError(`attribute '${what}' missing`, noPos);
    return fromBytes(ev.forceString(v, noPos, `while evaluating '${what}'`));
  };
  const isDerivation = (v: Value): boolean => {
    const a = ev.force(v);
    return a instanceof NixAttrs && ev.isDerivation(a);
  };

  const visit = (v: Value, attrPath: string[], headerPrefix: string, nextPrefix: string): Record<string, unknown> => {
    const j: Record<string, unknown> = {};
    err(`evaluating '${attrPath.join(".")}'...`);
    const n = attrPath.length;
    const a0 = attrPath[0];
    try {
      const recurse = (): void => {
        if (!json) out(headerPrefix);
        const attrs = getAttrs(v);
        attrs.forEach((attr, i) => {
          const last = i + 1 === attrs.length;
          const child = getAttr(v, attr)!;
          const j2 = visit(
            child,
            [...attrPath, attr],
            `${GREEN}${nextPrefix}${last ? treeLast : treeConn}${NORMAL}${BOLD}${attr}${NORMAL}`,
            nextPrefix + (last ? treeNull : treeLine),
          );
          if (json) j[attr] = j2;
        });
      };
      const showDerivation = (): void => {
        const name = getString(getAttr(v, "name"), "name");
        if (json) {
          const meta = getAttr(v, "meta");
          const descr = meta !== undefined && meta instanceof NixAttrs ? getAttr(meta, "description") : undefined;
          j.type = "derivation";
          j.name = name;
          if (descr !== undefined) j.description = getString(descr, "description");
        } else {
          const kind =
            (n === 2 && a0 === "devShell") || (n >= 2 && a0 === "devShells")
              ? "development environment"
              : (n === 3 && a0 === "checks") || (n >= 1 && a0 === "hydraJobs")
                ? "derivation"
                : "package";
          out(`${headerPrefix}: ${kind} '${name}'`);
        }
      };

      if (
        n === 0 ||
        (n === 1 && ["defaultPackage", "devShell", "formatter", "nixosConfigurations", "nixosModules", "defaultApp", "templates", "overlays"].includes(a0!)) ||
        ((n === 1 || n === 2) && ["checks", "packages", "devShells", "apps"].includes(a0!))
      ) {
        recurse();
      } else if ((n === 2 && ["defaultPackage", "devShell", "formatter"].includes(a0!)) || (n === 3 && ["checks", "packages", "devShells"].includes(a0!))) {
        if (isDerivation(v)) showDerivation();
        else throw new ShowError("expected a derivation");
      } else if (n > 0 && a0 === "hydraJobs") {
        if (isDerivation(v)) showDerivation();
        else recurse();
      } else if (n > 0 && a0 === "legacyPackages") {
        if (n === 1) recurse();
        else if (!req.legacy) err(`warning: ${stripAnsi(headerPrefix)}: omitted (use '--legacy' to show)`);
        else if (isDerivation(v)) showDerivation();
        else if (n <= 2) recurse();
      } else if ((n === 2 && a0 === "defaultApp") || (n === 3 && a0 === "apps")) {
        const type = getAttr(v, "type");
        if (type === undefined || getString(type, "type") !== "app") throw new EvalError("not an app definition", noPos);
        if (json) j.type = "app";
        else out(`${headerPrefix}: app`);
      } else if ((n === 1 && a0 === "defaultTemplate") || (n === 2 && a0 === "templates")) {
        const description = getString(getAttr(v, "description"), "description");
        if (json) {
          j.type = "template";
          j.description = description;
        } else out(`${headerPrefix}: template: ${BOLD}${description}${NORMAL}`);
      } else {
        const [type, description] =
          (n === 1 && a0 === "overlay") || (n === 2 && a0 === "overlays")
            ? ["nixpkgs-overlay", "Nixpkgs overlay"]
            : n === 2 && a0 === "nixosConfigurations"
              ? ["nixos-configuration", "NixOS configuration"]
              : (n === 1 && a0 === "nixosModule") || (n === 2 && a0 === "nixosModules")
                ? ["nixos-module", "NixOS module"]
                : ["unknown", "unknown"];
        if (json) j.type = type;
        else out(`${headerPrefix}: ${WARNING}${description}${NORMAL}`);
      }
    } catch (e) {
      // Nix skips what fails to evaluate under legacyPackages, nothing else.
      if (!(e instanceof EvalError) || a0 !== "legacyPackages") throw e;
    }
    return j;
  };

  const j = visit(outputs, [], `${BOLD}${flakeRefToString28(withDir(locked.lockedRef, locked.ref.dir))}${NORMAL}`, "");
  if (json) out(JSON.stringify(sortDeep(j)));
}
