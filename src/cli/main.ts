import type { Command } from "commander";

/** The program with the commands needed for `argv` (see loadCommands). */
export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const { Command } = await import("commander");
  const { loadCommands } = await import("./commands/index.js");
  const { NIXOCI_VERSION } = await import("../version.js");
  const program = new Command("nixoci")
    .description("Turn a Nix flake into an OCI container image, without Nix installed")
    .version(NIXOCI_VERSION, "-V, --version")
    .showHelpAfterError()
    .exitOverride();
  const args = argv.slice(2);
  const name = args.find((a) => !a.startsWith("-"));
  const versionOnly = name === undefined && args.some((a) => a === "-V" || a === "--version");
  if (!versionOnly) for (const register of await loadCommands(name)) register(program);
  return program;
}

/**
 * Entry point: runs the command and maps errors to exit codes without stack traces for known errors.
 * Modules are loaded as needed (start-up is most of a no-op's time). bin/nixoci.cjs runs a no-op
 * build, a plain push and `instantiate` without this module (and commander), from CommonJS bundles.
 */
export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
  const { CommanderError } = await import("commander");
  const { reportKnownError } = await import("./reportError.js");
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // --help and --version end through CommanderError too, with exit code 0.
    if (err instanceof CommanderError) process.exitCode = err.exitCode;
    else if (!reportKnownError(err)) throw err;
  }
}
