/**
 * `nixoci push REF`: push a local image to a registry. For now the image
 * comes from `--from-layout DIR[:TAG]` or `--from SRC` (any copy source);
 * building from a flake calls the same `pushImage` once wired in.
 */
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { parseImageLocation } from "../../oci/transport/location.js";
import { parsePlatform } from "../../oci/registry/platform.js";
import { formatReference, parseReference } from "../../oci/registry/reference.js";
import { addImageFlags, type ImageFlags } from "./imageFlags.js";
import { addRegistryFlags, clientOptions, parseBool, progressFromFlags, pushOptions, report, type RegistryFlags } from "./copy.js";

export interface PushFlags extends RegistryFlags, Omit<ImageFlags, "from" | "tag" | "json" | "format"> {
  base?: string;
  fromLayout?: string;
  from?: string;
  creds?: string;
  tlsVerify?: string;
  insecure?: boolean;
  tag: string[];
  platform?: string;
}

export function registerPush(program: Command): void {
  const cmd = program
    .command("push")
    .description("Build a flake package and push its image (REF like ghcr.io/owner/app:tag), or push an existing image with --from")
    .argument("<ref>", "destination: [host[:port]/]repository[:tag|@digest] (docker:// prefix optional)")
    .argument("[flakeref]", "flake package to build and push (default .#default) when no --from/--from-layout is given")
    .option("--base <image>", "base image for a flake build: docker://REF, oci:DIR[:TAG], oci-archive:FILE or docker-archive:FILE")
    .option("--from-layout <dir[:tag]>", "push the image of this OCI layout directory")
    .option("--from <source>", "push from any copy source: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE, docker://REF")
    .option("--creds <user:pass>", "registry credentials")
    .option("--tls-verify <bool>", "verify TLS (false also allows plain HTTP)")
    .option("--insecure", "same as --tls-verify=false")
    .option("-t, --tag <tag>", "another tag for the same manifest (repeatable)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--platform <os/arch[/variant]>", "image to pick from a multi-platform source; default: push the whole index");
  addImageFlags(addRegistryFlags(cmd)).action((ref: string, flakeref: string | undefined, flags: PushFlags) => runPush(ref, flakeref, flags));
}

/** The push command itself, given what commander parsed (or pushPlain.ts, without commander). */
export async function runPush(ref: string, flakeref: string | undefined, flags: PushFlags): Promise<void> {
  const sources = [flags.fromLayout, flags.from].filter((s) => s !== undefined);
  if (sources.length > 1) throw new UsageError("nixoci push takes at most one of --from-layout DIR[:TAG] or --from SOURCE");
  if (sources.length === 1 && flakeref !== undefined) throw new UsageError("nixoci push: give either a FLAKEREF to build or --from/--from-layout, not both");
  const target = ref.startsWith("docker://") ? ref : `docker://${ref}`;
  const destination = parseImageLocation(target);
  const parsedRef = parseReference(target.slice("docker://".length));
  const tlsVerify = flags.insecure ? false : flags.tlsVerify !== undefined ? parseBool(flags.tlsVerify, "--tls-verify") : undefined;
  const client = clientOptions(flags, flags.creds, tlsVerify);
  const progress = progressFromFlags(flags);
  if (sources.length === 0) {
    // Build the flake package, then push the image straight from the layer cache. The build
    // pipeline is loaded only here: a push from a layout must not pay for the evaluator and store.
    const [{ requestFromFlags }, { buildImage, splitTag }, { pushImage }] = await Promise.all([
      import("./build.js"),
      import("../pipeline.js"),
      import("../../oci/registry/push.js"),
    ]);
    const log = (l: string) => process.stderr.write(`${l}\n`);
    const req = await requestFromFlags(flakeref ?? ".#default", { ...flags, from: flags.base, tag: undefined, format: "oci" }, log);
    const built = await buildImage(req);
    // No tag in REF: the package version, as `build` names the image (the parser would say "latest").
    const raw = target.slice("docker://".length);
    const explicit = raw.includes("@") || splitTag(raw).tag !== undefined;
    const dest = explicit ? parsedRef : { ...parsedRef, tag: built.tag };
    const pushed = await pushImage(built.image, dest, { ...pushOptions(flags, client, progress), extraTags: flags.tag });
    await report({ digest: pushed.digest, mediaType: pushed.mediaType, push: pushed }, formatReference(dest), flags, "Pushed");
    return;
  }
  const source = parseImageLocation(flags.fromLayout !== undefined ? `oci:${flags.fromLayout}` : flags.from!);
  // Loaded on use so other commands do not pay for the registry and archive code at start-up.
  const { copyImage } = await import("../../oci/transport/copy.js");
  const result = await copyImage(source, destination, {
    source: client,
    destination: { ...pushOptions(flags, client, progress), extraTags: flags.tag },
    ...(flags.platform ? { platform: parsePlatform(flags.platform) } : { all: true }),
  });
  await report(result, target, flags, "Pushed");
}
