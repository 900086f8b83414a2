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
 * Modules are loaded as needed (start-up is most of a no-op's time). A no-op build never gets here:
 * bin/nixoci.cjs answers it with noopBuild.ts before loading this module.
 */
export async function main(argv: string[]): Promise<void> {
  if (argv[2] === "push") {
    // A plain push of an existing image runs without commander (a no-op push is mostly start-up).
    const { pushPlain } = await import("./commands/pushPlain.js");
    if (await pushPlain(argv.slice(3))) return;
  }
  if (argv[2] === "instantiate") {
    // Every argument is nix-instantiate's own (commander only dropped a leading "--"), so a small
    // evaluation does not wait for commander to load.
    const { runInstantiateCommand } = await import("./commands/instantiate.js");
    const args = argv.slice(3);
    return reportErrors(() => runInstantiateCommand(args[0] === "--" ? args.slice(1) : args));
  }
  const program = await buildProgram(argv);
  const { CommanderError } = await import("commander");
  await reportErrors(() => program.parseAsync(argv), (err) => {
    // --help and --version end through here with exit code 0.
    if (!(err instanceof CommanderError)) return false;
    process.exitCode = err.exitCode;
    return true;
  });
}

/** Runs `run`; a known error becomes its message on stderr and its exit code, without a stack trace. */
async function reportErrors(run: () => Promise<unknown>, handled: (err: unknown) => boolean = () => false): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (handled(err)) return;
    const { NixociError } = await import("../errors.js");
    if (!(err instanceof NixociError)) throw err;
    process.stderr.write(err.message.startsWith("error:") ? `${err.message}\n` : `error: ${err.message}\n`);
    process.exitCode = err.exitCode;
  }
}
