import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { formatKey, generateSecretKey, parseSecretKey, publicKeyOf } from "../../store/format/index.js";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** `nixoci key generate-secret` / `convert-secret-to-public`: Nix's ed25519 signing keys, printed as `nix key` does (no newline). */
export function registerKey(program: Command): void {
  const key = program.command("key").description("generate and convert binary cache signing keys (as nix key)");
  key
    .command("generate-secret")
    .description("print a new secret key (name:base64) on stdout")
    .requiredOption("--key-name <name>", "identifier of the key (e.g. cache.example.org-1)")
    .action((flags: { keyName: string }) => {
      if (flags.keyName === "" || flags.keyName.includes(":")) throw new UsageError(`invalid key name '${flags.keyName}'`);
      process.stdout.write(formatKey(generateSecretKey(flags.keyName)));
    });
  key
    .command("convert-secret-to-public")
    .description("read a secret key on stdin, print its public key on stdout")
    .action(async () => {
      process.stdout.write(formatKey(publicKeyOf(parseSecretKey(await readStdin()))));
    });
}
