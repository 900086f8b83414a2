/**
 * The whole path of `nixoci build` / `nixoci push`, composed from the four
 * parts: evaluate the installable (evaluator), realise it (store), group its
 * runtime closure into layers (layering), and assemble and write the image
 * (oci). Each step only hands plain data to the next.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import type { PackageInfo } from "../evaluator/flake/evalInstallable.js";
import { assertNoDisallowed, popularityLayers, runtimeClosure, sizeLayers, type StoreLayers } from "../layering/index.js";
import { buildImage as assembleImage } from "../oci/buildImage.js";
import type { Image } from "../oci/image.js";
import { LayerCache } from "../oci/layerCache.js";
import { type OutputFormat, writeOutput } from "../oci/output.js";
import { mergeImageSettings, parseImageSettings, type ImageSettings } from "../oci/settings.js";
import { pushImage } from "../oci/registry/push.js";
import type { ProgressReporter } from "../oci/registry/progress.js";
import type { RealiseRequest } from "./backend.js";
import { nativeBackend } from "./nativeBackend.js";
import { nixBackend } from "./nixBackend.js";
import { defaultSystem } from "./defaultSystem.js";
import { PipelineError } from "./pipelineError.js";

export { defaultSystem };

/** What to build: the backend's request (evaluate + realise) plus what the image needs. */
export interface BuildRequest extends Omit<RealiseRequest, "system" | "log"> {
  /** Nix system; default this machine's. */
  system?: string;
  /** Where to write the image; undefined writes nothing (push-only). */
  output?: string;
  format?: OutputFormat;
  /** `name:tag`; default from the package's name and version. */
  tag?: string;
  maxLayers?: number;
  layering?: "popularity" | "size";
  disallow?: string[];
  /** Image settings from flags; they win over the flake's `nixoci` attribute. */
  settings?: ImageSettings;
  base?: Image;
  /** "native" (default): nixoci evaluates and builds; "nix": a real Nix does. */
  backend?: "native" | "nix";
  log?: (line: string) => void;
}

export interface BuiltLayer {
  digest: string;
  size: number;
  /** Store paths in the layer (empty for the customisation layer and base layers). */
  paths: string[];
}

export interface BuildResult {
  image: Image;
  /** `name:tag` */
  ref: string;
  name: string;
  tag: string;
  digest: string;
  configDigest: string;
  layers: BuiltLayer[];
  package: PackageInfo;
  closure: string[];
  output?: string;
  /** Whether evaluation came from the cache. */
  evalCached: boolean;
  /** False when the image takes the build's clock (`created = "now"`): building again gives another digest. */
  reproducible: boolean;
}

export { PipelineError };

/** Evaluate, realise, layer and assemble; write the image when `output` is set. */
export async function buildImage(req: BuildRequest): Promise<BuildResult> {
  const log = req.log ?? (() => {});
  const system = req.system ?? defaultSystem();
  const backend = req.backend === "nix" ? nixBackend : nativeBackend;
  const realised = await backend.realise({ ...req, installable: req.installable || ".#default", system, log });
  const { pkg, graph } = realised;
  try {
    const wanted = pkg.installOutputs.map((o) => pkg.outputs[o]!);
    const fromFlake = pkg.settings === undefined ? {} : parseImageSettings(pkg.settings, `${pkg.attrPath.join(".")}.nixoci`);
    const settings = withDefaults(mergeImageSettings(fromFlake, req.settings ?? {}), pkg, wanted, realised.realStoreDir);
    if (req.maxLayers !== undefined) settings.maxLayers = req.maxLayers;
    if (req.disallow?.length) settings.disallow = [...(settings.disallow ?? []), ...req.disallow];

    const roots = [...new Set([...wanted, ...pkg.settingsReferences.filter((p) => realised.isValidPath(p)), ...(settings.copyToRoot ?? [])])];
    // Fail before writing anything when a forbidden path is in the closure.
    if (settings.disallow?.length) assertNoDisallowed(graph, roots, settings.disallow);
    const closure = runtimeClosure(graph, roots);

    const baseLayers = req.base ? (await req.base.layers()).length : 0;
    const layering = req.layering ?? (settings.layering as "popularity" | "size" | undefined) ?? "popularity";
    const layerInput = {
      graph,
      contents: roots,
      configReferences: pkg.settingsReferences,
      maxLayers: settings.maxLayers ?? 100,
      baseImageLayers: baseLayers,
    };
    let groups: StoreLayers;
    if (layering === "popularity") groups = popularityLayers(layerInput);
    else if (layering === "size") groups = sizeLayers(layerInput);
    else throw new UsageError(`unknown layering strategy '${layering}' (popularity, size)`);

    const image = await assembleImage({
      layers: groups,
      roots: { "/nix/store": realised.realStoreDir },
      settings,
      system: pkg.system,
      base: req.base,
      cache: new LayerCache(),
    });

    const name = settings.name ?? pkg.pname;
    const tag = settings.tag ?? (pkg.version || "latest");
    const ref = req.tag ?? `${name}:${tag}`;
    if (req.output !== undefined) {
      await writeOutput({ format: req.format ?? "oci", output: req.output, images: [image], ref });
    }

    const manifest = await image.manifest();
    const layerDescs = manifest.layers;
    const layers: BuiltLayer[] = layerDescs.map((d, i) => ({
      digest: d.digest,
      size: d.size,
      paths: i >= baseLayers && i - baseLayers < groups.length ? groups[i - baseLayers]! : [],
    }));
    return {
      image,
      ref,
      name: splitTag(ref).name,
      tag: splitTag(ref).tag ?? "latest",
      digest: await image.digest(),
      configDigest: manifest.config.digest,
      layers,
      package: pkg,
      closure,
      output: req.output,
      evalCached: realised.evalCached,
      reproducible: settings.created !== "now",
    };
  } finally {
    realised.close();
  }
}

