/**
 * `github:`, `gitlab:` and `sourcehut:` inputs, fetched as Nix 2.8 fetches them: a branch or tag
 * (default HEAD) is resolved to a commit through the forge's API, then the commit's tarball is
 * downloaded and unpacked; its single top-level directory becomes the "source" store path and that
 * directory's mtime (the commit time, as forges write it) the input's `lastModified`. The lock
 * keeps owner, repo, rev, lastModified, narHash (and host), never the ref.
 *
 * Access tokens are Nix's `access-tokens` setting (`host=token` pairs, from $NIX_CONFIG), sent as
 * each forge expects them.
 */
import { lstatSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DownloadError, downloadSync, unpackSingleTree } from "./download.js";
import type { FlakeRefAttrs } from "./lockFile.js";
import { flakeRefToString28 } from "./refString.js";

export type ForgeType = "github" | "gitlab" | "sourcehut";

export function isForgeType(type: unknown): type is ForgeType {
  return type === "github" || type === "gitlab" || type === "sourcehut";
}

/** What the forge fetcher needs of the caller: errors in its type, and the store. */
export interface ForgeFetchHost {
  fail(message: string, cause?: unknown): never;
  /** Copies the unpacked tree into the store as "source"; returns its path and narHash. */
  addTree(dir: string): { storePath: string; narHash: string };
  warn(line: string): void;
}

export interface ForgeTree {
  storePath: string;
  narHash: string;
  lastModified: number;
}

const DEFAULT_HOST: Record<ForgeType, string> = { github: "github.com", gitlab: "gitlab.com", sourcehut: "git.sr.ht" };

/** Nix's `access-tokens` (space-separated `host=token`), from $NIX_CONFIG as Nix reads it. */
function accessToken(host: string): string | undefined {
  for (const line of (process.env.NIX_CONFIG ?? "").split("\n")) {
    const m = /^\s*(?:extra-)?access-tokens\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    for (const pair of m[1]!.trim().split(/\s+/)) {
      const eq = pair.indexOf("=");
      if (eq > 0 && pair.slice(0, eq) === host) return pair.slice(eq + 1);
    }
  }
  return undefined;
}

function authHeaders(type: ForgeType, host: string, warn: (l: string) => void): Record<string, string> {
  const token = accessToken(host);
  if (token === undefined) return {};
  if (type === "github") return { Authorization: `token ${token}` };
  if (type === "sourcehut") return { Authorization: `Bearer ${token}` };
  const colon = token.indexOf(":");
  const kind = colon < 0 ? token : token.slice(0, colon);
  const value = token.slice(colon + 1);
  if (kind === "OAuth2") return { Authorization: `Bearer ${value}` };
  if (kind === "PAT") return { "Private-token": value };
  warn(`warning: Unrecognized GitLab token type ${kind}`);
  return { [kind]: value };
}

