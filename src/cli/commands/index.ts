import type { Command } from "commander";
import { registerInstantiate } from "./instantiate.js";
import { registerEval } from "./eval.js";
import { registerImage } from "./image.js";
import { registerWhyDepends } from "./why-depends.js";
import { registerRealise } from "./realise.js";
import { registerPathInfo } from "./path-info.js";
import { registerStore } from "./store.js";
import { registerLog } from "./log.js";
import { registerCopy } from "./copy.js";
import { registerPush } from "./push.js";
import { registerBuild } from "./build.js";
import { registerFlake } from "./flake.js";
import { registerRegistry } from "./registry.js";
import { registerStoreCopy } from "./storeCopy.js";
import { registerKey } from "./key.js";

/** A subcommand adds itself to the program; one file per command under this folder. */
export type Register = (program: Command) => void;

// Each command module appends its registration here (one line each).
export const commands: Register[] = [registerBuild, registerInstantiate, registerEval, registerImage, registerWhyDepends, registerRealise, registerPathInfo, registerStore, registerLog, registerCopy, registerPush, registerStoreCopy, registerKey, registerFlake, registerRegistry];
