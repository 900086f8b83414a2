/**
 * `nixoci build [FLAKEREF]`: evaluate, realise, layer and write an image.
 * The default output is `./result.tar` (an oci-archive), like Nix's `result`.
 */
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { OutputFormat } from "../../oci/output.js";
import { parseImageSettings, type ImageSettings } from "../../oci/settings.js";
import { humanBytes as formatBytes } from "../../oci/registry/progress.js";
import { readWarm } from "../../evaluator/flake/warmPath.js";
import { openBaseImage } from "../baseImage.js";
import { buildProbe, buildWarmParts, defaultOutput, recordBuild, type BuildFlags, type PrintedSummary } from "../buildCache.js";
import { type BuildRequest, type BuildResult, buildImage, defaultSystem } from "../pipeline.js";
import { overridePairs } from "./flake.js";

export { addImageFlags, type ImageFlags } from "./imageFlags.js";
import { addImageFlags, type ImageFlags } from "./imageFlags.js";

function jsonOrList(v: string): string[] {
  if (v.trimStart().startsWith("[")) {
    const parsed: unknown = JSON.parse(v);
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) throw new UsageError(`expected a JSON list of strings, got ${v}`);
    return parsed;
  }
  return [v];
}

function pairs(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new UsageError(`${flag} expects KEY=VALUE, got '${kv}'`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

export async function requestFromFlags(installable: string | undefined, flags: ImageFlags, log: (l: string) => void): Promise<BuildRequest> {
  const s: Record<string, unknown> = {};
  if (flags.entrypoint !== undefined) s.entrypoint = jsonOrList(flags.entrypoint);
  if (flags.cmd !== undefined) s.cmd = jsonOrList(flags.cmd);
  if (flags.env.length) s.env = pairs(flags.env, "--env");
  if (flags.port.length) s.ports = flags.port;
  if (flags.user !== undefined) s.user = flags.user;
  if (flags.label.length) s.labels = pairs(flags.label, "--label");
  if (flags.workdir !== undefined) s.workingDir = flags.workdir;
  const settings: ImageSettings = parseImageSettings(s, "command line");
  const format = (flags.format ?? "oci") as OutputFormat;
  if (!["oci", "docker", "layout"].includes(format)) throw new UsageError(`--format must be oci, docker or layout, not '${flags.format}'`);
  const maxLayers = flags.maxLayers === undefined ? undefined : Number(flags.maxLayers);
  if (maxLayers !== undefined && !(Number.isInteger(maxLayers) && maxLayers >= 2)) throw new UsageError(`--max-layers must be an integer ≥ 2`);
  if (flags.layering !== undefined && !["popularity", "size"].includes(flags.layering)) throw new UsageError(`--layering must be popularity or size`);
  if (!["native", "nix"].includes(flags.backend)) throw new UsageError(`--backend must be native or nix, not '${flags.backend}'`);
  const base = flags.from === undefined ? undefined : await openBaseImage(flags.from, flags.system ?? defaultSystem());
  const { overrides, flakeRef } = overridePairs(flags.overrideInput ?? [], installable);
  return {
    installable: flakeRef ?? ".#default",
    cwd: process.cwd(),
    system: flags.system,
    store: flags.store ?? process.env.NIXOCI_STORE,
    format,
    tag: flags.tag,
    maxLayers,
    layering: flags.layering as BuildRequest["layering"],
    disallow: flags.disallow,
    settings,
    base,
    maxJobs: (flags.maxJobs ?? flags.j) === undefined ? undefined : Number(flags.maxJobs ?? flags.j),
    printBuildLogs: flags.printBuildLogs,
    showTrace: flags.showTrace,
    noEvalCache: !flags.evalCache,
    noSandbox: !flags.sandbox,
    flake: { impure: flags.impure, overrideInputs: overrides, updateInputs: flags.updateInput ?? [], noWriteLock: flags.writeLockFile === false },
    backend: flags.backend as BuildRequest["backend"],
    substituters: { substituters: flags.substituters, trustedPublicKeys: flags.trustedPublicKeys, requireSigs: flags.requireSigs === false ? false : undefined },
    log,
  };
}

export function summaryJson(r: BuildResult): object {
  return {
    ref: r.ref,
    digest: r.digest,
    imageid: r.configDigest,
    output: r.output,
    drvPath: r.package.drvPath,
    outputs: r.package.outputs,
    closure: r.closure.length,
    layers: r.layers,
    size: r.layers.reduce((n, l) => n + l.size, 0),
  };
}

export function printSummary(r: BuildResult, write: (l: string) => void): void {
  const total = r.layers.reduce((n, l) => n + l.size, 0);
  write(`image ${r.ref}: ${r.layers.length} layers, ${formatBytes(total)} compressed, ${r.closure.length} store paths`);
  for (const [i, l] of r.layers.entries()) {
    const what = l.paths.length === 0 ? "" : l.paths.length === 1 ? ` ${l.paths[0]}` : ` ${l.paths.length} store paths`;
    write(`  ${String(i + 1).padStart(3)} ${l.digest.slice(7, 19)} ${formatBytes(l.size).padStart(10)}${what}`);
  }
  write(`digest ${r.digest}`);
  if (r.output) write(`wrote ${r.output}`);
}

export function registerBuild(program: Command): void {
  addImageFlags(
    program
      .command("build")
      .description("Build an OCI image from a flake package (FLAKEREF like .#default)")
      .argument("[flakeref]", "flake reference and attribute", ".#default")
      .option("-o, --output <path>", "where to write the image (default ./result.tar, or ./result for a layout)")
      .option("--format <format>", "output format: oci (oci-archive), docker (docker-archive), layout (OCI layout directory)", "oci")
      .option("-t, --tag <name:tag>", "image name and tag (default: the package's pname:version)")
      .option("--from <image>", "base image: docker://REF (pulled from a registry), oci:DIR[:TAG], oci-archive:FILE or docker-archive:FILE")
      .option("-j <n>", "builds at once (same as --max-jobs)")
      .option("--json", "print a JSON summary on stdout"),
  ).action(async (installable: string, flags: ImageFlags) => {
    const log = (l: string) => process.stderr.write(`${l}\n`);
    // The no-op path (noopBuild.ts) answers this same request next time, if nothing changes.
    const probe = buildProbe(installable, flags as unknown as BuildFlags, process.cwd(), process.env);
    const warmBefore = probe && buildWarmParts(probe);
    const req = await requestFromFlags(installable, flags, log);
    req.output = flags.output ?? defaultOutput(req.format);
    const result = await buildImage(req);
    const summary = printedSummary(result, flags.json === true);
    for (const l of summary.stderr) log(l);
    process.stdout.write(summary.stdout);
    if (probe && warmBefore) {
      const pkg = result.package;
      const build = { drvPath: pkg.drvPath, outputs: pkg.outputs, closure: result.closure, settingsReferences: pkg.settingsReferences, reproducible: result.reproducible, summary };
      recordBuild(probe, warmBefore, build, (parts) => readWarm(parts));
    }
  });
}

/** What `build` prints once the image is written: a JSON summary on stdout, or lines on stderr. */
function printedSummary(r: BuildResult, json: boolean): PrintedSummary {
  if (json) return { stdout: `${JSON.stringify(summaryJson(r), null, 2)}\n`, stderr: [] };
  const stderr: string[] = [];
  printSummary(r, (l) => stderr.push(l));
  return { stdout: "", stderr };
}
