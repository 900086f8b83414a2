/**
 * `__structuredAttrs`: the `.attrs.json` and `.attrs.sh` files Nix 2.8
 * writes into the build directory (parsed-derivations.cc).
 */
import { compareBytes } from "../format/index.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * JSON as nlohmann::json's dump(): object keys in byte order (std::map),
 * no spaces. Strings escape like JSON.stringify (both leave non-ASCII as is).
 */
export function dumpJson(value: Json): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(dumpJson).join(",")}]`;
  const keys = Object.keys(value).sort(compareBytes);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${dumpJson(value[k]!)}`).join(",")}}`;
}

const SH_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Nix's shellEscape: single quotes, with ' written as '\''. */
export function shellEscape(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

function simpleShellValue(value: Json): string | undefined {
  if (typeof value === "string") return shellEscape(value);
  // Nix converts through float and prints only whole numbers (as int).
  if (typeof value === "number") {
    const f = Math.fround(value);
    return Math.ceil(f) === f ? String(Math.trunc(value)) : undefined;
  }
  if (value === null) return "''";
  if (typeof value === "boolean") return value ? "1" : "";
  return undefined;
}

/** The `.attrs.sh` text: bash `declare`s for what bash can represent (writeStructuredAttrsShell). */
export function structuredAttrsShell(json: { [k: string]: Json }): string {
  let out = "";
  for (const key of Object.keys(json).sort(compareBytes)) {
    if (!SH_VAR_NAME.test(key)) continue;
    const value = json[key]!;
    const simple = simpleShellValue(value);
    if (simple !== undefined) {
      out += `declare ${key}=${simple}\n`;
    } else if (Array.isArray(value)) {
      const items = value.map(simpleShellValue);
      if (items.every((s) => s !== undefined)) out += `declare -a ${key}=(${items.map((s) => `${s} `).join("")})\n`;
    } else if (typeof value === "object" && value !== null) {
      const keys = Object.keys(value).sort(compareBytes);
      const items = keys.map((k) => [k, simpleShellValue(value[k]!)] as const);
      if (items.every(([, s]) => s !== undefined))
        out += `declare -A ${key}=(${items.map(([k, s]) => `[${shellEscape(k)}]=${s} `).join("")})\n`;
    }
  }
  return out;
}

export type { Json };
