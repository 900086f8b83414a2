/**
 * `nixoci flake lock | update | metadata | show`: Nix 2.8's `nix flake`
 * subcommands, with the same output (see evaluator/flake/flakeCommands.ts).
 */
import type { Command } from "commander";
import { NixociError, UsageError } from "../../errors.js";
import { runFlakeCommandOnWorker, type FlakeCommandRequest } from "../../evaluator/flake/flakeCommandsOnWorker.js";

interface FlakeFlags {
  updateInput: string[];
  overrideInput: string[];
  json?: boolean;
  legacy?: boolean;
  writeLockFile: boolean;
  impure?: boolean;
  system?: string;
  store?: string;
  showTrace?: boolean;
}

class FlakeCommandError extends NixociError {}

const collect = (v: string, prev: string[]) => [...prev, v];

/** Where this machine's builds run (Nix's `system`). */
function hostSystem(): string {
  const arch = process.arch === "x64" ? "x86_64" : process.arch === "arm64" ? "aarch64" : process.arch;
  return `${arch}-${process.platform}`;
}

/**
 * `--override-input` takes exactly two arguments, which commander cannot say:
 * its variadic option swallows the flake reference that may follow. Values
 * are taken in pairs; one left over is the flake reference, as Nix reads it.
 */
export function overridePairs(list: string[], flakeRef: string | undefined): { overrides: Record<string, string>; flakeRef: string | undefined } {
  const overrides: Record<string, string> = {};
  let i = 0;
  for (; i + 1 < list.length; i += 2) overrides[list[i]!] = list[i + 1]!;
  if (i < list.length) {
    if (flakeRef !== undefined) throw new UsageError("'--override-input' needs two arguments: an input path and a flake reference");
    flakeRef = list[i];
  }
  return { overrides, flakeRef };
}

async function run(command: FlakeCommandRequest["command"], givenRef: string | undefined, flags: FlakeFlags): Promise<void> {
  const { overrides, flakeRef } = overridePairs(flags.overrideInput, givenRef);
  const result = await runFlakeCommandOnWorker(
    {
      command,
      flakeRef,
      cwd: process.cwd(),
      system: flags.system ?? hostSystem(),
      json: flags.json,
      legacy: flags.legacy,
      updateInputs: flags.updateInput,
      overrideInputs: overrides,
      noWriteLock: !flags.writeLockFile,
      impure: flags.impure,
      showTrace: flags.showTrace,
    },
    flags.store,
  );
  for (const [fd, line] of result.output) (fd === 1 ? process.stdout : process.stderr).write(`${line}\n`);
  if (result.error !== undefined) throw new FlakeCommandError(result.error);
}

function common(cmd: Command): Command {
  return cmd
    .argument("[flake-url]", "the flake (default: the one in the current directory)")
    .option("--update-input <input-path>", "update a specific flake input (ignoring its previous entry in the lock file)", collect, [])
    .option("--override-input <input-path-and-flake-url...>", "override a specific flake input: an input path (e.g. `dwarffs/nixpkgs`) and a flake reference", collect, [])
    .option("--no-write-lock-file", "do not write the flake's newly generated lock file")
    .option("--impure", "allow access to mutable paths and repositories")
    .option("--system <system>", "the system to evaluate for (default: this machine's)")
    .option("--store <dir>", "store root (default: $NIXOCI_STORE or the local store)")
    .option("--show-trace", "show the evaluation trace on errors");
}

export function registerFlake(program: Command): void {
  const flake = program.command("flake").description("manage Nix flakes (as `nix flake`)");
  common(flake.command("lock").description("create missing lock file entries"))
    .action((ref: string | undefined, flags: FlakeFlags) => run("lock", ref, flags));
  common(flake.command("update").description("update the flake lock file (all inputs)"))
    .action((ref: string | undefined, flags: FlakeFlags) => run("update", ref, flags));
  common(flake.command("metadata").alias("info").description("show flake metadata"))
    .option("--json", "produce output in JSON format")
    .action((ref: string | undefined, flags: FlakeFlags) => run("metadata", ref, flags));
  common(flake.command("show").description("show the outputs provided by a flake"))
    .option("--json", "produce output in JSON format")
    .option("--legacy", "show the contents of the `legacyPackages` output")
    .action((ref: string | undefined, flags: FlakeFlags) => run("show", ref, flags));
}
