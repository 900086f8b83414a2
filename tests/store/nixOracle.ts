/**
 * Nix 2.8 as the oracle for store tests: instantiate and build with a
 * separate Nix chroot store (`--store DIR`), read path infos as JSON, and
 * copy .drv closures into a nixoci store through its public add API.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { LocalStore } from "../../src/store/index.js";
import { parseStorePath } from "../../src/store/format/index.js";
import { NixCommandError, runNixBuild } from "../helpers/nixBuild.js";

export interface NixPathInfo {
  path: string;
  narHash: string;
  narSize: number;
  references: string[];
  ca?: string;
  deriver?: string;
  valid?: boolean;
}

function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 << 20 });
}

export function nixInstantiate(nixRoot: string, file: string, extraArgs: string[] = []): string[] {
  return run("nix-instantiate", ["--store", nixRoot, file, ...extraArgs])
    .split("\n")
    .filter((l) => l !== "");
}

/** Build with Nix; returns whether it succeeded, with stderr (Nix's spurious kills retried: runNixBuild). */
export function nixRealise(nixRoot: string, drvs: string[], extraArgs: string[] = []): { ok: boolean; stderr: string } {
  try {
    runNixBuild("nix-store", ["--store", nixRoot, "-r", ...drvs, "-j", "2", ...extraArgs]);
    return { ok: true, stderr: "" };
  } catch (err) {
    if (!(err instanceof NixCommandError)) throw err;
    return { ok: false, stderr: err.stderr };
  }
}

/** `nix path-info --json` (a .drv installable means the .drv itself only with --derivation, hence two calls). */
export function nixPathInfo(root: string, paths: string[], recursive = false): NixPathInfo[] {
  const query = (ps: string[], extra: string[]): NixPathInfo[] =>
    ps.length === 0 ? [] : (JSON.parse(run("nix", ["path-info", ...extra, "--store", root, "--json", ...(recursive ? ["-r"] : []), ...ps])) as NixPathInfo[]);
  return [...query(paths.filter((p) => p.endsWith(".drv")), ["--derivation"]), ...query(paths.filter((p) => !p.endsWith(".drv")), [])];
}

/** Requisites in Nix's topological order (dependencies first). */
export function nixRequisites(root: string, paths: string[]): string[] {
  return run("nix-store", ["--store", root, "-qR", ...paths])
    .split("\n")
    .filter((l) => l !== "");
}

/** Copy `paths` and their closures from a Nix store into ours (text and source paths only, as instantiation makes). */
export function importFromNix(store: LocalStore, nixRoot: string, paths: string[]): void {
  const order = nixRequisites(nixRoot, paths);
  const infos = new Map(nixPathInfo(nixRoot, order).map((i) => [i.path, i]));
  for (const p of order) {
    const info = infos.get(p)!;
    const name = parseStorePath(p).name;
    const real = `${nixRoot}/${p}`;
    let got: string;
    if (info.ca?.startsWith("text:")) got = store.addTextToStore(name, readFileSync(real, "utf8"), info.references);
    else if (info.ca?.startsWith("fixed:r:sha256:") && info.references.length === 0)
      got = store.addPathToStore(real, { name, method: "recursive" });
    else if (info.ca?.startsWith("fixed:") && !info.ca.startsWith("fixed:r:"))
      got = store.addPathToStore(real, { name, method: "flat" });
    else throw new Error(`cannot import '${p}' (ca ${info.ca})`);
    if (got !== p) throw new Error(`imported '${p}' as '${got}'`);
  }
}
