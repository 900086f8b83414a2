/**
 * Installables: `FLAKEREF#ATTRPATH` as given on the command line.
 *
 * A local path is turned into the reference Nix would use: inside a git
 * working tree it is `git+file://<top>?dir=<subdir>` (so only tracked files are
 * visible), elsewhere `path:<abs>`. Other references go through the flake-ref parser.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { NixociError } from "../../errors.js";
import type { FlakeRefAttrs } from "./lockFile.js";

export class InstallableError extends NixociError {}

export interface Installable {
  ref: FlakeRefAttrs;
  /** The attribute path after `#`, split on dots (quoted segments kept whole); empty when absent. */
  attrPath: string[];
  /** Whether `#…` was given at all. */
  hasFragment: boolean;
}

/**
 * Split and resolve `REF#ATTR`. `parseRef` handles non-path references
 * (github:, git+https:, tarball URLs, indirect names).
 */
export function parseInstallable(text: string, cwd: string, parseRef: (s: string) => FlakeRefAttrs): Installable {
  const hash = text.indexOf("#");
  const refText = hash >= 0 ? text.slice(0, hash) : text;
  const fragment = hash >= 0 ? decodeURIComponent(text.slice(hash + 1)) : "";
  const ref = isLocalPath(refText) ? localFlakeRef(refText === "" ? "." : refText, cwd) : parseRef(refText);
  return { ref, attrPath: splitAttrPath(fragment), hasFragment: hash >= 0 };
}

/**
 * A flake reference given on the command line (`--override-input x REF`, `flake lock REF`):
 * local paths as Nix treats them (inside a git tree: git+file), anything else through `parseRef`.
 */
export function parseCliFlakeRef(text: string, cwd: string, parseRef: (s: string) => FlakeRefAttrs, requireFlake = true): FlakeRefAttrs {
  return isLocalPath(text) ? localFlakeRef(text === "" ? "." : text, cwd, requireFlake) : parseRef(text);
}

function isLocalPath(s: string): boolean {
  return s === "" || s === "." || s === ".." || s.startsWith("./") || s.startsWith("../") || s.startsWith("/") || s.startsWith("~/");
}

/** A path on this machine: find its flake.nix, then its git top-level if any. */
export function localFlakeRef(pathText: string, cwd: string, requireFlake = true): FlakeRefAttrs {
  const home = process.env.HOME ?? "/";
  const [pathPart, query] = pathText.split("?", 2) as [string, string | undefined];
  const abs = resolve(cwd, pathPart.startsWith("~/") ? join(home, pathPart.slice(2)) : pathPart);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new InstallableError(`path '${abs}' does not exist or is not a directory`);
  if (requireFlake && !existsSync(join(abs, "flake.nix"))) throw new InstallableError(`path '${abs}' does not contain a 'flake.nix'`);
  const params = new URLSearchParams(query ?? "");
  for (let dir = abs; ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".git"))) {
      const ref: FlakeRefAttrs = { type: "git", url: `file://${dir}` };
      const sub = relative(dir, abs);
      if (sub) ref.dir = sub;
      for (const [k, v] of params) ref[k] = v;
      return ref;
    }
    if (dirname(dir) === dir) break;
  }
  const ref: FlakeRefAttrs = { path: abs, type: "path" };
  for (const [k, v] of params) ref[k] = v;
  return ref;
}

/** `packages.x86_64-linux."my.pkg"` → ["packages", "x86_64-linux", "my.pkg"]. */
export function splitAttrPath(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    else if (ch === "." && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (quoted) throw new InstallableError(`missing closing quote in attribute path '${s}'`);
  if (cur !== "" || out.length) out.push(cur);
  return out;
}

/**
 * Where `nix build` looks, in Nix's order: with a fragment, under
 * `packages.<system>` and `legacyPackages.<system>`, then the path as given;
 * without one, `packages.<system>.default`, then the older `defaultPackage.<system>`.
 * A fragment starting with "." is absolute (`#.x`: only `x`), as in current Nix.
 */
export function buildAttrCandidates(installable: Pick<Installable, "attrPath" | "hasFragment">, system: string): string[][] {
  const path = installable.attrPath;
  if (installable.hasFragment && path.length > 1 && path[0] === "") {
    const rest = path.slice(1);
    return [rest.length === 1 && rest[0] === "" ? [] : rest];
  }
  if (!installable.hasFragment || !path.length) return [["packages", system, "default"], ["defaultPackage", system]];
  return [["packages", system, ...path], ["legacyPackages", system, ...path], [...path]];
}

/** Nix's list of attribute paths in messages: 'a', 'b' or 'c'. */
export function showAttrPaths(paths: readonly (readonly string[])[]): string {
  return paths.map((p, i) => `${i === 0 ? "" : i + 1 === paths.length ? " or " : ", "}'${p.join(".")}'`).join("");
}
