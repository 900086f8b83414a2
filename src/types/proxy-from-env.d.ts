// proxy-from-env ships no types; the one function we use.
declare module "proxy-from-env" {
  /** The proxy URL for `url` from $https_proxy/$http_proxy/$all_proxy and $no_proxy, or "" for none. */
  export function getProxyForUrl(url: string | URL): string;
}
