/** `nix-cache-info`, the file at the root of every binary cache (Nix's BinaryCacheStore::init). */

export interface CacheInfo {
  storeDir?: string;
  wantMassQuery?: boolean;
  priority?: number;
}

/** Lines `Name: value`; unknown names and lines without a colon are ignored, as Nix does. */
export function parseCacheInfo(text: string): CacheInfo {
  const info: CacheInfo = {};
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (name === "StoreDir") info.storeDir = value;
    else if (name === "WantMassQuery") info.wantMassQuery = value === "1";
    else if (name === "Priority") {
      const n = Number.parseInt(value, 10);
      if (Number.isFinite(n)) info.priority = n;
    }
  }
  return info;
}

/** What `nix copy --to` writes into a new cache: only the store dir. */
export function writeCacheInfo(storeDir: string): string {
  return `StoreDir: ${storeDir}\n`;
}
