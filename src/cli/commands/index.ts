import type { Command } from "commander";

/** A subcommand adds itself to the program; one file per command under this folder. */
export type Register = (program: Command) => void;

type Loader = () => Promise<Register>;

/**
 * Top-level command name → the modules that define it, in order. Only the
 * modules of the command being run are loaded (start-up time matters for
 * no-op builds and pushes); help and unknown commands load them all.
 */
export const commandModules: Record<string, Loader[]> = {
  build: [async () => (await import("./build.js")).registerBuild],
  push: [async () => (await import("./push.js")).registerPush],
  copy: [async () => (await import("./copy.js")).registerCopy],
  instantiate: [async () => (await import("./instantiate.js")).registerInstantiate],
  eval: [async () => (await import("./eval.js")).registerEval],
  flake: [async () => (await import("./flake.js")).registerFlake],
  registry: [async () => (await import("./registry.js")).registerRegistry],
  image: [async () => (await import("./image.js")).registerImage],
  realise: [async () => (await import("./realise.js")).registerRealise],
  "path-info": [async () => (await import("./path-info.js")).registerPathInfo],
  store: [async () => (await import("./store.js")).registerStore, async () => (await import("./storeCopy.js")).registerStoreCopy],
  log: [async () => (await import("./log.js")).registerLog],
  "why-depends": [async () => (await import("./why-depends.js")).registerWhyDepends],
  key: [async () => (await import("./key.js")).registerKey],
};

const aliases: Record<string, string> = { realize: "realise" };

/** The registrations needed to run `name` (all of them when it is not a known command). */
export async function loadCommands(name: string | undefined): Promise<Register[]> {
  const key = name === undefined ? undefined : (aliases[name] ?? name);
  const loaders = key !== undefined && key in commandModules ? commandModules[key]! : Object.values(commandModules).flat();
  return Promise.all(loaders.map((load) => load()));
}
