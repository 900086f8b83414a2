/** nixoci's own evaluator and store: evaluation on a big-stack worker, builds in our sandbox. */
import { evaluateInstallableOnWorker } from "../evaluator/flake/evalInstallable.js";
import { buildDerivations, LocalStore } from "../store/index.js";
import { parseStorePath } from "../store/format/index.js";
import type { Backend, RealiseRequest, Realised } from "./backend.js";
import { PipelineError } from "./pipelineError.js";

export const nativeBackend: Backend = {
  async realise(req: RealiseRequest): Promise<Realised> {
    const evaluated = await evaluateInstallableOnWorker(
      { installable: req.installable, cwd: req.cwd, system: req.system, showTrace: req.showTrace, noEvalCache: req.noEvalCache, ...req.flake },
      req.store,
    );
    for (const m of evaluated.messages) req.log(m);
    if (evaluated.error !== undefined || evaluated.info === undefined) throw new PipelineError(evaluated.error ?? "evaluation failed");
    const pkg = evaluated.info;
    const store = new LocalStore({ root: req.store });
    try {
      const wanted = pkg.installOutputs.map((o) => pkg.outputs[o]!);
      if (!wanted.every((p) => store.isValidPath(p))) {
        const { substituterFromFlags } = await import("../store/binaryCache/index.js");
        const substituter = await substituterFromFlags(req.substituters ?? {}, { onProgress: req.log });
        await buildDerivations(store, [pkg.drvPath], {
          substituter,
          maxJobs: req.maxJobs,
          sandbox: !req.noSandbox,
          onBuildStart: (drv) => req.log(`building '${drv}'...`),
          onLogLine: req.printBuildLogs ? (drv, line) => req.log(`${drvName(drv)}> ${line}`) : undefined,
        }).finally(() => substituter?.close());
      }
    } catch (e) {
      store.close();
      throw e;
    }
    return {
      pkg,
      graph: { references: (p) => store.queryReferences(p), narSize: (p) => store.queryPathInfo(p).narSize },
      realStoreDir: store.location.realStoreDir,
      isValidPath: (p) => store.isValidPath(p),
      evalCached: evaluated.cached,
      close: () => store.close(),
    };
  },
};

function drvName(drvPath: string): string {
  return parseStorePath(drvPath).name.replace(/\.drv$/, "");
}
