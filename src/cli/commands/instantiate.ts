import type { Command } from "commander";
import { stderrWantsAnsi } from "../../evaluator/cli/logText.js";
import { parseInstantiateArgs } from "../../evaluator/cli/parseArgs.js";
import { reportErrors } from "../reportError.js";
import { writeResult } from "../writeOutput.js";

/** `nixoci instantiate`: nix-instantiate (evaluate, --eval, --parse, write .drv files). */
export function registerInstantiate(program: Command): void {
  program
    .command("instantiate")
    .description("Instantiate store derivations from Nix expressions, or evaluate them (--eval), like nix-instantiate")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument("[args...]", "files or expressions (-E), and nix-instantiate flags")
    .action(runInstantiateCommand);
}

/**
 * The command's body. main.ts calls it directly, without commander (whose loading is a large part
 * of a small evaluation's time): every argument is the command's own, as nix-instantiate's are.
 */
export async function runInstantiateCommand(args: string[]): Promise<void> {
  const options = parseInstantiateArgs(args, process.cwd(), { ...process.env });
  options.ansi = stderrWantsAnsi(process.stderr.isTTY, process.env);
  if (options.inputs.includes("-")) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    options.stdin = Buffer.concat(chunks).toString("utf8");
  }
  // Loaded on use: keeps other commands' start-up free of the evaluator.
  const { runInstantiateCli } = await import("../../evaluator/cli/runInstantiate.js");
  const r = await runInstantiateCli(options);
  writeResult(r);
}

/**
 * `nixoci instantiate ARGS` without commander (bin/nixoci.cjs runs it from a CommonJS bundle of its
 * own): commander would only have dropped a leading "--". Errors end as main() ends them.
 */
export function instantiatePlain(args: readonly string[]): Promise<void> {
  return reportErrors(() => runInstantiateCommand(args[0] === "--" ? args.slice(1) : [...args]));
}
