/**
 * The environment, arguments and build-directory files a builder gets,
 * exactly as Nix 2.8's LocalDerivationGoal::initEnv / initTmpDir /
 * writeStructuredAttrs compute them.
 */
import { hashData, hashPlaceholder, nix32Encode, compareBytes, type Derivation } from "../format/index.js";
import { BuildError } from "../errors.js";
import { SANDBOX_BUILD_DIR } from "./sandbox.js";
import { dumpJson, structuredAttrsShell, type Json } from "./structuredAttrs.js";

export interface BuilderSetup {
  /** Environment variables (sorted, as Nix's std::map). */
  readonly env: Record<string, string>;
  /** Arguments after argv[0], with output placeholders rewritten. */
  readonly args: string[];
  /** Files to create in the build directory: file name → contents. */
  readonly files: Map<string, string>;
  /** Parsed `__json`, when the derivation uses structured attributes. */
  readonly structuredAttrs?: { [k: string]: Json };
}

export interface BuilderSetupOptions {
  readonly drvPath: string;
  /** Output name → the path the builder must create. */
  readonly outputPaths: ReadonlyMap<string, string>;
  readonly storeDir: string;
  readonly buildCores: number;
  readonly fixedOutput: boolean;
  /** The build dir as the builder sees it: /build in the sandbox, the physical dir otherwise. */
  readonly buildDirInSandbox?: string;
  /**
   * The host-side build directory name Nix would use (`$TMPDIR/nix-build-<drv>-N`):
   * Nix 2.8 points NIX_ATTRS_*_FILE there, outside the sandbox view, so we do too.
   */
  readonly hostTmpDir: string;
  /** Variables named by `impureEnvVars` come from here (fixed-output only). */
  readonly callerEnv?: NodeJS.ProcessEnv;
  /** For `exportReferencesGraph`: the path infos of Nix's exportReferences(paths), sorted by path. */
  readonly exportReferences?: (paths: string[]) => ExportedPathInfo[];
}

/** What exportReferencesGraph exposes per path. */
export interface ExportedPathInfo {
  path: string;
  /** "sha256:<nix32>". */
  narHash: string;
  narSize: number;
  references: string[];
  ca?: string;
  closureSize: number;
}

const EXPORT_FILE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Nix's makeValidityRegistration(paths, showDerivers=false, showHash=false). */
function validityRegistration(infos: ExportedPathInfo[]): string {
  return infos.map((i) => `${i.path}\n\n${i.references.length}\n${i.references.map((r) => r + "\n").join("")}`).join("");
}

/** Nix's rewriteStrings: apply each rewrite (in key order) to the whole string. */
export function rewriteStrings(s: string, rewrites: ReadonlyMap<string, string>): string {
  for (const [from, to] of rewrites) if (from !== "" && s.includes(from)) s = s.split(from).join(to);
  return s;
}

export function parseStructuredAttrs(drv: Derivation, drvPath: string): { [k: string]: Json } | undefined {
  const raw = drv.env.get("__json");
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw) as Json;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
    return parsed;
  } catch (err) {
    throw new BuildError(`cannot process __json attribute of '${drvPath}': ${(err as Error).message}`, drvPath);
  }
}

/** Nix's ParsedDerivation::getStringsAttr. */
export function getStringsAttr(drv: Derivation, attrs: { [k: string]: Json } | undefined, name: string, drvPath: string): string[] | undefined {
  if (attrs) {
    const v = attrs[name];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
      throw new BuildError(`attribute '${name}' of derivation '${drvPath}' must be a list of strings`, drvPath);
    return v as string[];
  }
  const s = drv.env.get(name);
  return s === undefined ? undefined : s.split(/[ \t\n\r]+/).filter((x) => x !== "");
}

function storePathOf(path: string, storeDir: string): string {
  const rest = path.slice(storeDir.length + 1);
  return `${storeDir}/${rest.split("/")[0]}`;
}

function exportOrFail(o: BuilderSetupOptions, paths: string[]): ExportedPathInfo[] {
  if (!o.exportReferences) throw new BuildError("exportReferencesGraph needs store access", o.drvPath);
  return o.exportReferences(paths);
}

