/**
 * stratifiedFolds: scikit-learn's `StratifiedKFold(n_splits, shuffle=False)` test-fold assignment,
 * which `cross_val_score(clf, X, y, cv=5)` uses for a classifier. Classes are numbered by first
 * appearance in y; each class's rows go, in order, to folds 0, 0, …, 1, 1, … in blocks whose sizes
 * are the class counts of the round-robin split `sort(y)[i::n_splits]`.
 */

/** Test fold of every row. `y` holds class ids (any integers). */
export function stratifiedFolds(y: ArrayLike<number>, n_splits: number): Int32Array {
  const n = y.length;
  if (!Number.isInteger(n_splits) || n_splits < 2) throw new Error(`stratifiedFolds: n_splits must be an integer ≥ 2, got ${n_splits}`);
  const firstSeen = new Map<number, number>();
  const encoded = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    if (!firstSeen.has(v)) firstSeen.set(v, firstSeen.size);
    encoded[i] = firstSeen.get(v)!;
  }
  const nClasses = firstSeen.size;
  const counts = new Array<number>(nClasses).fill(0);
  for (let i = 0; i < n; i++) counts[encoded[i]!]!++;
  if (counts.every((c) => c < n_splits)) throw new Error(`stratifiedFolds: n_splits=${n_splits} exceeds every class count (${counts.join(", ")})`);
  // allocation[f][c]: rows of class c in test fold f = count of positions j ≡ f (mod n_splits) in sort(y)
  const allocation = Array.from({ length: n_splits }, () => new Array<number>(nClasses).fill(0));
  let pos = 0;
  for (let c = 0; c < nClasses; c++) {
    for (let j = 0; j < counts[c]!; j++, pos++) allocation[pos % n_splits]![c]!++;
  }
  const folds = new Int32Array(n);
  const cursor = new Array<number>(nClasses).fill(0); // how many rows of class c assigned so far
  const foldOf = (c: number, rank: number): number => {
    let acc = 0;
    for (let f = 0; f < n_splits; f++) {
      acc += allocation[f]![c]!;
      if (rank < acc) return f;
    }
    return n_splits - 1;
  };
  for (let i = 0; i < n; i++) {
    const c = encoded[i]!;
    folds[i] = foldOf(c, cursor[c]!);
    cursor[c]!++;
  }
  return folds;
}
