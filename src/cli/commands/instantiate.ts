import type { Command } from "commander";
import { runOnBigStack } from "../../evaluator/cli/bigStack.js";
import type { RunResult } from "../../evaluator/cli/instantiate.js";
import { parseInstantiateArgs } from "../../evaluator/cli/parseArgs.js";

/** `nixoci instantiate`: nix-instantiate (evaluate, --eval, --parse, write .drv files). */
export function registerInstantiate(program: Command): void {
  program
    .command("instantiate")
    .description("Instantiate store derivations from Nix expressions, or evaluate them (--eval), like nix-instantiate")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument("[args...]", "files or expressions (-E), and nix-instantiate flags")
    .action(async (args: string[]) => {
      const options = parseInstantiateArgs(args, process.cwd(), { ...process.env });
      if (options.inputs.includes("-") && !options.expr) {
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        options.stdin = Buffer.concat(chunks).toString("utf8");
      }
      const r = await runOnBigStack<RunResult>(new URL("../../evaluator/cli/instantiateWorker.js", import.meta.url), options);
      process.stdout.write(Buffer.from(r.stdout, "latin1"));
      process.stderr.write(Buffer.from(r.stderr, "latin1"));
      process.exitCode = r.exitCode;
    });
}
