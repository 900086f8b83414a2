/**
 * `--backend nix`: a real Nix evaluates and builds (so its daemon, remote
 * builders and binary caches apply); nixoci only layers and writes the image.
 * Works with Nix ≥ 2.8 (`nix eval`/`nix build --json`/`nix path-info --json`).
 */
import { execa } from "execa";
import { join } from "node:path";
import type { PackageInfo } from "../evaluator/flake/evalInstallable.js";
import { MapClosureGraph, type PathInfoEntry } from "../layering/index.js";
import type { Backend, RealiseRequest, Realised } from "./backend.js";
import { PipelineError } from "./pipelineError.js";

/** What we need from the package, computed by Nix itself. */
const extractExpr = `p: {
  inherit (p) drvPath name;
  system = p.system or null;
  outputNames = p.outputs or [ "out" ];
  outputs = builtins.listToAttrs (map (o: { name = o; value = p.\${o}.outPath; }) (p.outputs or [ "out" ]));
  pname = p.pname or null;
  version = p.version or null;
  mainProgram = p.meta.mainProgram or null;
  outputsToInstall = p.meta.outputsToInstall or null;
  nixoci = p.nixoci or null;
}`;

interface Extracted {
  drvPath: string;
  name: string;
  system: string | null;
  outputNames: string[];
  outputs: Record<string, string>;
  pname: string | null;
  version: string | null;
  mainProgram: string | null;
  outputsToInstall: string[] | null;
  nixoci: unknown;
}

export const nixBackend: Backend = {
  async realise(req: RealiseRequest): Promise<Realised> {
    const f = req.flake ?? {};
    const flakeFlags = [
      ...(f.impure ? ["--impure"] : []),
      ...(f.noWriteLock ? ["--no-write-lock-file"] : []),
      ...(f.updateInputs ?? []).flatMap((i) => ["--update-input", i]),
      ...Object.entries(f.overrideInputs ?? {}).flatMap(([i, ref]) => ["--override-input", i, ref]),
    ];
    const common = [...(req.store ? ["--store", req.store] : []), "--system", req.system, ...flakeFlags];
    const nix = async (args: string[]): Promise<string> => {
      const r = await execa("nix", [...args], { cwd: req.cwd, reject: false });
      if (r.exitCode !== 0) {
        const err = String(r.stderr).split("\n").filter((l) => !/^warning: Git tree .* is dirty$/.test(l)).join("\n");
        throw new PipelineError(err.trim() || `nix ${args[0]} failed with exit code ${r.exitCode}`);
      }
      return String(r.stdout);
    };
    const installable = req.installable.includes("#") || !req.installable ? req.installable || ".#default" : req.installable;
    const ex = JSON.parse(await nix(["eval", ...common, "--json", installable, "--apply", extractExpr, ...(req.showTrace ? ["--show-trace"] : [])])) as Extracted;
    req.log(`building ${ex.drvPath} with nix`);
    await nix(["build", ...common, "--no-link", ...(req.printBuildLogs ? ["-L"] : []), ...(req.maxJobs ? ["--max-jobs", String(req.maxJobs)] : []), installable]);
    const installOutputs = ex.outputsToInstall ?? [ex.outputNames[0]!];
    const roots = installOutputs.map((o) => ex.outputs[o]!);
    const infos = JSON.parse(await nix(["path-info", ...common, "--json", "-r", ...roots])) as PathInfoEntry[];
    const graph = new MapClosureGraph(infos);
    const valid = new Set(infos.map((i) => i.path));
    const dash = ex.name.search(/-[^a-zA-Z]/);
    const pkg: PackageInfo = {
      attrPath: [],
      drvPath: ex.drvPath,
      outputs: ex.outputs,
      installOutputs,
      name: ex.name,
      pname: ex.pname ?? (dash >= 0 ? ex.name.slice(0, dash) : ex.name),
      version: ex.version ?? (dash >= 0 ? ex.name.slice(dash + 1) : ""),
      system: ex.system ?? req.system,
      mainProgram: ex.mainProgram ?? undefined,
      settings: ex.nixoci ?? undefined,
      // Nix's JSON drops string context; paths the settings mention are not added as roots.
      settingsReferences: [],
      flake: { url: installable },
    };
    return {
      pkg,
      graph,
      realStoreDir: req.store ? join(req.store, "nix/store") : "/nix/store",
      isValidPath: (p) => valid.has(p),
      evalCached: false,
      close: () => {},
    };
  },
};
