#!/usr/bin/env node
// The CLI entry (bin/nixoci, the launcher, runs it through bin/nixoci.cjs). The compiled CLI lives in dist/ (built by
// `npm install` via the prepare script); bin/ runs its bundle, dist/bundle/ (scripts/bundle.mjs).
// The launcher moved NODE_EXTRA_CA_CERTS aside so Node would not load it at start-up; programs we run
// see the user's environment as it was.
if (process.env.NIXOCI_EXTRA_CA_CERTS && !process.env.NODE_EXTRA_CA_CERTS) process.env.NODE_EXTRA_CA_CERTS = process.env.NIXOCI_EXTRA_CA_CERTS;
const { main } = await import("../dist/bundle/main.js");

main(process.argv).catch((err) => {
  console.error(err?.stack ?? String(err));
  process.exit(1);
});
