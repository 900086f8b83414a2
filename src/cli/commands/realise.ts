import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { LocalStore, buildDerivations, createOutLink, parseSandboxPaths, readDerivation } from "../../store/index.js";

interface RealiseFlags {
  store?: string;
  maxJobs?: string;
  keepGoing?: boolean;
  sandbox: boolean;
  printBuildLogs?: boolean;
  /** A name (-o), false (--no-out-link) or undefined (default "result"). */
  outLink?: string | false;
  keepFailed?: boolean;
  cores?: string;
  sandboxPaths?: string;
  substituters?: string; trustedPublicKeys?: string; requireSigs?: boolean; // binary caches (src/store/binaryCache)
}

/** Out-link names as nix-build: result, result-2 for the 2nd derivation; -<output> for outputs other than out. */
function outLinkName(base: string, index: number, output: string): string {
  let name = base;
  if (index > 0) name += `-${index + 1}`;
  if (output !== "out") name += `-${output}`;
  return name;
}

/** `nixoci realise DRV...`: build derivations (sandboxed), print output paths, create `result` out-links (GC roots). */
export function registerRealise(program: Command): void {
  program
    .command("realise")
    .alias("realize")
    .description("build store derivations (.drv) in the sandbox and print their output paths")
    .argument("<drvs...>", ".drv store paths (or links to them)")
    .option("--store <dir>", "store root (objects under <dir>/nix/store); default $NIXOCI_STORE or the user store")
    .option("-j, --max-jobs <n>", "builders to run at once (default: number of cores)")
    .option("--cores <n>", "NIX_BUILD_CORES for builders (default: number of cores)")
    .option("-k, --keep-going", "keep building independent derivations after a failure")
    .option("--no-sandbox", "run builders without a sandbox (needs the store at /nix/store; unsafe)")
    .option("-L, --print-build-logs", "stream build logs, prefixed with the derivation name")
    .option("-o, --out-link <path>", "out-link name (default: result)")
    .option("--no-out-link", "do not create out-links (outputs may then be garbage collected)")
    .option("-K, --keep-failed", "keep the build directory of failed builds")
    .option("--sandbox-paths <spec>", "host paths in the sandbox, as Nix's sandbox-paths ('/bin/sh=/usr/bin/busybox /etc/x?'); default: busybox as /bin/sh")
    .option("--substituters <urls>", "binary caches to fetch outputs from, space-separated (default: nixoci.conf, else none)")
    .option("--trusted-public-keys <keys>", "keys whose signatures are trusted on substitutes, space-separated")
    .option("--no-require-sigs", "accept substitutes without a trusted signature")
    .action(async (args: string[], flags: RealiseFlags) => {
      const maxJobs = flags.maxJobs === undefined ? undefined : Number(flags.maxJobs);
      if (maxJobs !== undefined && !(Number.isInteger(maxJobs) && maxJobs > 0)) throw new UsageError(`invalid --max-jobs '${flags.maxJobs}'`);
      if (!flags.sandbox)
        process.stderr.write("warning: SANDBOXING IS DISABLED (--no-sandbox): builders can read and modify anything you can!\n");
      const store = new LocalStore({ root: flags.store });
      try {
        const drvs = args.map((a) => store.followLinksToStorePath(a));
        for (const d of drvs) if (!d.endsWith(".drv")) throw new UsageError(`'${d}' is not a derivation (.drv)`);
        const names = new Map(drvs.map((d) => [d, readDerivation(store, d).name]));
        const { substituterFromFlags } = await import("../../store/binaryCache/index.js");
        const { substituters, trustedPublicKeys, requireSigs } = flags;
        const substituter = await substituterFromFlags({ substituters, trustedPublicKeys, requireSigs: requireSigs === false ? false : undefined });
        const results = await buildDerivations(store, drvs, {
          substituter,
          maxJobs,
          keepGoing: flags.keepGoing,
          sandbox: flags.sandbox,
          keepFailed: flags.keepFailed,
          sandboxPaths: flags.sandboxPaths === undefined ? undefined : parseSandboxPaths(flags.sandboxPaths),
          buildCores: flags.cores === undefined ? undefined : Number(flags.cores),
          onBuildStart: (d) => process.stderr.write(`building '${d}'...\n`),
          onLogLine: flags.printBuildLogs ? (d, line) => process.stderr.write(`${names.get(d) ?? readDerivation(store, d).name}> ${line}\n`) : undefined,
        }).finally(() => substituter?.close());
        drvs.forEach((d, i) => {
          for (const [output, path] of results.get(d)!) {
            if (flags.outLink !== false) createOutLink(store, outLinkName(flags.outLink ?? "result", i, output), path);
            process.stdout.write(`${path}\n`);
          }
        });
      } finally {
        store.close();
      }
    });
}
