/**
 * Where credentials for a registry come from, first match wins:
 *   1. explicit `--creds user:pass`;
 *   2. containers auth files: $REGISTRY_AUTH_FILE, else ${XDG_RUNTIME_DIR}/containers/auth.json,
 *      then $XDG_CONFIG_HOME/containers/auth.json (skopeo/podman);
 *   3. Docker's config: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
 *   In each file: `credHelpers[host]`, then `auths` (base64 `auth`, or username/password,
 *   identitytoken), then the default `credsStore` helper;
 *   4. GITHUB_TOKEN (user GITHUB_ACTOR) for ghcr.io.
 * Secrets never appear in errors or logs.
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { NixociError } from "../../errors.js";
import { DOCKER_HUB } from "./reference.js";

export interface Credential {
  readonly username?: string;
  readonly password?: string;
  /** OAuth2 refresh token (docker's `identitytoken`), exchanged at the token realm. */
  readonly identityToken?: string;
  /** A ready bearer token (docker's `registrytoken`). */
  readonly registryToken?: string;
  /** Where it came from, for messages (never the secret itself). */
  readonly source: string;
}

export interface CredentialOptions {
  /** `user:pass` from the command line. */
  readonly creds?: string;
  /** An explicit auth file (`--authfile`), replacing the default search. */
  readonly authFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly homeDir?: string;
}

export class CredentialError extends NixociError {}

interface AuthFileEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}
interface AuthFile {
  auths?: Record<string, AuthFileEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export function parseCredsFlag(creds: string): Credential {
  const colon = creds.indexOf(":");
  if (colon < 0) return { username: creds, password: "", source: "--creds" };
  return { username: creds.slice(0, colon), password: creds.slice(colon + 1), source: "--creds" };
}

/** Auth files to consult, in order. */
export function authFilePaths(opts: CredentialOptions = {}): string[] {
  const env = opts.env ?? process.env;
  if (opts.authFile) return [opts.authFile];
  const home = opts.homeDir ?? env.HOME ?? os.homedir();
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  else if (env.XDG_RUNTIME_DIR) files.push(path.join(env.XDG_RUNTIME_DIR, "containers", "auth.json"));
  files.push(path.join(env.XDG_CONFIG_HOME ?? path.join(home, ".config"), "containers", "auth.json"));
  files.push(path.join(env.DOCKER_CONFIG ?? path.join(home, ".docker"), "config.json"));
  return files;
}

export async function findCredentials(
  registry: string,
  repository: string | undefined,
  opts: CredentialOptions = {},
): Promise<Credential | undefined> {
  if (opts.creds !== undefined) return parseCredsFlag(opts.creds);
  const env = opts.env ?? process.env;
  for (const file of authFilePaths(opts)) {
    const config = await readAuthFile(file);
    if (!config) continue;
    const found = await fromAuthFile(config, file, registry, repository, env);
    if (found) return found;
  }
  if (registry === "ghcr.io" && env.GITHUB_TOKEN) {
    return { username: env.GITHUB_ACTOR || "github", password: env.GITHUB_TOKEN, source: "GITHUB_TOKEN" };
  }
  return undefined;
}

async function readAuthFile(file: string): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as AuthFile;
  } catch (err) {
    throw new CredentialError(`auth file ${file} is not valid JSON`, { cause: err });
  }
}

/** Registry names under which a host may appear in a config file. */
function hostAliases(registry: string): string[] {
  return registry === DOCKER_HUB ? [DOCKER_HUB, "index.docker.io", "registry-1.docker.io"] : [registry];
}

/** `https://index.docker.io/v1/` → `index.docker.io`; `quay.io/ns/repo` stays (a namespace key). */
export function normalizeAuthKey(key: string): string {
  let k = key.replace(/^[a-z]+:\/\//i, "");
  k = k.replace(/\/v[12]\/?$/, "");
  return k.replace(/\/+$/, "");
}

async function fromAuthFile(
  config: AuthFile,
  file: string,
  registry: string,
  repository: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<Credential | undefined> {
  const aliases = hostAliases(registry);
  for (const alias of aliases) {
    const helper = config.credHelpers?.[alias];
    if (helper) return runHelper(helper, registry, env);
  }
  if (config.auths) {
    const entries = Object.entries(config.auths).map(([k, v]) => [normalizeAuthKey(k), v] as const);
    // Most specific first: `host/ns/repo` before `host/ns` before `host` (containers-auth.json).
    const candidates: string[] = [];
    for (const alias of aliases) {
      if (repository) {
        const parts = repository.split("/");
        for (let i = parts.length; i > 0; i--) candidates.push(`${alias}/${parts.slice(0, i).join("/")}`);
      }
      candidates.push(alias);
    }
    for (const want of candidates) {
      const entry = entries.find(([k]) => k === want)?.[1];
      const cred = entry && decodeEntry(entry, `${file} (${want})`);
      if (cred) return cred;
    }
  }
  if (config.credsStore) return runHelper(config.credsStore, registry, env);
  return undefined;
}

function decodeEntry(entry: AuthFileEntry, source: string): Credential | undefined {
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new CredentialError(`malformed "auth" entry in ${source}: expected base64 of user:password`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source };
  }
  if (entry.identitytoken) return { username: entry.username, identityToken: entry.identitytoken, source };
  if (entry.registrytoken) return { registryToken: entry.registrytoken, source };
  if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password, source };
  return undefined;
}

/** docker-credential-<helper> get: server URL on stdin, JSON {Username, Secret} on stdout. */
async function runHelper(helper: string, registry: string, env: NodeJS.ProcessEnv): Promise<Credential | undefined> {
  const server = registry === DOCKER_HUB ? "https://index.docker.io/v1/" : registry;
  const program = `docker-credential-${helper}`;
  // Loaded on demand: execa costs noticeable start-up time and most pushes never run a helper.
  const { execa } = await import("execa");
  const result = await execa(program, ["get"], { input: server, reject: false, env, extendEnv: false });
  if (result.exitCode !== 0) {
    const out = `${result.stdout ?? ""}${result.stderr ?? ""}`;
    if (/credentials not found/i.test(out)) return undefined;
    if ((result as { code?: string }).code === "ENOENT" || result.failed && /ENOENT/.test(String(result.message))) {
      throw new CredentialError(`credential helper ${program} is configured for ${registry} but not installed`);
    }
    throw new CredentialError(`credential helper ${program} failed for ${registry} (exit ${result.exitCode ?? "?"})`);
  }
  let parsed: { Username?: string; Secret?: string };
  try {
    parsed = JSON.parse(String(result.stdout)) as { Username?: string; Secret?: string };
  } catch {
    throw new CredentialError(`credential helper ${program} printed something other than JSON for ${registry}`);
  }
  const source = `${program}`;
  if (!parsed.Secret) return undefined;
  // Docker's convention: Username "<token>" means Secret is an identity (refresh) token.
  if (parsed.Username === "<token>") return { identityToken: parsed.Secret, source };
  return { username: parsed.Username ?? "", password: parsed.Secret, source };
}
