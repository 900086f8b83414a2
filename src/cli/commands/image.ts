import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { buildImage } from "../../oci/buildImage.js";
import { LayerCache } from "../../oci/layerCache.js";
import { selectImage } from "../../oci/layout.js";
import { sourceDateEpoch } from "../../oci/layerTar.js";
import { openLocalImage, writeOutput, type OutputFormat } from "../../oci/output.js";
import { mergeImageSettings, normalisePort, parseImageSettings, type ImageSettings } from "../../oci/settings.js";
import { platformFromSystem, type Compression } from "../../oci/spec.js";

interface BuildFromPathsOptions {
  layer: string[];
  root: string[];
  output: string;
  format: string;
  system: string;
  settings?: string;
  entrypoint?: string;
  cmd?: string;
  env: string[];
  port: string[];
  user?: string;
  workdir?: string;
  tag?: string;
  from?: string;
  compression: string;
  cache?: string;
  dockerManifest?: boolean;
  copyToRoot: string[];
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function parseJsonList(text: string, flag: string): string[] {
  if (!text.startsWith("[")) return [text];
  const v = JSON.parse(text) as unknown;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw new UsageError(`${flag} must be a string or a JSON list of strings`);
  return v;
}

/**
 * `nixoci image build-from-paths`: an image from plain store paths on disk,
 * without evaluation (for tests, benchmarks, and images of existing closures).
 */
export function registerImage(program: Command): void {
  const image = program.command("image").description("Build and inspect OCI images from plain store paths");
  image
    .command("build-from-paths")
    .description("Build an image whose layers are the given store path groups (one --layer per layer, comma-separated paths)")
    .requiredOption("-o, --output <path>", "where to write the image")
    .option("--layer <paths>", "comma-separated store paths of one layer (repeatable, lowest first)", collect, [])
    .option("--root <prefix=dir>", "read store paths under <prefix> from <dir> (e.g. /nix/store=/tmp/s/nix/store)", collect, [])
    .option("--format <format>", "layout (OCI layout directory), oci (oci-archive tar) or docker (docker-archive tar)", "oci")
    .option("--system <system>", "Nix system of the image", "x86_64-linux")
    .option("--settings <file>", "JSON file with image settings (the passthru.nixoci attribute names)")
    .option("--entrypoint <cmd>", "entrypoint: a string or a JSON list")
    .option("--cmd <cmd>", "cmd: a string or a JSON list")
    .option("--env <NAME=value>", "environment variable (repeatable)", collect, [])
    .option("--port <port>", "exposed port like 8080 or 53/udp (repeatable)", collect, [])
    .option("--user <user>", "user the process runs as")
    .option("--workdir <dir>", "working directory")
    .option("--copy-to-root <path>", "store path whose bin/ is linked into / (repeatable)", collect, [])
    .option("-t, --tag <name:tag>", "image reference name")
    .option("--from <ref>", "base image: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG]")
    .option("--compression <c>", "gzip, zstd or none", "gzip")
    .option("--docker-manifest", "Docker v2 schema 2 media types instead of OCI")
    .option("--cache <dir>", "layer cache directory (default ~/.cache/nixoci)")
    .action(async (o: BuildFromPathsOptions) => {
      const format = o.format as OutputFormat;
      if (!["layout", "oci", "docker"].includes(format)) throw new UsageError(`--format must be layout, oci or docker, not '${o.format}'`);
      if (!["gzip", "zstd", "none"].includes(o.compression)) throw new UsageError(`--compression must be gzip, zstd or none`);
      const roots: Record<string, string> = {};
      for (const r of o.root) {
        const eq = r.indexOf("=");
        if (eq <= 0) throw new UsageError(`--root must be <prefix>=<dir>, got '${r}'`);
        roots[r.slice(0, eq)] = r.slice(eq + 1);
      }
      const fromFile: ImageSettings = o.settings === undefined ? {} : parseImageSettings(JSON.parse(await readFile(o.settings, "utf8")), o.settings);
      const flags: ImageSettings = {};
      if (o.entrypoint !== undefined) flags.entrypoint = parseJsonList(o.entrypoint, "--entrypoint");
      if (o.cmd !== undefined) flags.cmd = parseJsonList(o.cmd, "--cmd");
      if (o.env.length > 0) flags.env = parseImageSettings({ env: o.env }, "--env").env;
      if (o.port.length > 0) flags.ports = o.port.map((p) => normalisePort(p, "--port"));
      if (o.user !== undefined) flags.user = o.user;
      if (o.workdir !== undefined) flags.workingDir = o.workdir;
      if (o.copyToRoot.length > 0) flags.copyToRoot = o.copyToRoot;
      const settings = mergeImageSettings(fromFile, flags);
      const ref = o.tag ?? (settings.name === undefined ? undefined : `${settings.name}:${settings.tag ?? "latest"}`);
      const base = o.from === undefined ? undefined : await selectImage(await openLocalImage(o.from), platformFromSystem(o.system));
      const img = await buildImage({
        layers: o.layer.map((l) => l.split(",").filter((p) => p !== "")),
        roots,
        settings,
        system: o.system,
        base,
        cache: o.cache === undefined ? undefined : new LayerCache(o.cache),
        compression: o.compression as Compression,
        format: o.dockerManifest ? "docker" : "oci",
      });
      await writeOutput({ format, output: o.output, images: [img], ref, mtime: sourceDateEpoch() });
      process.stdout.write(`${await img.digest()}\n`);
    });
}
