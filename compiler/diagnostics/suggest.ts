// "Did you mean" suggestions by edit distance, as graphql-js's didYouMean.

/** Levenshtein distance, case-insensitive, with transpositions counted as one edit. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const rows = s.length + 1;
  const cols = t.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[s.length]![t.length]!;
}

/** Up to `limit` candidates close to `input`, nearest first (ties in the given order). */
export function nearestNames(input: string, candidates: Iterable<string>, limit = 3): string[] {
  const threshold = Math.max(1, Math.floor(input.length * 0.4)) + 1;
  const scored: { name: string; distance: number; order: number }[] = [];
  let order = 0;
  for (const name of candidates) {
    const distance = name.toLowerCase() === input.toLowerCase() ? 0 : editDistance(input, name);
    const contains = name.toLowerCase().includes(input.toLowerCase()) || input.toLowerCase().includes(name.toLowerCase());
    if (distance <= threshold || (contains && Math.min(name.length, input.length) >= 2)) scored.push({ name, distance, order: order++ });
  }
  scored.sort((a, b) => a.distance - b.distance || a.order - b.order);
  return [...new Set(scored.map((s) => s.name))].slice(0, limit);
}

/** " Did you mean 'A' or 'B'?" or "" when nothing is close. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const names = nearestNames(input, candidates);
  if (names.length === 0) return undefined;
  const quoted = names.map((n) => `'${n}'`);
  const list = quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}`;
  return `did you mean ${list}?`;
}
