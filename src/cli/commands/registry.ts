/**
 * `nixoci registry add | remove | list`: the user flake registry, the same
 * file Nix 2.8's `nix registry` edits ($XDG_CONFIG_HOME/nix/registry.json),
 * so both tools resolve `nixpkgs` or `flake:foo` the same way.
 */
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { parseFlakeRef } from "../../evaluator/lib/flakeRef.js";
import type { FlakeRefAttrs } from "../../evaluator/flake/lockFile.js";
import { flakeRefToString28, withDirInGitUrl } from "../../evaluator/flake/refString.js";
import { readRegistry, registries, type RegistryType, userRegistryPath, writeRegistry } from "../../evaluator/flake/registry.js";

function parseRef(s: string): FlakeRefAttrs {
  try {
    return parseFlakeRef(s, process.cwd()) as FlakeRefAttrs;
  } catch (e) {
    throw new UsageError(`invalid flake reference '${s}': ${(e as Error).message}`);
  }
}

function parseFrom(s: string): FlakeRefAttrs {
  const ref = parseRef(s);
  if (ref.type !== "indirect") throw new UsageError(`'${s}' is not an indirect flake reference (such as 'nixpkgs' or 'flake:foo')`);
  return ref;
}

/** Nix pads the registry kind to six characters: "user  ", "system", "global". */
const kindLabel: Record<RegistryType, string> = { user: "user  ", system: "system", global: "global" };

export function registerRegistry(program: Command): void {
  const registry = program.command("registry").description("manage the flake registry (as `nix registry`)");
  registry
    .command("add")
    .description("add or replace an entry in the user registry")
    .argument("<from-url>", "the indirect reference to map, e.g. 'nixpkgs' or 'flake:foo/branch'")
    .argument("<to-url>", "what it resolves to")
    .action((from: string, to: string) => {
      const reg = readRegistry(userRegistryPath(), "user");
      const fromRef = parseFrom(from);
      const toRef = withDirInGitUrl(parseRef(to));
      reg.entries = reg.entries.filter((e) => JSON.stringify(sorted(e.from)) !== JSON.stringify(sorted(fromRef)));
      reg.entries.push({ from: fromRef, to: toRef });
      writeRegistry(reg);
    });
  registry
    .command("remove")
    .description("remove an entry from the user registry")
    .argument("<url>", "the indirect reference to remove")
    .action((from: string) => {
      const reg = readRegistry(userRegistryPath(), "user");
      const fromRef = parseFrom(from);
      reg.entries = reg.entries.filter((e) => JSON.stringify(sorted(e.from)) !== JSON.stringify(sorted(fromRef)));
      writeRegistry(reg);
    });
  registry
    .command("list")
    .description("list the registries' entries (user, system, then nixoci's built-in global registry)")
    .action(() => {
      for (const reg of registries()) {
        for (const e of reg.entries) {
          process.stdout.write(`${kindLabel[reg.type]} ${flakeRefToString28(e.from)} ${flakeRefToString28(e.to)}\n`);
        }
      }
    });
}

function sorted(o: FlakeRefAttrs): FlakeRefAttrs {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]!]));
}
