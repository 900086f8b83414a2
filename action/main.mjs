// `main` step: the GitHub runner starts this with INPUT_* variables and the
// GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files; the logic lives in src/cli/action.ts.
import { runAction } from "../dist/cli/action.js";

runAction(process.env).then(
  (code) => process.exit(code),
  (err) => {
    process.stdout.write(`::error::${String(err?.message ?? err).split("\n").join("%0A")}\n`);
    process.exit(1);
  },
);
