/** Running `nixoci flake …` subcommands on a big-stack worker with their own store handle. */
import type { FlakeCommandRequest, FlakeCommandResult } from "./flakeCommands.js";

export type { FlakeCommandRequest, FlakeCommandResult };

export async function runFlakeCommandOnWorker(request: FlakeCommandRequest, storeRoot: string | undefined): Promise<FlakeCommandResult> {
  const { runOnBigStack } = await import("../cli/bigStack.js");
  return runOnBigStack<FlakeCommandResult>(new URL("./flakeCommandWorker.js", import.meta.url), { request, storeRoot });
}
