/**
 * Realise one derivation whose inputs are valid, as Nix 2.8's
 * LocalDerivationGoal: set up a sandbox, run the builder (or a built-in),
 * then register its outputs (canonicalise, scan references, hash, check
 * fixed-output hashes and reference constraints, move into the store,
 * register in one transaction).
 */
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, constants as osConstants } from "node:os";
import { join } from "node:path";
import {
  derivationKind,
  fixedOutputHash,
  hashEquals,
  makeFixedOutputPath,
  compareBytes,
  parseDerivationATerm,
  parseHashAny,
  parseStorePath,
  printHash,
  type Derivation,
} from "../format/index.js";
import { canonicalisePathMetaData, deletePath, fsyncTree } from "../canonicalise.js";
import type { NewPathInfo } from "../database.js";
import { BuildError } from "../errors.js";
import type { LocalStore } from "../localStore.js";
import type { HeldLock } from "../locks.js";
import { hashFileAsync, narHashAndReferences } from "../narOps.js";
import { BuildLogSink } from "./buildLog.js";
import { builtinFetchurl } from "./builtinFetchurl.js";
import { builderSetup, type ExportedPathInfo } from "./environment.js";
import { checkOutputs } from "./outputChecks.js";
import { bwrapArgs, defaultSandboxPaths, FIXED_OUTPUT_HOST_ETC, sandboxEtcFiles } from "./sandbox.js";
import { unshareCommand } from "./sandboxUnshare.js";

export interface BuildSettings {
  /** Run builders in a namespace sandbox (default true). */
  readonly sandbox: boolean;
  /** `sandbox-paths` (target → source); default: busybox as /bin/sh. */
  readonly sandboxPaths: ReadonlyMap<string, string>;
  readonly buildCores: number;
  /** Called with each log line, prefixed by the caller (`-L`). */
  readonly onLogLine?: (drvPath: string, line: string) => void;
  /** Keep the build directory of failed builds (`--keep-failed`). */
  readonly keepFailed: boolean;
  /** Namespace tool: bubblewrap when installed, else util-linux unshare. */
  readonly sandboxTool?: "bwrap" | "unshare";
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? "/usr/bin:/bin").split(":").some((d) => d !== "" && existsSync(join(d, tool)));
}

export function defaultBuildSettings(): BuildSettings {
  return { sandbox: true, sandboxPaths: defaultSandboxPaths(), buildCores: 0, keepFailed: false };
}

/** Per-process counter for Nix's host temp dir name (`nix-build-<drv>-N`), which 2.8 leaks into NIX_ATTRS_*_FILE. */
let tmpDirCounter = 0;

/** Nix's Store::exportReferences + the path infos (sha256 nix32 hashes, closure sizes), sorted by path. */
function exportReferences(store: LocalStore, drvPath: string, paths: string[], inputPaths: ReadonlySet<string>): ExportedPathInfo[] {
  const roots: string[] = [];
  for (const p of paths) {
    if (!inputPaths.has(p))
      throw new BuildError(`cannot export references of path '${p}' because it is not in the input closure of the derivation`, drvPath);
    roots.push(p);
  }
  let closure = store.computeClosure(roots);
  // Derivations in the graph bring their outputs' closures along (Nix does this for ISO images).
  const outs = closure.filter((p) => p.endsWith(".drv")).flatMap((d) => [...parseDerivationATerm(readFileSync(store.toRealPath(d)), { drvPath: d }).outputs.values()].map((o) => o.path));
  if (outs.length > 0) closure = store.computeClosure([...closure, ...outs]);
  return [...closure].sort(compareBytes).map((p) => {
    const info = store.queryPathInfo(p);
    return {
      path: p,
      narHash: printHash(parseHashAny(info.narHash), "nix32", true),
      narSize: info.narSize,
      references: [...info.references].sort(compareBytes),
      ca: info.ca,
      closureSize: store.computeClosure([p]).reduce((n, q) => n + store.queryPathInfo(q).narSize, 0),
    };
  });
}

/** Output name → output path, for input-addressed and fixed-output derivations. */
export function knownOutputPaths(drv: Derivation, drvPath: string): Map<string, string> {
  const kind = derivationKind(drv);
  if (kind !== "inputAddressed" && kind !== "fixed")
    throw new BuildError(`derivation '${drvPath}' has ${kind} outputs, which need the experimental 'ca-derivations' feature (not supported)`, drvPath);
  return new Map([...drv.outputs].map(([name, o]) => [name, o.path]));
}

