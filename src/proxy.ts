/**
 * Outgoing HTTP(S) through the proxy the environment names, as curl (so Nix), Go (skopeo, crane)
 * and npm do: `$https_proxy` / `$http_proxy` / `$all_proxy` (either case), except the hosts of
 * `$no_proxy`. The agents are https-proxy-agent (a CONNECT tunnel) and http-proxy-agent, loaded
 * only when a proxy applies: without one, nothing here costs start-up time.
 */
import type http from "node:http";
import type https from "node:https";
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

const PROXY_VARIABLES = ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "npm_config_https_proxy", "npm_config_http_proxy", "npm_config_proxy"];

/** Whether the environment names a proxy at all (cheap: decides whether proxy-from-env is loaded). */
function proxyConfigured(): boolean {
  return PROXY_VARIABLES.some((name) => process.env[name]);
}

/** The proxy URL for a request to `url`, or undefined for a direct connection. */
export function proxyFor(url: string | URL): string | undefined {
  if (!proxyConfigured()) return undefined;
  const { getProxyForUrl } = load("proxy-from-env") as typeof import("proxy-from-env");
  return getProxyForUrl(String(url)) || undefined;
}

/**
 * An agent that reaches `url`'s host through the environment's proxy, or undefined when no proxy
 * applies. `options` are the agent options the caller would give a direct agent (keep-alive, TLS).
 */
export function proxyAgentFor(url: string | URL, options: https.AgentOptions = {}): http.Agent | undefined {
  const proxy = proxyFor(url);
  if (proxy === undefined) return undefined;
  if (String(url).startsWith("https:")) {
    const { HttpsProxyAgent } = load("https-proxy-agent") as typeof import("https-proxy-agent");
    return new HttpsProxyAgent(proxy, options);
  }
  const { HttpProxyAgent } = load("http-proxy-agent") as typeof import("http-proxy-agent");
  return new HttpProxyAgent(proxy, options);
}
