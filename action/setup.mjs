// `pre` step: install and build nixoci inside the action's own checkout, so
// `main` can run the compiled CLI. Runs once per job.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
if (!existsSync(`${root}/dist/cli/action.js`)) {
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
}
