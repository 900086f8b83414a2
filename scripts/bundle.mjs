#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts and what it imports, split at every dynamic import) into
// dist/bundle/, next to tsc's per-file output in dist/. Node's ES module loader spends more on each
// file (resolve, read, compile) than on its code: a no-op build loaded 14 files, a small evaluation 50.
// Packages in node_modules stay external. Two source rewrites keep the bundle behaving as tsc's output:
//  - import.meta.url in each module is the URL of that module's file in dist/, so paths built from it
//    (package.json, workers, bin/) are the same as in the unbundled build;
//  - src/deferred.ts gets a bundle's own loader: in the ES-module bundle deferredBundle.ts, which
//    requires each deferred module's chunk (deferred.json, written here from esbuild's metafile, names
//    them); in the CommonJS bundles below deferredCjs.ts, which has them bundled in.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { build } from "esbuild";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const src = join(root, "src");
const outdir = join(root, "dist", "bundle");

/** The rewrites above, as an esbuild plugin; `loader` is the file that takes deferred.ts's place. */
const asTscOutput = (loader) => ({
  name: "as-tsc-output",
  setup(b) {
    b.onResolve({ filter: /\/deferred\.js$/ }, (args) => {
      const target = join(args.resolveDir, args.path.replace(/\.js$/, ".ts"));
      if (target !== join(src, "deferred.ts")) return undefined;
      return { path: join(src, loader) };
    });
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      const rel = relative(src, args.path).split(sep).join("/").replace(/\.ts$/, ".js");
      const fromBundle = `${relative(outdir, join(root, "dist"))}/${rel}`;
      return { contents: text.replaceAll("import.meta.url", `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`), loader: "ts" };
    });
  },
});

const common = {
  absWorkingDir: root,
  outdir,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  entryNames: "[name]",
  sourcemap: true,
  logLevel: "warning",
};
await rm(outdir, { recursive: true, force: true });
const { metafile } = await build({
  ...common,
  metafile: true,
  entryPoints: [join(src, "cli", "main.ts")],
  splitting: true,
  chunkNames: "[name]-[hash]",
  plugins: [asTscOutput("deferredBundle.ts")],
});
/**
 * The commands bin/nixoci.cjs runs before Node's ES module loader starts, each as one CommonJS file
 * with everything it imports (no shared chunks; deferred modules included, run on first use). Their
 * modules are also in the main bundle: the copies never meet, as each command runs from one bundle,
 * catches what it throws (reportError.ts), and stays in it.
 */
const cjsBundles = {
  noopBuild: join(src, "cli", "noopBuild.ts"),
  instantiate: join(src, "cli", "commands", "instantiate.ts"),
  pushPlain: join(src, "cli", "commands", "pushPlain.ts"),
};
await build({
  ...common,
  entryPoints: cjsBundles,
  format: "cjs",
  outExtension: { ".js": ".cjs" },
  define: { "import.meta.url": "__nixociBundleUrl" },
  banner: { js: 'const __nixociBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [asTscOutput("deferredCjs.ts")],
  // import() of a package or built-in (execa, https) as require: bundleLoader.cjs runs a bundle as a
  // vm.Script, where import() needs a callback that Node 20 warns about as experimental.
  supported: { "dynamic-import": false },
  minifyWhitespace: true,
  minifySyntax: true,
});
/**
 * Each CommonJS bundle's code cache (bin/bundleLoader.cjs), written by a child process after a warm-up
 * that runs the code a small command runs, so V8 has compiled it and the cache holds it. Each warm-up
 * runs in that child, as source text: it gets the bundle's exports and the repository's root.
 */
const warmUps = {
  noopBuild: (m) => m.noopBuild(["./no-flake-here"], "/", {}),
  instantiate: async (m, root) => {
    for (const json of [[], ["--json"]]) await m.instantiatePlain(["--eval", "--strict", ...json, `${root}/scripts/warmUp.nix`]);
  },
  pushPlain: (m, root) => require(`${root}/scripts/warmUpPush.cjs`)(m),
};
for (const [name, warmUp] of Object.entries(warmUps)) {
  const file = join(outdir, `${name}.cjs`);
  const text = await readFile(file, "utf8");
  await writeFile(file, `${text}//# nixoci-bundle-sha256=${createHash("sha256").update(text).digest("hex")}`);
  const child = `
    const { loadBundle } = require(${JSON.stringify(join(root, "bin", "bundleLoader.cjs"))});
    const b = loadBundle(${JSON.stringify(file)});
    // A warm-up that fails (say, no loopback network) only makes the cache hold less.
    Promise.resolve()
      .then(() => (${warmUp.toString()})(b.exports, ${JSON.stringify(root.replace(/\/$/, ""))}))
      .catch((err) => console.error(\`bundle: warm-up of ${name}.cjs failed (its code cache holds less): \${err?.message ?? err}\`))
      .then(() => { process.exitCode = 0; b.writeCache(); });`;
  execFileSync(process.execPath, ["-e", child], { stdio: ["ignore", "ignore", "inherit"] });
}

// Deferred module (src-relative .js specifier) → its chunk.
const { DEFERRED_SPECIFIERS } = await import(new URL("../dist/deferredModules.js", import.meta.url).href);
const chunkOf = Object.fromEntries(
  Object.entries(metafile.outputs)
    .filter(([, o]) => o.entryPoint)
    .map(([file, o]) => [o.entryPoint.replace(/^src\//, "./").replace(/\.ts$/, ".js"), file.split("/").pop()]),
);
const deferredChunks = Object.fromEntries(
  Object.entries(DEFERRED_SPECIFIERS).map(([name, spec]) => {
    if (!chunkOf[spec]) throw new Error(`bundle: no chunk for deferred module ${spec}`);
    return [name, chunkOf[spec]];
  }),
);
await writeFile(join(outdir, "deferred.json"), `${JSON.stringify(deferredChunks, null, 2)}\n`);
