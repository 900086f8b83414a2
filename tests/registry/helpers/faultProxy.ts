/**
 * A loopback HTTP proxy in front of a registry that counts requests and can
 * inject faults: answer with a status (500, 429 + Retry-After) instead of
 * forwarding, or forward and then cut the connection after N bytes of the
 * request body (mid-upload) or of the response body (mid-download). The Host
 * header is forwarded unchanged, so the registry's Location URLs point back
 * at the proxy.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxiedRequest {
  readonly n: number;
  readonly method: string;
  readonly url: string;
  status?: number;
  faulted?: string;
}

export type Fault =
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: string }
  | { kind: "cutRequest"; afterBytes: number }
  | { kind: "cutResponse"; afterBytes: number }
  /** Forward, but add these headers to the registry's response. */
  | { kind: "addHeaders"; headers: Record<string, string> };

export type FaultRule = (req: { n: number; method: string; url: string }) => Fault | undefined;

export interface FaultProxy {
  readonly host: string;
  readonly log: ProxiedRequest[];
  /** TCP connections clients opened to the proxy since the last reset. */
  readonly connections: number;
  fault: FaultRule | undefined;
  reset(): void;
  stop(): Promise<void>;
}

export async function startFaultProxy(upstreamPort: number): Promise<FaultProxy> {
  const log: ProxiedRequest[] = [];
  const state: { fault: FaultRule | undefined } = { fault: undefined };
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const entry: ProxiedRequest = { n: log.length, method: req.method!, url: req.url! };
    log.push(entry);
    const fault = state.fault?.({ n: entry.n, method: entry.method, url: entry.url });
    if (fault?.kind === "status") {
      entry.status = fault.status;
      entry.faulted = `status ${fault.status}`;
      req.resume();
      res.writeHead(fault.status, { "Content-Type": "application/json", ...fault.headers });
      res.end(fault.body ?? JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: "injected fault" }] }));
      return;
    }
    const upstream = http.request(
      { host: "127.0.0.1", port: upstreamPort, method: req.method, path: req.url, headers: req.headers, agent },
      (up) => {
        entry.status = up.statusCode;
        res.writeHead(up.statusCode!, fault?.kind === "addHeaders" ? { ...up.headers, ...fault.headers } : up.headers);
        if (fault?.kind === "cutResponse") {
          let sent = 0;
          up.on("data", (chunk: Buffer) => {
            if (sent + chunk.length >= fault.afterBytes) {
              res.write(chunk.subarray(0, fault.afterBytes - sent));
              entry.faulted = `response cut after ${fault.afterBytes} bytes`;
              up.destroy();
              res.socket?.destroy();
              return;
            }
            sent += chunk.length;
            res.write(chunk);
          });
          up.on("end", () => res.end());
        } else {
          up.pipe(res);
        }
      },
    );
    upstream.on("error", () => res.socket?.destroy());
    if (fault?.kind === "cutRequest") {
      let sent = 0;
      req.on("data", (chunk: Buffer) => {
        if (entry.faulted) return;
        if (sent + chunk.length >= fault.afterBytes) {
          upstream.write(chunk.subarray(0, fault.afterBytes - sent));
          entry.faulted = `request cut after ${fault.afterBytes} bytes`;
          // Let the partial bytes reach the registry, then drop both sides like a broken network.
          setTimeout(() => {
            upstream.destroy();
            req.socket.destroy();
          }, 50);
          return;
        }
        sent += chunk.length;
        upstream.write(chunk);
      });
      req.on("end", () => {
        if (!entry.faulted) upstream.end();
      });
    } else {
      req.pipe(upstream);
    }
  });
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    log,
    get connections() {
      return connections;
    },
    get fault() {
      return state.fault;
    },
    set fault(f: FaultRule | undefined) {
      state.fault = f;
    },
    reset() {
      log.length = 0;
      connections = 0;
      state.fault = undefined;
    },
    stop: () =>
      new Promise<void>((r) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
