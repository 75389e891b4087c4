/**
 * Renumbering k-means clusters to match EM components, so that the two
 * panels use the same colour for the same group.
 */

/**
 * The renumbering of labels `a` that agrees most with labels `b`: returns
 * `map` with `map[a label] = b label`. Exhaustive for k ≤ 8, greedy above.
 */
export function matchLabels(a: ArrayLike<number>, b: ArrayLike<number>, k: number): Int32Array {
  const counts = new Float64Array(k * k);
  for (let i = 0; i < a.length; i++) counts[a[i] * k + b[i]]++;
  const best = new Int32Array(k);
  if (k > 8) {
    const used = new Uint8Array(k);
    const order = Array.from({ length: k * k }, (_, q) => q).sort((p, q) => counts[q] - counts[p]);
    best.fill(-1);
    for (const q of order) {
      const from = Math.floor(q / k);
      const to = q % k;
      if (best[from] < 0 && !used[to]) {
        best[from] = to;
        used[to] = 1;
      }
    }
    return best;
  }
  const current = new Int32Array(k);
  const used = new Uint8Array(k);
  let bestScore = -1;
  const search = (from: number, score: number) => {
    if (from === k) {
      if (score > bestScore) {
        bestScore = score;
        best.set(current);
      }
      return;
    }
    for (let to = 0; to < k; to++) {
      if (used[to]) continue;
      used[to] = 1;
      current[from] = to;
      search(from + 1, score + counts[from * k + to]);
      used[to] = 0;
    }
  };
  search(0, 0);
  return best;
}
