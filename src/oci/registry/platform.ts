/** `os/arch[/variant]` platform names and matching, as docker/skopeo's --platform use them. */
import { OciFormatError, type Platform } from "../spec.js";

export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split("/");
  if (!os || !architecture) throw new OciFormatError(`platform '${s}' is not os/arch[/variant]`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function platformMatches(want: Platform, have: Platform | undefined): boolean {
  if (!have) return false;
  if (want.os !== have.os || want.architecture !== have.architecture) return false;
  // arm64 images often omit the v8 variant.
  if (want.variant !== undefined && have.variant !== undefined && want.variant !== have.variant) return false;
  return true;
}
