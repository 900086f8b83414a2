/**
 * `node dist/evaluator/parseCli.js FILE|-`: parse, bind and print like
 * `nix-instantiate --parse`, exiting 1 with Nix's error text on failure.
 * A small entry point for the language-suite runner and for debugging the
 * front end without the evaluator.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { bind } from "./bind.js";
import { NixociError } from "../errors.js";
import { parse } from "./parser.js";
import { parseOnlyGlobalNames } from "./parseOnlyGlobals.js";
import { printAst } from "./printAst.js";

function main(argv: string[]): number {
  const arg = argv[2] ?? "-";
  const text = readFileSync(arg === "-" ? 0 : arg, "utf8");
  const file = arg === "-" ? "«stdin»" : resolve(arg);
  try {
    const expr = parse({ file, text }, { basePath: arg === "-" ? process.cwd() : undefined });
    bind(expr, parseOnlyGlobalNames, text);
    process.stdout.write(`${printAst(expr)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof NixociError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = main(process.argv);
