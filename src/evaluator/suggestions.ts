/**
 * "Did you mean …?" for a missing attribute, as Nix's Suggestions: the names at Levenshtein
 * distance 2 or less from the one asked for, nearest first (then by name), at most 5.
 */

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1);
  for (let i = 0; i < a.length; i++) {
    cur[0] = i + 1;
    for (let j = 0; j < b.length; j++) {
      cur[j + 1] = Math.min(prev[j + 1]! + 1, cur[j]! + 1, prev[j]! + (a[i] === b[j] ? 0 : 1));
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/** The closest of `names` to `query`, best first. */
export function closestNames(query: string, names: readonly string[]): string[] {
  return names
    .map((name) => ({ name, d: levenshtein(query, name) }))
    .filter((x) => x.d <= 2)
    .sort((x, y) => x.d - y.d || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
    .slice(0, 5)
    .map((x) => x.name);
}

/** Nix's wording: "y", "one of x or y", "one of x, y or z". */
export function showSuggestions(names: readonly string[]): string {
  if (names.length <= 1) return names.join("");
  return `one of ${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`;
}
