/**
 * The image config (and manifest annotations) from ImageSettings.
 *
 * Base images: their history and runtime config come first. Env merges per
 * variable and ours wins, except PATH: our entries first, then the base's
 * entries we do not already have, so the base's tools stay reachable.
 * Entrypoint/Cmd/User/WorkingDir/StopSignal: ours when set, else the base's
 * (setting Entrypoint without Cmd clears the base's Cmd, as Docker does).
 * Labels, ExposedPorts and Volumes are unions (ours win on equal keys).
 */
import type { ImageSettings } from "./settings.js";
import { platformFromSystem, type ContainerConfig, type History, type ImageConfig } from "./spec.js";

export const DEFAULT_PATH = "/bin:/usr/bin:/sbin:/usr/sbin";

/** RFC 3339 UTC without fractional seconds, e.g. 1970-01-01T00:00:01Z. */
export function rfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function createdSeconds(settings: ImageSettings, sourceDateEpoch: number, now: () => number = Date.now): number {
  if (settings.created === "now") return Math.floor(now() / 1000);
  return settings.created ?? sourceDateEpoch;
}

/** created_by text for a layer: its store paths, cut to stay readable in `docker history`. */
export function historyText(paths: string[], limit = 8): string {
  const shown = paths.slice(0, limit).join(" ");
  return `nixoci: store paths: ${shown}${paths.length > limit ? ` … (+${paths.length - limit} more)` : ""}`;
}

function envRecord(env: string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const eq = e.indexOf("=");
    if (eq > 0) m.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return m;
}

function mergePath(ours: string | undefined, base: string | undefined): string {
  const parts = (ours ?? DEFAULT_PATH).split(":");
  for (const p of (base ?? "").split(":")) if (p !== "" && !parts.includes(p)) parts.push(p);
  return parts.join(":");
}

export interface ConfigInput {
  settings: ImageSettings;
  /** Nix system string, e.g. x86_64-linux. */
  system: string;
  created: number;
  /** One created_by text per layer we add (base layers excluded), in order. */
  layerHistory: string[];
  base?: ImageConfig;
}

export function buildImageConfig(input: ConfigInput): ImageConfig {
  const { settings: s, base } = input;
  const created = rfc3339(input.created);
  const b = base?.config ?? {};
  const cfg: ContainerConfig = {};

  const env = envRecord(b.Env);
  const ours = new Map(Object.entries(s.env ?? {}));
  for (const [k, v] of ours) if (k !== "PATH") env.set(k, v);
  env.set("PATH", mergePath(ours.get("PATH"), env.get("PATH")));
  // PATH first, then the rest in order of appearance (base's, then ours).
  cfg.Env = ["PATH", ...[...env.keys()].filter((k) => k !== "PATH")].map((k) => `${k}=${env.get(k)}`);

  const user = s.user ?? b.User;
  if (user !== undefined && user !== "") cfg.User = user;
  const ports = { ...b.ExposedPorts };
  for (const p of s.ports ?? []) ports[p] = {};
  if (Object.keys(ports).length > 0) cfg.ExposedPorts = ports;
  if (s.entrypoint !== undefined) cfg.Entrypoint = s.entrypoint;
  else if (b.Entrypoint !== undefined) cfg.Entrypoint = b.Entrypoint;
  if (s.cmd !== undefined) cfg.Cmd = s.cmd;
  else if (s.entrypoint === undefined && b.Cmd !== undefined) cfg.Cmd = b.Cmd;
  const volumes = { ...b.Volumes };
  for (const v of s.volumes ?? []) volumes[v] = {};
  if (Object.keys(volumes).length > 0) cfg.Volumes = volumes;
  const wd = s.workingDir ?? b.WorkingDir;
  if (wd !== undefined && wd !== "") cfg.WorkingDir = wd;
  const labels = { ...b.Labels, ...s.labels };
  if (Object.keys(labels).length > 0) cfg.Labels = labels;
  const stop = s.stopSignal ?? b.StopSignal;
  if (stop !== undefined) cfg.StopSignal = stop;

  const history: History[] = [...(base?.history ?? [])];
  for (const text of input.layerHistory) history.push({ created, created_by: text, comment: "nixoci" });

  const platform = platformFromSystem(input.system);
  const config: ImageConfig = {
    created,
    architecture: platform.architecture,
    os: platform.os,
    config: cfg,
    rootfs: { type: "layers", diff_ids: [...(base?.rootfs.diff_ids ?? [])] },
    history,
  };
  if (platform.variant !== undefined) config.variant = platform.variant;
  return config;
}

/** Manifest annotations: org.opencontainers.image.created/title/version plus the user's (which win). */
export function manifestAnnotations(s: ImageSettings, created: number): Record<string, string> {
  const a: Record<string, string> = { "org.opencontainers.image.created": rfc3339(created) };
  if (s.name !== undefined) a["org.opencontainers.image.title"] = s.name;
  if (s.tag !== undefined) a["org.opencontainers.image.version"] = s.tag;
  return { ...a, ...s.annotations };
}
