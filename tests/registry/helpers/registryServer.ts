/**
 * A real CNCF distribution registry (`docker-registry`, Debian package) on a
 * free 127.0.0.1 port with a temp storage/config dir, optionally with
 * htpasswd Basic auth or token auth. Stop it in afterAll.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface RegistryServer {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  stop(): Promise<void>;
}

export type RegistryAuthConfig =
  | { kind: "none" }
  | { kind: "basic"; user: string; password: string }
  | { kind: "token"; realm: string; service: string; issuer: string; certPem: string };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startRegistry(
  auth: RegistryAuthConfig = { kind: "none" },
  tls?: { certPem: string; keyPem: string },
): Promise<RegistryServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "nixoci-reg-"));
  const port = await freePort();
  let authYaml = "";
  if (auth.kind === "basic") {
    const line = execFileSync("htpasswd", ["-Bbn", auth.user, auth.password], { encoding: "utf8" });
    writeFileSync(path.join(dir, "htpasswd"), line);
    authYaml = `auth: { htpasswd: { realm: nixoci-test, path: ${path.join(dir, "htpasswd")} } }\n`;
  } else if (auth.kind === "token") {
    writeFileSync(path.join(dir, "cert.pem"), auth.certPem);
    authYaml =
      `auth: { token: { realm: "${auth.realm}", service: "${auth.service}", issuer: "${auth.issuer}", ` +
      `rootcertbundle: ${path.join(dir, "cert.pem")} } }\n`;
  }
  let tlsYaml = "";
  if (tls) {
    writeFileSync(path.join(dir, "tls-cert.pem"), tls.certPem);
    writeFileSync(path.join(dir, "tls-key.pem"), tls.keyPem);
    tlsYaml = `, tls: { certificate: ${path.join(dir, "tls-cert.pem")}, key: ${path.join(dir, "tls-key.pem")} }`;
  }
  const config =
    "version: 0.1\n" +
    "log: { level: error, accesslog: { disabled: true } }\n" +
    `storage: { filesystem: { rootdirectory: ${path.join(dir, "data")} }, delete: { enabled: true } }\n` +
    `http: { addr: 127.0.0.1:${port}, secret: nixoci-test-secret${tlsYaml} }\n` +
    authYaml;
  writeFileSync(path.join(dir, "config.yml"), config);
  const child: ChildProcess = spawn("docker-registry", ["serve", path.join(dir, "config.yml")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  await waitForPort(port, child, () => stderr);
  return {
    host: `127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not listen on ${port}: ${log()}`);
}
