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
  // A byte string (one char per byte), so that columns and string bytes are Nix's.
  const text = readFileSync(arg === "-" ? 0 : arg, "latin1");
  // File names are byte strings too ("«stdin»" in UTF-8).
  const file = Buffer.from(arg === "-" ? "«stdin»" : resolve(arg), "utf8").toString("latin1");
  try {
    const expr = parse({ file, text }, { basePath: arg === "-" ? process.cwd() : undefined });
    bind(expr, parseOnlyGlobalNames, text);
    process.stdout.write(Buffer.from(`${printAst(expr)}\n`, "latin1"));
    return 0;
  } catch (e) {
    if (e instanceof NixociError) {
      process.stderr.write(Buffer.from(`${e.message}\n`, "latin1"));
      return 1;
    }
    throw e;
  }
}

process.exitCode = main(process.argv);
