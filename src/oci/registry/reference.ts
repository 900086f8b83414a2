/**
 * Image references as docker/crane read them: `[host[:port]/]repo[:tag][@digest]`.
 * A first component counts as a registry host only when it has a `.` or `:` or is
 * `localhost`; otherwise the reference is on Docker Hub, where single-component
 * repositories live under `library/`.
 */
import { UsageError } from "../../errors.js";

export const DOCKER_HUB = "docker.io";
/** Docker Hub's API host: `docker.io` is only the name users type. */
export const DOCKER_HUB_API = "index.docker.io";

export interface Reference {
  /** Registry as the user names it (`docker.io` for Docker Hub), with port if any. */
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const repoComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const digestPattern = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

export class InvalidReferenceError extends UsageError {
  constructor(
    readonly reference: string,
    reason: string,
  ) {
    super(`invalid image reference '${reference}': ${reason}`);
  }
}

export function parseReference(input: string, defaults: { tag?: string } = {}): Reference {
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) throw new InvalidReferenceError(input, `bad digest '${digest}'`);
  }
  let registry = DOCKER_HUB;
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost" || first.startsWith("[")) {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagPattern.test(tag)) throw new InvalidReferenceError(input, `bad tag '${tag}'`);
  }
  if (rest === "") throw new InvalidReferenceError(input, "empty repository");
  for (const component of rest.split("/")) {
    if (!repoComponent.test(component)) {
      throw new InvalidReferenceError(input, `bad repository component '${component}' (lowercase letters, digits, separators)`);
    }
  }
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !rest.includes("/")) rest = `library/${rest}`;
  if (tag === undefined && digest === undefined) tag = defaults.tag ?? "latest";
  return { registry, repository: rest, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The tag or digest to put in `/v2/<name>/manifests/<here>`; a digest wins over a tag. */
export function manifestReference(ref: Reference): string {
  return ref.digest ?? ref.tag ?? "latest";
}

export function formatReference(ref: Reference): string {
  let s = `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The host to contact: Docker Hub's API lives at index.docker.io. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/** Hosts reached over plain HTTP by default, like crane/skopeo do for local registries. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = hostOnly(registry);
  return host === "localhost" || host.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "::1";
}

/** `host:port` → `host`, `[::1]:5000` → `::1`. */
export function hostOnly(registry: string): string {
  if (registry.startsWith("[")) return registry.slice(1, registry.indexOf("]"));
  const colon = registry.lastIndexOf(":");
  return colon >= 0 ? registry.slice(0, colon) : registry;
}
