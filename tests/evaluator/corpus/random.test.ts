// Live differential test: random expressions (randomExpr.ts, fixed seeds) evaluated by our evaluator
// in-process and by Nix 2.8 (`nix-instantiate --eval --strict`, with a throwaway store for
// derivations and toFile) must give the same output, or both an error. The written corpus
// (differential.test.ts) checks what we thought of; this finds what we did not (it found `s ? a`
// forcing the value it finds). Where current Nix, which we follow, differs from 2.8 on purpose,
// the case is counted apart, by one rule each, below.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { haveTools } from "../../helpers/tools.js";
import { evalStrict } from "../core/helpers.js";
import { gen, setSeed } from "./randomExpr.js";

// More, or other, cases when looking for bugs: NIXOCI_RANDOM_CASES=5000 NIXOCI_RANDOM_SEED=2.
const CASES = Number(process.env.NIXOCI_RANDOM_CASES ?? 400);
const SEED = Number(process.env.NIXOCI_RANDOM_SEED ?? 1);
const pexec = promisify(execFile);
const store = mkdtempSync(join(tmpdir(), "nixoci-random-store-"));
afterAll(() => {
  // The store's paths are read-only; synchronously, so the directory is gone before vitest exits.
  execFileSync("chmod", ["-R", "u+w", store]);
  rmSync(store, { recursive: true, force: true });
});

/** Nix's output, undefined for an error. (A leading space: `-E -2` would read -2 as an option.) */
async function nixOut(expr: string): Promise<string | undefined> {
  try {
    const r = await pexec("nix-instantiate", ["--eval", "--strict", "--read-write-mode", "--store", store, "-E", ` ${expr}`], {
      env: { PATH: process.env.PATH, HOME: "/homeless", NIX_PATH: "" },
    });
    return r.stdout.replace(/\n$/, "");
  } catch {
    return undefined;
  }
}

function ourOut(expr: string): { out?: string; error?: string } {
  try {
    return { out: evalStrict(expr) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** Why a difference is one between Nix 2.8 and current Nix, or undefined. */
function versionDelta(expr: string, nix: string | undefined, ours: { out?: string; error?: string }): string | undefined {
  // 2.8 wrapped around (and truncated floor/ceil's results); current Nix reports it.
  if (ours.error !== undefined && /integer overflow|NixOS\/nix\/issues\/12899|not in the range of NixInt/.test(ours.error)) return "int range";
  // Current Nix's JSON library refuses a string that is not UTF-8 (eval-fail-toJSON-non-utf-8); 2.8 wrote its bytes.
  if (ours.error !== undefined && ours.error.startsWith("JSON serialization error: [json.exception.type_error.316]")) return "toJSON of non-UTF-8";
  // Current Nix forces replaceStrings' replacements only where they are used.
  if (nix === undefined && ours.out !== undefined && expr.includes("replaceStrings")) return "lazy replaceStrings";
  return undefined;
}

/** 2.8 printed every `$` in a string as `\$`; current Nix only a `${`. */
const currentNixPrint = (s: string): string => s.replace(/((?:^|[^\\])(?:\\\\)*)\\\$(?!\{)/g, "$1$");

describe.skipIf(!haveTools("nix-instantiate"))("random expressions, vs Nix 2.8", () => {
  it(`${CASES} cases give Nix's output or Nix's failure`, async () => {
    const exprs = Array.from({ length: CASES }, (_, i) => {
      setSeed(7919 * (i + 1) * SEED);
      return gen("any");
    });
    const nix: (string | undefined)[] = new Array(CASES);
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < CASES) {
          const i = next++;
          nix[i] = await nixOut(exprs[i]!);
        }
      }),
    );
    const differ: string[] = [];
    let values = 0;
    const deltas: Record<string, number> = {};
    exprs.forEach((expr, i) => {
      const ours = ourOut(expr);
      const theirs = nix[i];
      if (theirs !== undefined) values++;
      const same = theirs === undefined ? ours.error !== undefined : ours.out !== undefined && (ours.out === theirs || ours.out === currentNixPrint(theirs));
      if (same) return;
      const delta = versionDelta(expr, theirs, ours);
      if (delta !== undefined) deltas[delta] = (deltas[delta] ?? 0) + 1;
      else differ.push(`${expr}\n  nix:  ${theirs ?? "(error)"}\n  ours: ${ours.out ?? `(error) ${ours.error}`}`);
    });
    expect(differ).toEqual([]);
    // Enough cases where Nix has a value that the comparison means something.
    expect(values).toBeGreaterThan(CASES * 0.4);
    expect(Object.values(deltas).reduce((a, b) => a + b, 0)).toBeLessThan(CASES * 0.1);
  }, 600_000);
});
