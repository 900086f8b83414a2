import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { formatGraph, formatTree } from "../../layering/formatters.js";
import type { ClosureGraph } from "../../layering/graph.js";
import { LocalStore, StoreError, collectGarbage, requisitesInNixOrder, showBytes, topoSortPaths, verifyStore } from "../../store/index.js";

interface QueryFlags {
  store?: string;
  requisites?: boolean;
  references?: boolean;
  referrers?: boolean;
  deriver?: boolean;
  tree?: boolean;
  graph?: boolean;
  includeOutputs?: boolean;
}

/** The store's reference graph as layering's ClosureGraph (for the --tree/--graph formatters). */
function closureGraphOf(s: LocalStore): ClosureGraph {
  return { references: (p) => s.queryReferences(p), narSize: (p) => s.queryPathInfo(p).narSize };
}

/** `nixoci store query|verify|gc`: as `nix-store -q`, `nix-store --verify`, `nix-store --gc`. */
export function registerStore(program: Command): void {
  const store = program.command("store").description("operate on the local store (as nix-store)");

  store
    .command("query")
    .alias("q")
    .description("query store paths (as nix-store -q)")
    .argument("<paths...>", "store paths (or links into the store)")
    .option("--store <dir>", "store root")
    .option("-R, --requisites", "the closure, dependencies first")
    .option("--references", "the direct references")
    .option("--referrers", "the paths referring to these")
    .option("-d, --deriver", "the derivation that produced each path")
    .option("--tree", "the closure as a tree (as nix-store -q --tree)")
    .option("--graph", "the closure as a dot graph (as nix-store -q --graph)")
    .option("--include-outputs", "with --requisites: include the outputs of derivations")
    .action((args: string[], flags: QueryFlags) => {
      const kinds = [flags.requisites, flags.references, flags.referrers, flags.deriver, flags.tree, flags.graph].filter(Boolean).length;
      if (kinds !== 1) throw new UsageError("store query needs exactly one of --requisites, --references, --referrers, --deriver, --tree, --graph");
      const s = new LocalStore({ root: flags.store, readOnly: true });
      try {
        const paths = args.map((a) => s.followLinksToStorePath(a));
        if (flags.tree || flags.graph) {
          const graph = closureGraphOf(s);
          process.stdout.write(flags.tree ? formatTree(graph, paths) : formatGraph(graph, paths));
          return;
        }
        let out: string[];
        if (flags.deriver) out = paths.map((p) => s.queryPathInfo(p).deriver ?? "unknown-deriver");
        else if (flags.requisites) out = requisitesInNixOrder(s, paths, flags.includeOutputs);
        else {
          const set = new Set<string>();
          for (const p of paths) for (const q of flags.references ? s.queryReferences(p) : s.queryReferrers(p)) set.add(q);
          out = topoSortPaths(s, set).reverse();
        }
        for (const line of out) process.stdout.write(line + "\n");
      } finally {
        s.close();
      }
    });

  store
    .command("verify")
    .description("check that registered paths exist and (with --check-contents) are unmodified")
    .option("--store <dir>", "store root")
    .option("--check-contents", "re-hash every path and compare with the database")
    .action((flags: { store?: string; checkContents?: boolean }) => {
      const s = new LocalStore({ root: flags.store });
      try {
        process.stderr.write("checking path existence...\n");
        if (flags.checkContents) process.stderr.write("checking hashes...\n");
        const problems = verifyStore(s, { checkContents: flags.checkContents });
        for (const p of problems) process.stderr.write(`error: ${p.message}\n`);
        if (problems.length > 0) throw new StoreError(`${problems.length} problem(s) found in the store`);
      } finally {
        s.close();
      }
    });

  store
    .command("gc")
    .description("delete store paths unreachable from GC roots (as nix-store --gc)")
    .option("--store <dir>", "store root")
    .option("--print-dead", "only print the paths that would be deleted")
    .action((flags: { store?: string; printDead?: boolean }) => {
      const s = new LocalStore({ root: flags.store });
      try {
        process.stderr.write("finding garbage collector roots...\n");
        if (flags.printDead) {
          for (const p of collectGarbage(s, { dryRun: true }).paths) process.stdout.write(p + "\n");
          return;
        }
        process.stderr.write("deleting garbage...\n");
        const result = collectGarbage(s, { onDelete: (p) => process.stderr.write(`deleting '${p}'\n`) });
        process.stdout.write(`${result.paths.length} store paths deleted, ${showBytes(result.bytesFreed)} freed\n`);
      } finally {
        s.close();
      }
    });
}
