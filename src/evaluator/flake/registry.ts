/**
 * The flake registry: indirect references (`nixpkgs`, `flake:nixpkgs/branch`)
 * resolved to direct ones, in Nix's order: the user registry (Nix's own file,
 * `$XDG_CONFIG_HOME/nix/registry.json`, shared with Nix), the system registry
 * (`/etc/nix/registry.json`), then a built-in global registry (Nix downloads
 * its global one; nixoci works offline, so it carries the entry that matters).
 * File format: version 2, `{ flakes: [{ from, to, exact? }] }`, written as
 * nlohmann's dump(2) writes it (sorted keys, two spaces, no final newline).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { NixociError } from "../../errors.js";
import { flakeRefToString28 } from "./refString.js";
import type { FlakeRefAttrs } from "./lockFile.js";

export class RegistryError extends NixociError {}

export type RegistryType = "user" | "system" | "global";

export interface RegistryEntry {
  from: FlakeRefAttrs;
  to: FlakeRefAttrs;
  exact?: boolean;
}

export interface Registry {
  type: RegistryType;
  file?: string;
  entries: RegistryEntry[];
}

/** nixoci's stand-in for Nix's downloaded global registry. */
export const builtinGlobalRegistry: Registry = {
  type: "global",
  entries: [{ from: { id: "nixpkgs", type: "indirect" }, to: { owner: "NixOS", repo: "nixpkgs", type: "github" } }],
};

export function userRegistryPath(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(config, "nix", "registry.json");
}

export const systemRegistryPath = "/etc/nix/registry.json";

export function readRegistry(file: string, type: RegistryType): Registry {
  if (!existsSync(file)) return { type, file, entries: [] };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new RegistryError(`cannot parse flake registry '${file}': ${(e as Error).message}`, { cause: e });
  }
  const j = json as { version?: unknown; flakes?: unknown };
  if (j.version !== 2) throw new RegistryError(`flake registry '${file}' has unsupported version ${JSON.stringify(j.version)}`);
  if (!Array.isArray(j.flakes)) throw new RegistryError(`flake registry '${file}' has no 'flakes' list`);
  const entries = j.flakes.map((f: { from?: FlakeRefAttrs; to?: FlakeRefAttrs; exact?: boolean }, i: number) => {
    if (!f.from || !f.to) throw new RegistryError(`entry ${i} of flake registry '${file}' lacks 'from' or 'to'`);
    return { from: f.from, to: f.to, ...(f.exact ? { exact: true } : {}) };
  });
  return { type, file, entries };
}

export function writeRegistry(reg: Registry): void {
  if (!reg.file) throw new RegistryError(`the ${reg.type} registry cannot be written`);
  const json = { flakes: reg.entries.map((e) => ({ ...(e.exact ? { exact: true } : {}), from: sortKeys(e.from), to: sortKeys(e.to) })), version: 2 };
  mkdirSync(dirname(reg.file), { recursive: true });
  const tmp = `${reg.file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(json, null, 2));
  renameSync(tmp, reg.file);
}

/** The registries in lookup order. */
export function registries(env: NodeJS.ProcessEnv = process.env): Registry[] {
  return [readRegistry(userRegistryPath(env), "user"), readRegistry(systemRegistryPath, "system"), builtinGlobalRegistry];
}

/**
 * Resolve an indirect reference, as Nix's lookupInRegistries: the first entry
 * whose `from` equals the reference (ignoring its ref/rev unless `exact`)
 * wins, the reference's ref/rev carry over, and the result is resolved again.
 */
export function resolveIndirect(ref: FlakeRefAttrs, regs: readonly Registry[]): FlakeRefAttrs {
  let cur = ref;
  const { dir } = ref;
  for (let n = 0; cur.type === "indirect"; n++) {
    if (n >= 100) throw new RegistryError(`cycle detected in flake registry for '${flakeRefToString28(ref)}'`);
    const next = lookup(cur, regs);
    if (!next) throw new RegistryError(`cannot find flake '${flakeRefToString28(withoutDir(cur))}' in the flake registries`);
    cur = next;
  }
  return typeof dir === "string" && cur.dir === undefined ? { ...cur, dir } : cur;
}

function lookup(ref: FlakeRefAttrs, regs: readonly Registry[]): FlakeRefAttrs | undefined {
  const input = withoutDir(ref);
  const { ref: _r, rev: _v, ...bare } = input;
  for (const reg of regs) {
    for (const e of reg.entries) {
      if (e.exact) {
        if (sameAttrs(e.from, input)) return { ...e.to };
      } else if (sameAttrs(e.from, input) || sameAttrs(e.from, bare)) {
        const to: FlakeRefAttrs = { ...e.to };
        if (e.from.ref === undefined && typeof input.ref === "string") {
          to.ref = input.ref;
          delete to.rev;
        }
        if (e.from.rev === undefined && typeof input.rev === "string") to.rev = input.rev;
        return to;
      }
    }
  }
  return undefined;
}

function withoutDir(ref: FlakeRefAttrs): FlakeRefAttrs {
  const { dir: _, ...rest } = ref;
  return rest;
}

function sameAttrs(a: FlakeRefAttrs, b: FlakeRefAttrs): boolean {
  const ka = Object.keys(a).filter((k) => k !== "dir");
  const kb = Object.keys(b).filter((k) => k !== "dir");
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
}

function sortKeys(o: FlakeRefAttrs): FlakeRefAttrs {
  const out: FlakeRefAttrs = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}