/** Runs `use` on `url` downloaded into a temporary directory, removed afterwards; failures go through host.fail. */
function withDownload<T>(url: string, headers: Record<string, string>, host: ForgeFetchHost, use: (file: string, tmp: string) => T): T {
  const tmp = mkdtempSync(join(tmpdir(), "nixoci-forge-"));
  try {
    const file = join(tmp, "download");
    try {
      downloadSync(url, file, headers);
      return use(file, tmp);
    } catch (e) {
      if (e instanceof DownloadError) host.fail(e.message, e);
      throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function downloadText(url: string, headers: Record<string, string>, host: ForgeFetchHost): string {
  return withDownload(url, headers, host, (file) => readFileSync(file, "utf8"));
}

/** The commit a branch or tag names, asked of the forge as Nix 2.8 asks it. */
function revFromRef(type: ForgeType, ref: FlakeRefAttrs, gitRef: string, headers: Record<string, string>, host: ForgeFetchHost): string {
  const h = String(ref.host ?? DEFAULT_HOST[type]);
  const owner = String(ref.owner);
  const repo = String(ref.repo);
  let rev: unknown;
  try {
    if (type === "github") {
      rev = (JSON.parse(downloadText(`https://api.${h}/repos/${owner}/${repo}/commits/${gitRef}`, headers, host)) as { sha?: unknown }).sha;
    } else if (type === "gitlab") {
      const commits = JSON.parse(downloadText(`https://${h}/api/v4/projects/${owner}%2F${repo}/repository/commits?ref_name=${gitRef}`, headers, host)) as { id?: unknown }[];
      rev = commits[0]?.id;
    } else {
      const base = `https://${h}/${owner}/${repo}`;
      let refPattern: string;
      if (gitRef === "HEAD") {
        const line = downloadText(`${base}/HEAD`, headers, host).split("\n")[0] ?? "";
        const at = line.indexOf("ref: ");
        if (at < 0) host.fail(`in '${flakeRefToString28(ref)}', couldn't resolve HEAD ref '${gitRef}'`);
        refPattern = line.slice(at + 5).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      } else refPattern = `refs/(heads|tags)/${gitRef}`;
      const re = new RegExp(`${refPattern}$`);
      const hit = downloadText(`${base}/info/refs`, headers, host).split("\n").find((l) => re.test(l));
      if (hit === undefined) host.fail(`in '${flakeRefToString28(ref)}', couldn't find ref '${gitRef}'`);
      rev = hit.slice(0, hit.indexOf("\t"));
    }
  } catch (e) {
    if (e instanceof SyntaxError) host.fail(`the ${type} API answered '${flakeRefToString28(ref)}' with something that is not JSON`, e);
    throw e;
  }
  if (typeof rev !== "string" || !/^[0-9a-f]{40}$/.test(rev)) host.fail(`cannot resolve '${gitRef}' of '${flakeRefToString28(ref)}' to a commit`);
  return rev;
}

function tarballUrl(type: ForgeType, ref: FlakeRefAttrs, rev: string): string {
  const h = String(ref.host ?? DEFAULT_HOST[type]);
  const owner = String(ref.owner);
  const repo = String(ref.repo);
  if (type === "github") return `https://api.${h}/repos/${owner}/${repo}/tarball/${rev}`;
  if (type === "gitlab") return `https://${h}/api/v4/projects/${owner}%2F${repo}/repository/archive.tar.gz?sha=${rev}`;
  return `https://${h}/${owner}/${repo}/archive/${rev}.tar.gz`;
}

/** Nix 2.8's downloadTarball: exactly one top-level directory, whose mtime is lastModified. */
export function unpackGitArchive(url: string, headers: Record<string, string>, host: ForgeFetchHost): ForgeTree {
  return withDownload(url, headers, host, (file, tmp) => {
    const top = unpackSingleTree(file, join(tmp, "unpacked"), url);
    const lastModified = Math.floor(lstatSync(top).mtimeMs / 1000);
    return { ...host.addTree(top), lastModified };
  });
}

/** The commit to fetch (the ref resolved through the forge's API when no rev is given) and its tarball. */
export function resolveGitArchive(ref: FlakeRefAttrs, host: ForgeFetchHost): { rev: string; url: string; headers: Record<string, string> } {
  const type = ref.type as ForgeType;
  const headers = authHeaders(type, String(ref.host ?? DEFAULT_HOST[type]), (l) => host.warn(l));
  const rev = typeof ref.rev === "string" ? ref.rev : revFromRef(type, ref, typeof ref.ref === "string" ? ref.ref : "HEAD", headers, host);
  return { rev, url: tarballUrl(type, ref, rev), headers };
}

/** flake.lock's `locked` for a fetched forge input: no ref, the commit, its time and hash. */
export function lockedGitArchive(ref: FlakeRefAttrs, rev: string, tree: ForgeTree): FlakeRefAttrs {
  const locked: FlakeRefAttrs = { lastModified: tree.lastModified, narHash: tree.narHash, owner: String(ref.owner), repo: String(ref.repo), rev, type: String(ref.type) };
  if (typeof ref.host === "string") locked.host = ref.host;
  if (typeof ref.dir === "string") locked.dir = ref.dir;
  return locked;
}
