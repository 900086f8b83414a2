import { NixociError } from "../errors.js";

/** A step of `build`/`push` failed; the message is already what the user should read. */
export class PipelineError extends NixociError {}