export interface PushRequest {
  /** `host/repository` (a tag in it is used too). */
  repository: string;
  tags: string[];
  creds?: { username: string; password: string };
  tlsVerify?: boolean;
  progress?: ProgressReporter;
  log?: (line: string) => void;
}

/** Push a built image under each tag; returns the references pushed (`repo:tag`). */
export async function pushBuilt(result: BuildResult, req: PushRequest): Promise<string[]> {
  const { name: base, tag } = splitTag(req.repository.replace(/^docker:\/\//, ""));
  const tags = tag !== undefined ? [tag, ...req.tags] : req.tags.length ? req.tags : [result.tag];
  const pushed = await pushImage(result.image, `${base}:${tags[0]}`, {
    extraTags: tags.slice(1),
    tlsVerify: req.tlsVerify,
    credentials: req.creds ? { creds: `${req.creds.username}:${req.creds.password}` } : undefined,
    progress: req.progress,
  });
  req.log?.(`pushed ${base}@${pushed.digest} (${pushed.blobs.pushed.length} blobs uploaded, ${pushed.blobs.skipped.length} present, ${pushed.blobs.mounted.length} mounted)`);
  return tags.map((t) => `${base}:${t}`);
}

/**
 * `repo[:tag]` → its parts. The tag follows the last ':' of the last path
 * component, so a registry port (`host:5000/app`) is not taken for one.
 */
export function splitTag(ref: string): { name: string; tag?: string } {
  const colon = ref.lastIndexOf(":");
  return colon > ref.lastIndexOf("/") ? { name: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { name: ref };
}

/**
 * What a user of dockerTools would expect without saying anything: the package
 * linked into `/` (its bin/ on PATH), the entrypoint its main program.
 */
function withDefaults(s: ImageSettings, pkg: PackageInfo, outputs: string[], realStoreDir: string): ImageSettings {
  const out = { ...s };
  out.copyToRoot ??= outputs;
  // A user given by name must exist in the image, or runtimes cannot resolve it.
  if (out.user !== undefined && out.addUser === undefined) {
    const name = out.user.split(":")[0]!;
    if (!/^\d+$/.test(name) && name !== "root") out.addUser = { name, uid: 1000, gid: 1000 };
  }
  if (out.entrypoint === undefined) {
    const main = pkg.mainProgram ?? singleProgram(realStoreDir + outputs[0]!.slice("/nix/store".length));
    if (main !== undefined) out.entrypoint = [`${outputs[0]}/bin/${main}`];
  }
  return out;
}

function singleProgram(realOut: string): string | undefined {
  const bin = join(realOut, "bin");
  if (!existsSync(bin)) return undefined;
  const entries = readdirSync(bin);
  return entries.length === 1 ? entries[0] : undefined;
}
