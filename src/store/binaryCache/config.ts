/**
 * Substituter settings: `$XDG_CONFIG_HOME/nixoci/nixoci.conf` in nix.conf
 * syntax (`name = value`, `#` comments, space-separated lists), overridden
 * by command-line flags. Default: no substituters.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { CacheConfigError } from "./errors.js";

export interface SubstituterSettings {
  substituters: string[];
  trustedPublicKeys: string[];
  requireSigs: boolean;
}

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(configHome, "nixoci", "nixoci.conf");
}

const words = (v: string) => v.split(/\s+/).filter((w) => w !== "");

function parseBool(name: string, v: string, source: string): boolean {
  if (v === "true") return true;
  if (v === "false") return false;
  throw new CacheConfigError(`${source}: setting '${name}' has invalid value '${v}' (expected true or false)`);
}

/** Parse nix.conf-style text into settings (unknown names are ignored, as other settings of nix.conf). */
export function parseConfig(text: string, source = "nixoci.conf", base?: SubstituterSettings): SubstituterSettings {
  const s: SubstituterSettings = base
    ? { ...base, substituters: [...base.substituters], trustedPublicKeys: [...base.trustedPublicKeys] }
    : { substituters: [], trustedPublicKeys: [], requireSigs: true };
  text.split("\n").forEach((raw, i) => {
    const hash = raw.indexOf("#");
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line === "") return;
    const eq = line.indexOf("=");
    if (eq < 0) throw new CacheConfigError(`${source}:${i + 1}: syntax error in configuration line '${raw}'`);
    const name = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    switch (name) {
      case "substituters":
        s.substituters = words(value);
        break;
      case "extra-substituters":
        s.substituters.push(...words(value));
        break;
      case "trusted-public-keys":
        s.trustedPublicKeys = words(value);
        break;
      case "extra-trusted-public-keys":
        s.trustedPublicKeys.push(...words(value));
        break;
      case "require-sigs":
        s.requireSigs = parseBool(name, value, `${source}:${i + 1}`);
        break;
      default:
        break;
    }
  });
  return s;
}

/** The config file's settings, or the defaults when it does not exist. */
export function loadConfig(path = defaultConfigPath()): SubstituterSettings {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { substituters: [], trustedPublicKeys: [], requireSigs: true };
    throw new CacheConfigError(`cannot read '${path}': ${(err as Error).message}`);
  }
  return parseConfig(text, path);
}

/** Command-line flags (as commander gives them) over the config file. */
export interface SubstituterFlags {
  substituters?: string;
  trustedPublicKeys?: string;
  requireSigs?: boolean;
}

export function resolveSettings(flags: SubstituterFlags, config = loadConfig()): SubstituterSettings {
  return {
    substituters: flags.substituters !== undefined ? words(flags.substituters) : config.substituters,
    trustedPublicKeys: flags.trustedPublicKeys !== undefined ? words(flags.trustedPublicKeys) : config.trustedPublicKeys,
    requireSigs: flags.requireSigs ?? config.requireSigs,
  };
}

/**
 * The Substituter for these flags and the config file, or undefined when no
 * substituter is configured (the default). Callers close() it when done.
 */
export async function substituterFromFlags(
  flags: SubstituterFlags,
  options: { onProgress?: (line: string) => void } = {},
): Promise<import("./substituter.js").Substituter | undefined> {
  const s = resolveSettings(flags);
  if (s.substituters.length === 0) return undefined;
  const { Substituter } = await import("./substituter.js");
  return new Substituter({
    substituters: s.substituters,
    trustedPublicKeys: s.trustedPublicKeys,
    requireSigs: s.requireSigs,
    onProgress: options.onProgress,
    skipBrokenCaches: true,
  });
}
