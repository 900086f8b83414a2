import type { Command } from "commander";
import { LocalStore, StoreError, readBuildLog } from "../../store/index.js";

/** `nixoci log DRV|OUTPUT`: the stored build log of a derivation (or of an output's deriver). */
export function registerLog(program: Command): void {
  program
    .command("log")
    .description("show the build log of a derivation or of the derivation that produced a path")
    .argument("<path>", ".drv or output path (or a link such as ./result)")
    .option("--store <dir>", "store root")
    .action((arg: string, flags: { store?: string }) => {
      const store = new LocalStore({ root: flags.store, readOnly: true });
      try {
        const path = store.followLinksToStorePath(arg);
        const candidates = path.endsWith(".drv")
          ? [path]
          : [store.db.queryPathInfo(path)?.deriver, ...store.queryValidDerivers(path)].filter((d): d is string => d !== undefined);
        for (const drv of candidates) {
          const log = readBuildLog(store.location.logDir, drv);
          if (log !== undefined) {
            process.stdout.write(log);
            return;
          }
        }
        throw new StoreError(`build log of '${path}' is not available`, path);
      } finally {
        store.close();
      }
    });
}