export function builderSetup(drv: Derivation, o: BuilderSetupOptions): BuilderSetup {
  const tmpDirInSandbox = o.buildDirInSandbox ?? SANDBOX_BUILD_DIR;
  const rewrites = new Map(
    [...o.outputPaths].map(([name, path]) => [hashPlaceholder(name), path] as [string, string]).sort((a, b) => compareBytes(a[0], b[0])),
  );
  const structured = parseStructuredAttrs(drv, o.drvPath);
  const env = new Map<string, string>();
  const files = new Map<string, string>();

  env.set("PATH", "/path-not-set");
  env.set("HOME", "/homeless-shelter");
  env.set("NIX_STORE", o.storeDir);
  env.set("NIX_BUILD_CORES", String(o.buildCores));

  if (!structured) {
    const passAsFile = new Set((drv.env.get("passAsFile") ?? "").split(/[ \t\n\r]+/).filter((x) => x !== ""));
    for (const [k, v] of drv.env) {
      if (!passAsFile.has(k)) {
        env.set(k, v);
      } else {
        const fn = `.attr-${nix32Encode(hashData("sha256", k).bytes)}`;
        files.set(fn, rewriteStrings(v, rewrites));
        env.set(`${k}Path`, `${tmpDirInSandbox}/${fn}`);
      }
    }
  }
  env.set("NIX_BUILD_TOP", tmpDirInSandbox);
  for (const k of ["TMPDIR", "TEMPDIR", "TMP", "TEMP"]) env.set(k, tmpDirInSandbox);
  env.set("PWD", tmpDirInSandbox);
  if (o.fixedOutput) {
    env.set("NIX_OUTPUT_CHECKED", "1");
    const callerEnv = o.callerEnv ?? process.env;
    for (const name of getStringsAttr(drv, structured, "impureEnvVars", o.drvPath) ?? []) env.set(name, callerEnv[name] ?? "");
  }
  env.set("NIX_LOG_FD", "2");
  env.set("TERM", "xterm-256color");

  if (!structured) {
    // exportReferencesGraph = "name1 path1 name2 path2 ...": closure files in the build dir.
    const raw = drv.env.get("exportReferencesGraph") ?? "";
    const tokens = raw.split(/[ \t\n\r]+/).filter((x) => x !== "");
    if (tokens.length % 2 !== 0) throw new BuildError(`odd number of tokens in 'exportReferencesGraph': '${raw}'`, o.drvPath);
    for (let i = 0; i < tokens.length; i += 2) {
      const [fileName, path] = [tokens[i]!, tokens[i + 1]!];
      if (!EXPORT_FILE_NAME.test(fileName)) throw new BuildError(`invalid file name '${fileName}' in 'exportReferencesGraph'`, o.drvPath);
      if (!path.startsWith(o.storeDir + "/"))
        throw new BuildError(`'exportReferencesGraph' contains a non-store path '${path}'`, o.drvPath);
      files.set(fileName, validityRegistration(exportOrFail(o, [storePathOf(path, o.storeDir)])));
    }
  }

  if (structured) {
    const json: { [k: string]: Json } = { ...structured };
    const erg = json.exportReferencesGraph;
    if (erg && typeof erg === "object" && !Array.isArray(erg)) {
      for (const [key, value] of Object.entries(erg)) {
        const paths = (Array.isArray(value) ? value : [value]).map((p) => storePathOf(String(p), o.storeDir));
        json[key] = exportOrFail(o, paths).map((i) => {
          const item: { [k: string]: Json } = { path: i.path, narHash: i.narHash, narSize: i.narSize, references: i.references };
          if (i.ca) item.ca = i.ca;
          item.closureSize = i.closureSize;
          return item;
        });
      }
    }
    const outputs: { [k: string]: Json } = {};
    for (const name of drv.outputs.keys()) outputs[name] = rewriteStrings(hashPlaceholder(name), rewrites);
    json.outputs = outputs;
    files.set(".attrs.sh", rewriteStrings(structuredAttrsShell(json), rewrites));
    env.set("NIX_ATTRS_SH_FILE", `${o.hostTmpDir}/.attrs.sh`);
    files.set(".attrs.json", rewriteStrings(dumpJson(json), rewrites));
    env.set("NIX_ATTRS_JSON_FILE", `${o.hostTmpDir}/.attrs.json`);
  }

  const sortedEnv: Record<string, string> = {};
  for (const k of [...env.keys()].sort(compareBytes)) {
    // Nix rewrites the whole "k=v" string; keys never contain placeholders in practice.
    const kv = rewriteStrings(`${k}=${env.get(k)!}`, rewrites);
    const eq = kv.indexOf("=");
    sortedEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return {
    env: sortedEnv,
    args: drv.args.map((a) => rewriteStrings(a, rewrites)),
    files,
    structuredAttrs: structured,
  };
}
