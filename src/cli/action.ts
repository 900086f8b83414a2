/**
 * The GitHub Action entry: reads `INPUT_*` variables as the runner sets them,
 * builds (and pushes) the image, and writes `GITHUB_OUTPUT` and
 * `GITHUB_STEP_SUMMARY`. Secrets are masked with `::add-mask::` before anything
 * else is printed, and never printed themselves.
 */
import { appendFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { NixociError } from "../errors.js";
import { humanBytes as formatBytes } from "../oci/registry/progress.js";
import { buildImage, type BuildResult, pushBuilt } from "./pipeline.js";

type Env = Record<string, string | undefined>;

/** The runner upper-cases input names and keeps dashes: `registry-password` → `INPUT_REGISTRY-PASSWORD`. */
export function getInput(env: Env, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}

function list(s: string): string[] {
  return s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

/** `name<<delimiter` blocks, safe for multi-line values. */
export function formatOutput(name: string, value: string): string {
  const delim = `ghadelimiter_${randomUUID()}`;
  return `${name}<<${delim}\n${value}\n${delim}\n`;
}

export async function runAction(env: Env, log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const password = getInput(env, "registry-password");
  if (password) log(`::add-mask::${password}`);
  const githubToken = getInput(env, "github-access-token");
  if (githubToken) {
    log(`::add-mask::${githubToken}`);
    // Read by the github: fetcher as Nix reads it; evaluation workers copy process.env when they start.
    process.env.NIX_CONFIG = `${process.env.NIX_CONFIG ? `${process.env.NIX_CONFIG}\n` : ""}extra-access-tokens = github.com=${githubToken}`;
  }

  const flake = getInput(env, "flake") || ".#default";
  const image = getInput(env, "image");
  const push = (getInput(env, "push") || "true") === "true" && image !== "";
  const maxLayers = Number(getInput(env, "max-layers") || "100");
  if (!Number.isInteger(maxLayers) || maxLayers < 2) throw new NixociError(`input max-layers must be an integer ≥ 2, got '${getInput(env, "max-layers")}'`);

  let result: BuildResult;
  try {
    result = await buildImage({
      installable: flake,
      cwd: env.GITHUB_WORKSPACE || process.cwd(),
      store: env.NIXOCI_STORE || undefined,
      maxLayers,
      disallow: list(getInput(env, "disallow")),
      output: getInput(env, "output") || undefined,
      format: "oci",
      system: getInput(env, "system") || undefined,
      substituters: {
        substituters: getInput(env, "substituters") || undefined,
        trustedPublicKeys: getInput(env, "trusted-public-keys") || undefined,
      },
      log: (l) => log(l),
    });
  } catch (err) {
    log(`::error::${(err as Error).message.replace(/\n/g, "%0A")}`);
    return 1;
  }

  let pushed: string[] = [];
  if (push) {
    const tags = list(getInput(env, "tags"));
    const username = getInput(env, "registry-username") || env.GITHUB_ACTOR || "";
    try {
      pushed = await pushBuilt(result, {
        repository: image,
        tags,
        creds: password ? { username, password } : undefined,
        tlsVerify: getInput(env, "tls-verify") === "false" ? false : undefined,
        log: (l) => log(l),
      });
    } catch (err) {
      log(`::error::${(err as Error).message.replace(/\n/g, "%0A")}`);
      return 1;
    }
  }

  const metadata = {
    digest: result.digest,
    imageid: result.configDigest,
    tags: pushed,
    name: result.name,
    layers: result.layers.map((l) => ({ digest: l.digest, size: l.size, paths: l.paths.length })),
    size: result.layers.reduce((n, l) => n + l.size, 0),
  };
  if (env.GITHUB_OUTPUT) {
    appendFileSync(
      env.GITHUB_OUTPUT,
      formatOutput("digest", result.digest) +
        formatOutput("imageid", result.configDigest) +
        formatOutput("tags", pushed.join("\n")) +
        formatOutput("metadata", JSON.stringify(metadata)),
    );
  }
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, summaryMarkdown(flake, metadata));
  return 0;
}

function summaryMarkdown(flake: string, m: { digest: string; imageid: string; tags: string[]; layers: { digest: string; size: number; paths: number }[]; size: number }): string {
  const rows = m.layers.map((l, i) => `| ${i + 1} | \`${l.digest.slice(0, 19)}…\` | ${l.paths} | ${formatBytes(l.size)} |`).join("\n");
  const pushed = m.tags.length ? m.tags.map((t) => `- \`${t}\``).join("\n") : "_not pushed_";
  return `### nixoci: \`${flake}\`\n\nDigest: \`${m.digest}\`  \nImage ID: \`${m.imageid}\`  \nSize: ${formatBytes(m.size)} in ${m.layers.length} layers\n\n${pushed}\n\n| layer | digest | store paths | size |\n|---|---|---|---|\n${rows}\n`;
}
