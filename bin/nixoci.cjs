// The CLI's entry (bin/nixoci, the launcher, runs this; bin/nixoci.js is the same as an ES module).
// The compiled CLI lives in dist/ (built by `npm install` via the prepare script); this runs its
// bundles, dist/bundle/ (scripts/bundle.mjs). The commands where start-up is most of the time (a no-op
// build, a plain push, `instantiate`) run from CommonJS bundles of their own, compiled from V8's code
// cache (bundleLoader.cjs), before Node's ES module loader starts; everything else runs in main.js.
const { loadBundle } = require("./bundleLoader.cjs");
const bundle = (name) => loadBundle(`${__dirname}/../dist/bundle/${name}.cjs`).exports;
const [command, ...args] = process.argv.slice(2);
if (command === "build" && bundle("noopBuild").noopBuild(args, process.cwd(), process.env)) return;
// The launcher moved NODE_EXTRA_CA_CERTS aside so Node would not load it at start-up; programs we run
// see the user's environment as it was.
if (process.env.NIXOCI_EXTRA_CA_CERTS && !process.env.NODE_EXTRA_CA_CERTS) process.env.NODE_EXTRA_CA_CERTS = process.env.NIXOCI_EXTRA_CA_CERTS;
const fail = (err) => {
  console.error(err?.stack ?? String(err));
  process.exit(1);
};
const plain =
  command === "instantiate" ? bundle("instantiate").instantiatePlain(args).then(() => true)
  : command === "push" ? bundle("pushPlain").pushPlain(args)
  : Promise.resolve(false);
plain
  .then((done) => done || import("../dist/bundle/main.js").then(({ main }) => main(process.argv)))
  .catch(fail);
