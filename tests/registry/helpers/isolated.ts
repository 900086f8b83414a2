/**
 * Shared set-ups of the registry tests: a registry serving HTTPS with a self-signed certificate for
 * 127.0.0.1, and an environment in which the CLI finds none of the user's credentials or caches.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startRegistry, type RegistryServer } from "./registryServer.js";

/** A docker-registry over HTTPS; its certificate (also its own CA) is written to `dir/cert.pem`. */
export async function startTlsRegistry(dir: string): Promise<{ registry: RegistryServer; certFile: string }> {
  const certFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile,
    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
  ], { stdio: "ignore" });
  const registry = await startRegistry({ kind: "none" }, { certPem: readFileSync(certFile, "utf8"), keyPem: readFileSync(keyFile, "utf8") });
  return { registry, certFile };
}

/** process.env without the user's registry credentials, caches or config: everything under `dir`. */
export function isolatedEnv(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: path.join(dir, "home"), XDG_CACHE_HOME: path.join(dir, "cache"), DOCKER_CONFIG: path.join(dir, "nodocker"), ...extra };
  delete env.REGISTRY_AUTH_FILE;
  delete env.XDG_RUNTIME_DIR;
  return env;
}