export async function buildDerivation(
  store: LocalStore,
  drvPath: string,
  drv: Derivation,
  inputPaths: ReadonlySet<string>,
  settings: BuildSettings,
): Promise<Map<string, string>> {
  const outputs = knownOutputPaths(drv, drvPath);
  const fixedOutput = derivationKind(drv) === "fixed";
  const locks: HeldLock[] = [];
  try {
    for (const path of [...outputs.values()].sort()) locks.push(await store.locks.lock(path));
    if ([...outputs.values()].every((p) => store.isValidPath(p))) return outputs;
    return await buildLocked(store, drvPath, drv, outputs, fixedOutput, inputPaths, settings);
  } finally {
    for (const l of locks) l.release();
  }
}

async function buildLocked(
  store: LocalStore,
  drvPath: string,
  drv: Derivation,
  outputs: Map<string, string>,
  fixedOutput: boolean,
  inputPaths: ReadonlySet<string>,
  settings: BuildSettings,
): Promise<Map<string, string>> {
  const loc = store.location;
  const drvName = parseStorePath(drvPath).name;
  const top = join(loc.nixociDir, "builds", `${process.pid}-${randomBytes(4).toString("hex")}-${drvName}`);
  const buildDir = join(top, "build");
  const scratchStore = join(top, "store");
  const etcDir = join(top, "etc");
  for (const d of [buildDir, scratchStore, etcDir]) mkdirSync(d, { recursive: true });
  chmodSync(buildDir, 0o700);
  chmodSync(scratchStore, 0o1775);

  const useSandbox = settings.sandbox;
  if (!useSandbox && loc.root !== "/")
    throw new BuildError(`building '${drvPath}' without a sandbox needs the store at /nix/store (this store is at '${loc.realStoreDir}')`, drvPath);
  const buildCores = settings.buildCores || availableParallelism();
  const hostTmpDir = `${process.env.TMPDIR || "/tmp"}/nix-build-${drvName}-${tmpDirCounter++}`;
  const setup = builderSetup(drv, {
    drvPath,
    outputPaths: outputs,
    storeDir: store.storeDir,
    buildCores,
    fixedOutput,
    buildDirInSandbox: useSandbox ? undefined : buildDir,
    hostTmpDir,
    exportReferences: (paths) => exportReferences(store, drvPath, paths, inputPaths),
  });
  for (const [name, contents] of setup.files) writeFileSync(join(buildDir, name), contents);

  const log = new BuildLogSink(loc.logDir, drvPath, settings.onLogLine ? (l) => settings.onLogLine!(drvPath, l) : undefined);
  let failed = true;
  try {
    // Where outputs appear physically: the scratch store (sandbox) or the real store (no sandbox).
    const outputDir = useSandbox || drv.builder.startsWith("builtin:") ? scratchStore : loc.realStoreDir;
    for (const p of outputs.values()) {
      const phys = join(outputDir, p.slice(store.storeDir.length + 1));
      if (existsSync(phys)) deletePath(phys);
    }
    if (drv.builder.startsWith("builtin:")) {
      const resolveFile = (path: string): string | undefined => {
        const top = store.fromRealPath(path);
        return top !== undefined && inputPaths.has(top) && !path.startsWith(loc.realStoreDir) ? store.toRealPath(top) + path.slice(top.length) : undefined;
      };
      await runBuiltin(drv, drvPath, setup.env, outputs, scratchStore, store.storeDir, log, resolveFile);
    } else {
      await runBuilder(store, drv, drvPath, setup, inputPaths, { useSandbox, buildDir, scratchStore, etcDir, fixedOutput, settings, log });
    }
    const result = await registerOutputs(store, drvPath, drv, outputs, fixedOutput, inputPaths, outputDir);
    failed = false;
    return result;
  } finally {
    await log.close();
    if (!(failed && settings.keepFailed)) deletePath(top);
    else process.stderr.write(`note: keeping build directory '${buildDir}'\n`);
  }
}

