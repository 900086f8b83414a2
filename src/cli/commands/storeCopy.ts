import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { LocalStore } from "../../store/index.js";
import { parseStorePath } from "../../store/format/index.js";

interface StoreCopyFlags {
  to?: string;
  from?: string;
  store?: string;
  trustedPublicKeys?: string;
  checkSigs: boolean;
  jobs?: string;
}

/** `nixoci store copy --to URL | --from URL PATHS…`: as `nix copy`, between the local store and a binary cache. */
export function registerStoreCopy(program: Command): void {
  // Attach to the store engineer's `nixoci store` command (registered before us), or create it.
  const store = program.commands.find((c) => c.name() === "store") ?? program.command("store").description("operate on the local store");
  store
    .command("copy")
    .description("copy store paths with their closures to or from a binary cache (as nix copy)")
    .argument("<paths...>", "store paths (or links into the store)")
    .option("--to <url>", "destination cache: file:///dir or http(s)://…, with ?compression=xz|zstd|bzip2|none&secret-key=FILE")
    .option("--from <url>", "source cache (file:// or http(s)://)")
    .option("--store <dir>", "local store root")
    .option("--trusted-public-keys <keys>", "with --from: space-separated name:base64 keys (default: from nixoci.conf)")
    .option("--no-check-sigs", "with --from: accept paths without a trusted signature")
    .option("-j, --jobs <n>", "transfers at once")
    .action(async (args: string[], flags: StoreCopyFlags) => {
      if ((flags.to === undefined) === (flags.from === undefined)) throw new UsageError("store copy needs exactly one of --to and --from");
      const jobs = flags.jobs === undefined ? undefined : Number(flags.jobs);
      if (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0)) throw new UsageError(`invalid --jobs '${flags.jobs}'`);
      const { BinaryCache, Substituter, copyToCache, resolveSettings } = await import("../../store/binaryCache/index.js");
      const local = new LocalStore({ root: flags.store });
      try {
        if (flags.to !== undefined) {
          const cache = new BinaryCache(flags.to);
          try {
            await copyToCache(local, cache, args.map((a) => local.followLinksToStorePath(a)), { concurrency: jobs });
          } finally {
            cache.close();
          }
        } else {
          const paths = args.map((a) => {
            parseStorePath(a);
            return a;
          });
          const settings = resolveSettings({ trustedPublicKeys: flags.trustedPublicKeys, requireSigs: flags.checkSigs ? undefined : false });
          const sub = new Substituter({
            substituters: [flags.from!],
            trustedPublicKeys: settings.trustedPublicKeys,
            requireSigs: settings.requireSigs,
            concurrency: jobs,
          });
          try {
            await sub.substitute(local, paths);
          } finally {
            sub.close();
          }
        }
      } finally {
        local.close();
      }
    });
}
