// The warm-up scripts/bundle.mjs runs before it writes pushPlain.cjs's code cache: a no-op push, as
// `nixoci push HOST/REPO:TAG --from-layout DIR:TAG` runs it, of a one-blob layout to a loopback
// server that answers like a registry already holding the image (ping, then HEAD of the tag). So V8
// has compiled the code a no-op push runs and the cache holds it. Only speed depends on this file.
"use strict";
const { createHash } = require("node:crypto");
const { mkdirSync, mkdtempSync, rmSync, writeFileSync } = require("node:fs");
const { createServer } = require("node:http");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const sha256 = (bytes) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** Runs a no-op push through `bundle` (pushPlain.cjs's exports). */
module.exports = async function warmUpPush(bundle) {
  const dir = mkdtempSync(join(tmpdir(), "nixoci-warm-up-"));
  const blob = (bytes) => {
    const digest = sha256(bytes);
    writeFileSync(join(dir, "blobs", "sha256", digest.slice(7)), bytes);
    return { digest, size: bytes.length };
  };
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  const config = blob(Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } })));
  const manifestType = "application/vnd.oci.image.manifest.v1+json";
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: manifestType, config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config }, layers: [] }));
  const top = blob(manifest);
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const annotations = { "org.opencontainers.image.ref.name": "warm" };
  writeFileSync(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: manifestType, ...top, annotations }] }));
  const server = createServer((req, res) => {
    if (req.url === "/v2/") return res.writeHead(200, { "content-type": "application/json" }).end("{}");
    res.writeHead(200, { "content-type": manifestType, "content-length": manifest.length, "docker-content-digest": top.digest }).end();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  process.env.XDG_CACHE_HOME = join(dir, "cache");
  try {
    const args = [`127.0.0.1:${server.address().port}/warm:warm`, "--from-layout", `${dir}:warm`, "-q"];
    if (!(await bundle.pushPlain(args)) || process.exitCode) throw new Error("bundle: the push warm-up failed");
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
};