async function runBuiltin(
  drv: Derivation,
  drvPath: string,
  env: Record<string, string>,
  outputs: Map<string, string>,
  scratchStore: string,
  storeDir: string,
  log: BuildLogSink,
  resolveFile: (path: string) => string | undefined,
): Promise<void> {
  if (drv.builder !== "builtin:fetchurl")
    throw new BuildError(`unsupported builtin builder '${drv.builder.slice(8)}'`, drvPath);
  // Built-ins see the derivation's own env (with output placeholders rewritten).
  const drvEnv = new Map([...drv.env].map(([k]) => [k, env[k] ?? drv.env.get(k)!] as [string, string]));
  const out = outputs.get("out")!;
  try {
    await builtinFetchurl(drvEnv, join(scratchStore, out.slice(storeDir.length + 1)), resolveFile);
  } catch (err) {
    log.write(`${(err as Error).message}\n`);
    throw new BuildError(builderFailedMessage(drvPath, "failed with exit code 1", log), drvPath, { cause: err, exitCode: 100 });
  }
}

function builderFailedMessage(drvPath: string, how: string, log: BuildLogSink): string {
  const lines = log.lastLines();
  let msg = `builder for '${drvPath}' ${how}`;
  if (lines.length > 0) {
    msg += `;\nlast ${lines.length} log lines:\n${lines.map((l) => `> ${l}`).join("\n")}`;
    msg += `\nFor full logs, run 'nixoci log ${drvPath}'.`;
  }
  return msg;
}

interface RunContext {
  useSandbox: boolean;
  buildDir: string;
  scratchStore: string;
  etcDir: string;
  fixedOutput: boolean;
  settings: BuildSettings;
  log: BuildLogSink;
}

async function runBuilder(
  store: LocalStore,
  drv: Derivation,
  drvPath: string,
  setup: ReturnType<typeof builderSetup>,
  inputPaths: ReadonlySet<string>,
  c: RunContext,
): Promise<void> {
  let command: string;
  let args: string[];
  let env: Record<string, string>;
  if (c.useSandbox) {
    const etcFiles = new Map<string, string>();
    for (const [name, text] of sandboxEtcFiles(c.fixedOutput)) {
      writeFileSync(join(c.etcDir, name), text);
      etcFiles.set(name, join(c.etcDir, name));
    }
    if (c.fixedOutput) for (const name of FIXED_OUTPUT_HOST_ETC) if (existsSync(`/etc/${name}`)) etcFiles.set(name, `/etc/${name}`);
    const spec = {
      builder: drv.builder,
      args: setup.args,
      env: setup.env,
      buildDir: c.buildDir,
      scratchStoreDir: c.scratchStore,
      storeDir: store.storeDir,
      inputs: new Map([...inputPaths].map((p) => [p, store.toRealPath(p)])),
      extraPaths: c.settings.sandboxPaths,
      etcFiles,
      network: c.fixedOutput,
    };
    const tool = c.settings.sandboxTool ?? (onPath("bwrap") ? "bwrap" : "unshare");
    if (tool === "bwrap") {
      command = "bwrap";
      args = bwrapArgs(spec);
      env = {};
    } else {
      const rootDir = join(c.buildDir, "..", "root");
      mkdirSync(rootDir, { recursive: true });
      ({ command, args, env } = unshareCommand(spec, rootDir));
    }
  } else {
    process.stderr.write(`warning: building '${drvPath}' WITHOUT A SANDBOX: the builder can read and write anything you can\n`);
    command = drv.builder;
    args = setup.args;
    env = setup.env;
  }
  const child = spawn(command, args, {
    cwd: c.useSandbox ? undefined : c.buildDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    argv0: c.useSandbox ? undefined : drv.builder.split("/").pop(),
  });
  child.stdout.on("data", (d: Buffer) => c.log.write(d));
  child.stderr.on("data", (d: Buffer) => c.log.write(d));
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal }));
  }).catch((err: Error) => {
    throw new BuildError(`cannot run builder for '${drvPath}': ${err.message}`, drvPath, { cause: err });
  });
  if (code !== 0) {
    const how = signal ? `failed due to signal ${signalNumber(signal)} (${signalName(signal)})` : `failed with exit code ${code}`;
    throw new BuildError(builderFailedMessage(drvPath, how, c.log), drvPath, { exitCode: 100 });
  }
}

