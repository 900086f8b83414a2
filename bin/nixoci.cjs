// The launcher's entry (bin/nixoci). A no-op build is answered here, in CommonJS, before Node's
// ES module loader starts (~5 ms of a no-op's ~35); everything else, a miss included, goes on in
// bin/nixoci.js.
if (process.argv[2] === "build" && require("../dist/bundle/noopBuild.cjs").noopBuild(process.argv.slice(3), process.cwd(), process.env)) return;
import("./nixoci.js");
