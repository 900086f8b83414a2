/**
 * `nixoci push REF`: push a local image to a registry. For now the image
 * comes from `--from-layout DIR[:TAG]` or `--from SRC` (any copy source);
 * building from a flake calls the same `pushImage` once wired in.
 */
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { parseImageLocation } from "../../oci/transport/location.js";
import { parsePlatform } from "../../oci/registry/platform.js";
import { parseReference } from "../../oci/registry/reference.js";
import { addRegistryFlags, clientOptions, parseBool, progressFromFlags, pushOptions, report, type RegistryFlags } from "./copy.js";

interface PushFlags extends RegistryFlags {
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
    .description("Push an image to a registry (REF like ghcr.io/owner/app:tag)")
    .argument("<ref>", "destination: [host[:port]/]repository[:tag|@digest] (docker:// prefix optional)")
    .option("--from-layout <dir[:tag]>", "push the image of this OCI layout directory")
    .option("--from <source>", "push from any copy source: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE, docker://REF")
    .option("--creds <user:pass>", "registry credentials")
    .option("--tls-verify <bool>", "verify TLS (false also allows plain HTTP)")
    .option("--insecure", "same as --tls-verify=false")
    .option("-t, --tag <tag>", "another tag for the same manifest (repeatable)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--platform <os/arch[/variant]>", "image to pick from a multi-platform source; default: push the whole index");
  addRegistryFlags(cmd).action(async (ref: string, flags: PushFlags) => {
    const sources = [flags.fromLayout, flags.from].filter((s) => s !== undefined);
    if (sources.length !== 1) throw new UsageError("nixoci push needs exactly one of --from-layout DIR[:TAG] or --from SOURCE");
    const source = parseImageLocation(flags.fromLayout !== undefined ? `oci:${flags.fromLayout}` : flags.from!);
    const target = ref.startsWith("docker://") ? ref : `docker://${ref}`;
    const destination = parseImageLocation(target);
    parseReference(target.slice("docker://".length));
    const tlsVerify = flags.insecure ? false : flags.tlsVerify !== undefined ? parseBool(flags.tlsVerify, "--tls-verify") : undefined;
    const client = clientOptions(flags, flags.creds, tlsVerify);
    const progress = progressFromFlags(flags);
    // Loaded on use so other commands do not pay for the registry and archive code at start-up.
    const { copyImage } = await import("../../oci/transport/copy.js");
    const result = await copyImage(source, destination, {
      source: client,
      destination: { ...pushOptions(flags, client, progress), extraTags: flags.tag },
      ...(flags.platform ? { platform: parsePlatform(flags.platform) } : { all: true }),
    });
    await report(result, target, flags, "Pushed");
  });
}