function signalNumber(s: NodeJS.Signals): number {
  return (osConstants.signals as Record<string, number>)[s] ?? 0;
}
/** strsignal() texts, as Nix prints them. */
function signalName(s: NodeJS.Signals): string {
  const names: Record<string, string> = { SIGKILL: "Killed", SIGTERM: "Terminated", SIGSEGV: "Segmentation fault", SIGABRT: "Aborted", SIGINT: "Interrupt" };
  return names[s] ?? s;
}

/** Post-build: Nix 2.8's registerOutputs for input-addressed and fixed-output derivations. */
async function registerOutputs(
  store: LocalStore,
  drvPath: string,
  drv: Derivation,
  outputs: Map<string, string>,
  fixedOutput: boolean,
  inputPaths: ReadonlySet<string>,
  outputDir: string,
): Promise<Map<string, string>> {
  const referenceable = new Set([...inputPaths, ...outputs.values()]);
  const infos = new Map<string, NewPathInfo>();
  const physicalOf = new Map<string, string>();
  let mismatch: BuildError | undefined;
  const finalOutputs = new Map<string, string>();

  for (const [name, path] of outputs) {
    const actual = join(outputDir, path.slice(store.storeDir.length + 1));
    let st;
    try {
      st = lstatSync(actual);
    } catch {
      throw new BuildError(`builder for '${drvPath}' failed to produce output path for output '${name}' at '${actual}'`, drvPath);
    }
    if (!st.isSymbolicLink() && st.mode & 0o022)
      throw new BuildError(`suspicious ownership or permission on '${actual}' for output '${name}'; rejecting this build output`, drvPath);
    canonicalisePathMetaData(actual);
    const scan = await narHashAndReferences(actual, referenceable);
    const selfRef = scan.references.has(path);
    const refs = [...scan.references].filter((r) => r !== path);

    let finalPath = path;
    let ca: string | undefined;
    if (fixedOutput) {
      const { method, hash: wanted } = fixedOutputHash(drv.outputs.get(name)!);
      if (method === "flat" && (!st.isFile() || st.mode & 0o100))
        throw new BuildError(
          `output path '${actual}' should be a non-executable regular file since recursive hashing is not enabled (outputHashMode=flat)`,
          drvPath,
        );
      const got = method === "flat" ? await hashFileAsync(wanted.algo, actual) : (await narHashAndReferences(actual, new Set(), wanted.algo)).hash;
      if (refs.length > 0 || selfRef) {
        if (!(method === "recursive" && wanted.algo === "sha256"))
          throw new BuildError(`illegal path references in fixed-output derivation '${drvPath}'`, drvPath);
      }
      finalPath = makeFixedOutputPath(method, got, parseStorePath(path).name, { references: refs, hasSelfReference: selfRef }, store.storeDir);
      ca = `fixed:${method === "recursive" ? "r:" : ""}${printHash(got, "nix32", true)}`;
      if (!hashEquals(wanted, got)) {
        mismatch = new BuildError(
          `hash mismatch in fixed-output derivation '${drvPath}':\n  specified: ${printHash(wanted, "sri", true)}\n     got:    ${printHash(got, "sri", true)}`,
          drvPath,
          { exitCode: 102 },
        );
      }
    }
    finalOutputs.set(name, finalPath);
    physicalOf.set(finalPath, actual);
    infos.set(name, {
      path: finalPath,
      narHash: printHash(scan.hash, "base16", true),
      narSize: scan.size,
      references: [...refs, ...(selfRef ? [finalPath] : [])].sort(),
      deriver: drvPath,
      ultimate: true,
      ca,
    });
  }

  // Reference constraints are checked before anything becomes valid.
  await checkOutputs(store, drvPath, drv, infos);

  const toRegister: NewPathInfo[] = [];
  const extraLocks: HeldLock[] = [];
  try {
    for (const info of infos.values()) {
      if (store.isValidPath(info.path)) continue; // e.g. a mismatching FOD whose content is already there
      if (![...outputs.values()].includes(info.path)) extraLocks.push(await store.locks.lock(info.path));
      const actual = physicalOf.get(info.path)!;
      fsyncTree(actual);
      if (actual !== store.toRealPath(info.path)) store.moveIntoPlace(actual, info.path);
      toRegister.push(info);
    }
    store.registerValidPaths(toRegister);
  } finally {
    for (const l of extraLocks) l.release();
  }
  if (mismatch) throw mismatch;
  return finalOutputs;
}
