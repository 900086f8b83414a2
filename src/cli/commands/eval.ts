import type { Command } from "commander";

/** `nixoci eval`: evaluate an expression or file like `nix eval` (--expr/--file, attribute path, --json, --raw). */
export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("Evaluate a Nix expression (--expr) or file (--file) and print the result, like nix eval")
    .argument("[installable]", "attribute path within the --expr/--file value", "")
    .option("--expr <expr>", "evaluate this expression")
    .option("-f, --file <file>", "evaluate this file ('-' for stdin)")
    .option("--apply <function>", "apply this function to the value before printing")
    .option("--json", "print as JSON", false)
    .option("--raw", "print a string without quotes or escaping", false)
    .option("-I, --include <path>", "add to the search path", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--show-trace", "show the evaluation trace on errors", false)
    .action(async (installable: string, opts: { expr?: string; file?: string; apply?: string; json: boolean; raw: boolean; include: string[]; showTrace: boolean }) => {
      // Loaded on use: keeps other commands' start-up free of the evaluator.
      const { runNixEvalCli } = await import("../../evaluator/cli/runNixEval.js");
      const r = await runNixEvalCli({
        expr: opts.expr,
        file: opts.file,
        attrPath: installable.startsWith(".#") ? installable.slice(2) : installable,
        apply: opts.apply,
        json: opts.json,
        raw: opts.raw,
        includes: opts.include,
        showTrace: opts.showTrace,
        cwd: process.cwd(),
        env: { ...process.env },
      });
      process.stdout.write(Buffer.from(r.stdout, "latin1"));
      process.stderr.write(Buffer.from(r.stderr, "latin1"));
      process.exitCode = r.exitCode;
    });
}
