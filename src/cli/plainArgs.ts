/**
 * Parses a plain command line into exactly the options object commander would build, for the
 * fast paths that run before commander is loaded (noopBuild.ts, commands/pushPlain.ts). "Plain":
 * only the options in the tables, long options with `--name=value` or a separate value, no
 * attached short values, no dash-led values. Anything else is undefined: commander's job.
 */

export interface PlainOptionTables {
  /** Options taking a value → their key in commander's options object. */
  values: Record<string, string>;
  /** Repeatable options (collected into a list). */
  lists: Record<string, string>;
  /** Options without a value → key and value. */
  switches: Record<string, [string, boolean]>;
}

/** Operands in order and the options over `defaults`, or undefined when the line is not plain. */
export function parsePlainArgs(
  args: readonly string[],
  tables: PlainOptionTables,
  defaults: Record<string, unknown>,
): { operands: string[]; flags: Record<string, unknown> } | undefined {
  const flags = { ...defaults };
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("-")) {
      operands.push(arg);
      continue;
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const switched = tables.switches[name];
    if (switched !== undefined) {
      if (eq > 0) return undefined;
      flags[switched[0]] = switched[1];
      continue;
    }
    const key = tables.values[name] ?? tables.lists[name];
    if (key === undefined) return undefined;
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = args[++i];
      // commander would take a dash-led value too; rare enough to leave to it.
      if (value === undefined || value.startsWith("-")) return undefined;
    }
    if (tables.lists[name] !== undefined) flags[key] = [...(flags[key] as string[]), value];
    else flags[key] = value;
  }
  return { operands, flags };
}

/** The defaults commander gives the image flags that `build` and `push` share (addImageFlags), fresh lists each call. */
export function imageFlagDefaults(): Record<string, unknown> {
  return {
    disallow: [],
    env: [],
    port: [],
    label: [],
    evalCache: true,
    overrideInput: [],
    updateInput: [],
    writeLockFile: true,
    sandbox: true,
    backend: "native",
    requireSigs: true,
  };
}
