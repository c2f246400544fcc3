// "Did you mean …?" for misspelt package names: close by edit distance, or starting with what was typed.

/** Up to `limit` names close to `name`, best first. */
export function suggestNames(name: string, names: Iterable<string>, limit = 3): string[] {
  const maxDistance = Math.max(2, Math.floor(name.length / 3));
  const scored: { n: string; score: number }[] = [];
  for (const n of names) {
    const prefix = name.length >= 3 && n.startsWith(name);
    if (!prefix && Math.abs(n.length - name.length) > maxDistance) continue;
    const d = prefix ? 1 : editDistance(name, n, maxDistance);
    if (d <= maxDistance) scored.push({ n, score: d });
  }
  scored.sort((a, b) => a.score - b.score || a.n.length - b.n.length || (a.n < b.n ? -1 : a.n > b.n ? 1 : 0));
  return scored.slice(0, limit).map((s) => s.n);
}

/** Levenshtein distance, giving up (returning bound + 1) once it must exceed `bound`. */
export function editDistance(a: string, b: string, bound = Infinity): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (cur[j]! < rowMin) rowMin = cur[j]!;
    }
    if (rowMin > bound) return bound + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}
