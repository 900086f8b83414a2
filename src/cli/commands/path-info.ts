import type { Command } from "commander";
import { LocalStore, pathInfoJson, pathInfoLines, topoSortPaths } from "../../store/index.js";

interface PathInfoFlags {
  store?: string;
  recursive?: boolean;
  size?: boolean;
  closureSize?: boolean;
  humanReadable?: boolean;
  json?: boolean;
  sigs?: boolean;
}

/** `nixoci path-info`: as `nix path-info` 2.8 (plain columns or --json). */
export function registerPathInfo(program: Command): void {
  program
    .command("path-info")
    .description("query information about store paths (as nix path-info)")
    .argument("<paths...>", "store paths (or links into the store)")
    .option("--store <dir>", "store root")
    .option("-r, --recursive", "apply to the closure of the paths")
    .option("-s, --size", "print the NAR size")
    .option("-S, --closure-size", "print the sum of the NAR sizes of the closure")
    .option("-h, --human-readable", "sizes in K/M/G")
    .option("--sigs", "show signatures (and ultimate/ca)")
    .option("--json", "JSON output")
    .action((args: string[], flags: PathInfoFlags) => {
      const store = new LocalStore({ root: flags.store, readOnly: true });
      try {
        let paths = args.map((a) => store.followLinksToStorePath(a));
        if (flags.recursive) paths = store.computeClosure(paths);
        else if (!flags.json) for (const p of paths) store.queryPathInfo(p); // invalid → error, as Nix
        if (flags.json) process.stdout.write(pathInfoJson(store, paths, { closureSize: flags.closureSize }) + "\n");
        else
          // Nix prints dependencies first (reversed topological order), with or without -r.
          for (const line of pathInfoLines(store, topoSortPaths(store, paths).reverse(), {
            size: flags.size,
            closureSize: flags.closureSize,
            human: flags.humanReadable,
            sigs: flags.sigs,
          }))
            process.stdout.write(line + "\n");
      } finally {
        store.close();
      }
    });
}
