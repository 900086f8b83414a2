/**
 * `nixoci copy SRC DST` between registries and local layouts/archives with
 * skopeo's transport names, plus the registry flags shared with `nixoci push`.
 */
import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import type { RegistryClientOptions } from "../../oci/registry/client.js";
import { progressFor, silentProgress, type ProgressReporter } from "../../oci/registry/progress.js";
import { parsePlatform } from "../../oci/registry/platform.js";
import type { PushOptions, PushResult } from "../../oci/registry/push.js";
import type { RetryOptions } from "../../oci/registry/retry.js";
import type { CopyResult } from "../../oci/transport/copy.js";
import { parseImageLocation } from "../../oci/transport/location.js";

/** Flags common to copy and push. */
export interface RegistryFlags {
  authfile?: string;
  jobs: string;
  retries: string;
  retryBudget: string;
  chunkSize?: string;
  json?: boolean;
  digestfile?: string;
  debug?: boolean;
  quiet?: boolean;
  blobCache: boolean;
}

export function parseBool(v: string, flag: string): boolean {
  if (["true", "1", "yes"].includes(v)) return true;
  if (["false", "0", "no"].includes(v)) return false;
  throw new UsageError(`${flag} takes true or false, not '${v}'`);
}

export function parseSize(v: string, flag: string): number {
  const m = /^(\d+)([kmg]i?b?)?$/i.exec(v.trim());
  if (!m) throw new UsageError(`${flag} must be a byte count like 65536, 64M or 1G`);
  const unit = (m[2] ?? "").toLowerCase()[0];
  return Number(m[1]) * (unit === "k" ? 1024 : unit === "m" ? 1024 ** 2 : unit === "g" ? 1024 ** 3 : 1);
}

function parsePositive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, not '${v}'`);
  return n;
}

export function addRegistryFlags(cmd: Command): Command {
  return cmd
    .option("--authfile <file>", "auth file to use instead of the default search (containers auth.json / docker config.json)")
    .option("-j, --jobs <n>", "blobs transferred at once", "4")
    .option("--retries <n>", "attempts per request on 408/429/5xx and dropped connections", "5")
    .option("--retry-budget <n>", "retries allowed across the whole operation", "50")
    .option("--chunk-size <bytes>", "upload blobs larger than this in PATCH chunks of this size (e.g. 64M)")
    .option("--no-blob-cache", "do not read or record where blobs were seen (cross-repository mounts)")
    .option("--json", "print a JSON summary on stdout")
    .option("--digestfile <file>", "write the manifest digest to this file")
    .option("--debug", "log every HTTP request and response to stderr (secrets redacted)")
    .option("-q, --quiet", "no progress output");
}

export function clientOptions(flags: RegistryFlags, creds: string | undefined, tlsVerify: boolean | undefined): RegistryClientOptions {
  const retry: RetryOptions = {
    attempts: parsePositive(flags.retries, "--retries"),
    budget: Number(flags.retryBudget),
  };
  return {
    ...(tlsVerify !== undefined ? { tlsVerify } : {}),
    credentials: { ...(creds !== undefined ? { creds } : {}), ...(flags.authfile ? { authFile: flags.authfile } : {}) },
    retry,
    ...(flags.debug ? { debug: (line: string) => void process.stderr.write(`debug: ${line}\n`) } : {}),
  };
}

export function pushOptions(flags: RegistryFlags, client: RegistryClientOptions, progress: ProgressReporter): PushOptions {
  return {
    ...client,
    jobs: parsePositive(flags.jobs, "--jobs"),
    ...(flags.chunkSize ? { chunkSize: parseSize(flags.chunkSize, "--chunk-size") } : {}),
    ...(flags.blobCache ? {} : { blobLocations: false as const }),
    progress,
  };
}

export function progressFromFlags(flags: RegistryFlags): ProgressReporter {
  return flags.quiet ? silentProgress : progressFor(process.stderr);
}

/** Digest file, JSON summary or a one-line human summary. */
export async function report(result: CopyResult, destination: string, flags: RegistryFlags, verb = "Copied to"): Promise<void> {
  if (flags.digestfile) await writeFile(flags.digestfile, result.digest);
  const push: PushResult | undefined = result.push;
  if (flags.json) {
    const summary = {
      destination,
      digest: result.digest,
      mediaType: result.mediaType,
      ...(push
        ? {
            reference: push.reference,
            size: push.size,
            tags: push.tags,
            blobs: push.blobs,
            requests: push.requests,
            retries: push.retries,
          }
        : {}),
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  if (flags.quiet) return;
  const counts = push ? ` (${push.blobs.pushed.length} pushed, ${push.blobs.mounted.length} mounted, ${push.blobs.skipped.length} already present)` : "";
  process.stderr.write(`${verb} ${destination}: ${result.digest}${counts}\n`);
}

interface CopyFlags extends RegistryFlags {
  creds?: string;
  srcCreds?: string;
  destCreds?: string;
  tlsVerify?: string;
  srcTlsVerify?: string;
  destTlsVerify?: string;
  insecure?: boolean;
  platform?: string;
  all?: boolean;
}

export function registerCopy(program: Command): void {
  const cmd = program
    .command("copy")
    .description("Copy an image: docker://REF, oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG]")
    .argument("<source>", "image to copy")
    .argument("<destination>", "where to put it")
    .option("--creds <user:pass>", "credentials for both registries")
    .option("--src-creds <user:pass>", "credentials for the source registry")
    .option("--dest-creds <user:pass>", "credentials for the destination registry")
    .option("--tls-verify <bool>", "verify TLS for both registries (false also allows plain HTTP)")
    .option("--src-tls-verify <bool>", "verify TLS for the source registry")
    .option("--dest-tls-verify <bool>", "verify TLS for the destination registry")
    .option("--insecure", "same as --tls-verify=false")
    .option("--platform <os/arch[/variant]>", "image to pick from a multi-platform source (default linux/amd64)")
    .option("-a, --all", "copy every image of a multi-platform index");
  addRegistryFlags(cmd).action(async (src: string, dst: string, flags: CopyFlags) => {
    const both = flags.insecure ? false : flags.tlsVerify !== undefined ? parseBool(flags.tlsVerify, "--tls-verify") : undefined;
    const srcTls = flags.srcTlsVerify !== undefined ? parseBool(flags.srcTlsVerify, "--src-tls-verify") : both;
    const dstTls = flags.destTlsVerify !== undefined ? parseBool(flags.destTlsVerify, "--dest-tls-verify") : both;
    const source = parseImageLocation(src);
    const destination = parseImageLocation(dst);
    const progress = progressFromFlags(flags);
    // Loaded on use so other commands do not pay for the registry and archive code at start-up.
    const { copyImage } = await import("../../oci/transport/copy.js");
    const result = await copyImage(source, destination, {
      source: clientOptions(flags, flags.srcCreds ?? flags.creds, srcTls),
      destination: pushOptions(flags, clientOptions(flags, flags.destCreds ?? flags.creds, dstTls), progress),
      ...(flags.all ? { all: true } : {}),
      ...(flags.platform ? { platform: parsePlatform(flags.platform) } : {}),
      progress,
    });
    await report(result, dst, flags);
  });
}
