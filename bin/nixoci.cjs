// The CLI's entry (bin/nixoci, the launcher, runs this; bin/nixoci.js is the same as an ES module).
// The compiled CLI lives in dist/ (built by `npm install` via the prepare script); this runs its
// bundle, dist/bundle/ (scripts/bundle.mjs). A no-op build is answered first, in CommonJS, before
// Node's ES module loader starts (~5 ms of a no-op's ~35).
if (process.argv[2] === "build" && require("../dist/bundle/noopBuild.cjs").noopBuild(process.argv.slice(3), process.cwd(), process.env)) return;
// The launcher moved NODE_EXTRA_CA_CERTS aside so Node would not load it at start-up; programs we run
// see the user's environment as it was.
if (process.env.NIXOCI_EXTRA_CA_CERTS && !process.env.NODE_EXTRA_CA_CERTS) process.env.NODE_EXTRA_CA_CERTS = process.env.NIXOCI_EXTRA_CA_CERTS;
import("../dist/bundle/main.js")
  .then(({ main }) => main(process.argv))
  .catch((err) => {
    console.error(err?.stack ?? String(err));
    process.exit(1);
  });
