/**
 * The certificate authorities our HTTPS clients trust: Node's bundled roots, plus the user's
 * NODE_EXTRA_CA_CERTS when bin/nixoci deferred it (as NIXOCI_EXTRA_CA_CERTS) so that Node would not
 * parse it at start-up. Read on first use, i.e. when the first TLS agent is made.
 */
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";

let trust: { ca?: string[] } | undefined;

/** Options to spread into an `https.Agent` (empty: Node's default trust already covers it). */
export function tlsTrustOptions(): { ca?: string[] } {
  if (trust) return trust;
  trust = {};
  const file = process.env.NIXOCI_EXTRA_CA_CERTS;
  if (!file) return trust;
  try {
    trust = { ca: [...rootCertificates, readFileSync(file, "utf8")] };
  } catch (err) {
    // What Node itself says of an unreadable NODE_EXTRA_CA_CERTS; like Node, go on without them.
    process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(err as Error).message}`);
  }
  return trust;
}
