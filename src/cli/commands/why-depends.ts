import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { graphFromPathInfoJson, type ClosureGraph } from "../../layering/graph.js";
import { localStoreTree, type StoreTreeReader } from "../../layering/storeTree.js";
import { stripAnsi, whyDepends } from "../../layering/whyDepends.js";

/** What why-depends needs from a store: the reference graph and, for --precise, the files. */
export interface WhyDependsSource {
  graph: ClosureGraph;
  files: StoreTreeReader;
}

export interface GraphProviderOptions {
  /** `--store DIR`: a store rooted at DIR (files under DIR/nix/store), as `nix --store`. */
  store?: string;
  /** `--path-info FILE`: the graph from `nix path-info -r --json` output. */
  pathInfo?: string;
}

/** Opens the graph why-depends reads; the store module supplies one over its DB. */
export type GraphProvider = (options: GraphProviderOptions) => Promise<WhyDependsSource>;

/** Until the store is wired in: the graph from a path-info JSON file, files from --store or /. */
export const pathInfoJsonProvider: GraphProvider = async ({ store, pathInfo }) => {
  if (pathInfo === undefined) {
    throw new UsageError("why-depends needs a store graph: pass --path-info FILE (output of `nix path-info -r --json`)");
  }
  const graph = graphFromPathInfoJson(await readFile(pathInfo, "utf8"));
  return { graph, files: localStoreTree(store ?? "") };
};

interface WhyDependsFlags {
  all?: boolean;
  precise?: boolean;
  ansi: boolean;
  store?: string;
  pathInfo?: string;
}

/** `nixoci why-depends PACKAGE DEPENDENCY`: output byte-identical to `nix why-depends` 2.8. */
export function createWhyDepends(provider: GraphProvider): (program: Command) => void {
  return (program) => {
    program
      .command("why-depends")
      .description("show why a package has another package in its closure (as nix why-depends)")
      .argument("<package>", "store path of the package")
      .argument("<dependency>", "store path of the dependency")
      .option("-a, --all", "show all edges leading from package to dependency, not just a shortest path")
      .option("--precise", "for each edge, show the files in the parent that cause the dependency")
      .option("--no-ansi", "leave out the ANSI colour sequences Nix 2.8 always prints")
      .option("--store <dir>", "store rooted at <dir> (files under <dir>/nix/store)")
      .option("--path-info <file>", "reference graph from `nix path-info -r --json` output")
      .action(async (pkg: string, dep: string, flags: WhyDependsFlags) => {
        const source = await provider({ store: flags.store, pathInfo: flags.pathInfo });
        const result = await whyDepends(source.graph, pkg, dep, {
          all: flags.all ?? false,
          precise: flags.precise ?? false,
          files: source.files,
        });
        if (!result.dependent) {
          process.stderr.write(`${result.message}\n`);
          return;
        }
        process.stdout.write(flags.ansi ? result.output : stripAnsi(result.output));
      });
  };
}

/** The local store (or `--store DIR`): references from its database, files from its directory. */
export const localStoreProvider: GraphProvider = async ({ store }) => {
  const { LocalStore } = await import("../../store/index.js");
  const local = new LocalStore({ root: store ?? process.env.NIXOCI_STORE, readOnly: true });
  const graph: ClosureGraph = {
    references: (p) => local.queryReferences(p),
    narSize: (p) => local.queryPathInfo(p).narSize,
  };
  const realStore = local.location.realStoreDir;
  return { graph, files: localStoreTree(realStore.slice(0, realStore.length - "/nix/store".length)) };
};

export const registerWhyDepends = createWhyDepends((o) => (o.pathInfo !== undefined ? pathInfoJsonProvider(o) : localStoreProvider(o)));
