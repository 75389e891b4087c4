/**
 * k-means in WebAssembly SIMD: the hot loops of src/kmeans.ts (greedy
 * k-means++ seeding and Lloyd's algorithm with Hamerly's bounds), giving the
 * same doubles, bit for bit, as the TypeScript there.
 *
 * Bit-for-bit contract (as src/kmeans.ts): every squared distance is
 *   sum = 0; for j in 0..d-1: delta = a[j] - b[j]; sum += delta * delta
 * in that j order, with no fused multiply-add (this module is built without
 * relaxed SIMD, and f64x2.mul then f64x2.add round twice, as JavaScript does).
 * The vectors hold independent sums side by side: one lane per centre (the
 * centres are stored transposed, d rows of kp values) or one lane per data
 * row, never two parts of the same sum. Sums over rows (cluster sums,
 * potentials, the inertia) take the rows in row order; the cluster sums are
 * vectors across features, each lane its own running sum.
 *
 * Memory: the caller (src/kernels/kmeans-wasm.ts) copies the data in with
 * `alloc`; the work areas are allocated here and freed before returning
 * (AssemblyScript's minimal runtime, TLSF allocator; memory grows as needed).
 *
 * Symbols: n rows, d features, k clusters, kp = k rounded up to even; i a
 * row, j a feature, c a cluster. Pointers are byte offsets; f64 arrays are
 * row-major.
 */

/** A 16-aligned block of `bytes` bytes; aborts when memory cannot grow enough. */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

/** Frees a block from `alloc`. */
export function free(ptr: usize): void {
  heap.free(ptr);
}

@inline function even(v: i32): i32 {
  return (v + 1) & ~1;
}

@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 3);
}

@inline function get(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}

@inline function set(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}

@inline function geti(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

@inline function seti(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}

/** Zero-filled f64 block. */
function zeros(count: i32): usize {
  const bytes = <usize>(count > 0 ? count : 1) << 3;
  const p = heap.alloc(bytes);
  memory.fill(p, 0, bytes);
  return p;
}

/** The plain squared distance between a[0..d) and b[0..d). */
@inline function distance2(a: usize, b: usize, d: i32): f64 {
  let sum: f64 = 0;
  for (let j = 0; j < d; j++) {
    const delta = get(a, j) - get(b, j);
    sum += delta * delta;
  }
  return sum;
}

/**
 * Copies the m points `which[0..m)` of `points` (or 0..m-1 when `which` is 0)
 * into t, transposed: t[j·mp + c] = point c's feature j; padding lanes 0.
 */
function transpose(points: usize, which: usize, m: i32, d: i32, t: usize, mp: i32): void {
  for (let c = 0; c < mp; c++) {
    if (c < m) {
      const row = which == 0 ? c : geti(which, c);
      const src = at(points, row * d);
      for (let j = 0; j < d; j++) set(t, j * mp + c, get(src, j));
    } else {
      for (let j = 0; j < d; j++) set(t, j * mp + c, 0);
    }
  }
}

/**
 * Squared distances from the point xi[0..d) to the mp transposed points of t
 * (d × mp), into out[0..mp): eight, then four, then two lanes per pass over
 * the features; each lane is the plain sum.
 */
function distancesAll(xi: usize, t: usize, mp: i32, d: i32, out: usize): void {
  const stride = <usize>mp << 3;
  let c = 0;
  for (; c + 8 <= mp; c += 8) {
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let s2 = f64x2.splat(0);
    let s3 = f64x2.splat(0);
    let p = at(t, c);
    for (let j = 0; j < d; j++) {
      const v = v128.load64_splat(at(xi, j));
      const e0 = f64x2.sub(v, v128.load(p));
      const e1 = f64x2.sub(v, v128.load(p, 16));
      const e2 = f64x2.sub(v, v128.load(p, 32));
      const e3 = f64x2.sub(v, v128.load(p, 48));
      s0 = f64x2.add(s0, f64x2.mul(e0, e0));
      s1 = f64x2.add(s1, f64x2.mul(e1, e1));
      s2 = f64x2.add(s2, f64x2.mul(e2, e2));
      s3 = f64x2.add(s3, f64x2.mul(e3, e3));
      p += stride;
    }
    const o = at(out, c);
    v128.store(o, s0);
    v128.store(o, s1, 16);
    v128.store(o, s2, 32);
    v128.store(o, s3, 48);
  }
  if (c + 4 <= mp) {
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let p = at(t, c);
    for (let j = 0; j < d; j++) {
      const v = v128.load64_splat(at(xi, j));
      const e0 = f64x2.sub(v, v128.load(p));
      const e1 = f64x2.sub(v, v128.load(p, 16));
      s0 = f64x2.add(s0, f64x2.mul(e0, e0));
      s1 = f64x2.add(s1, f64x2.mul(e1, e1));
      p += stride;
    }
    const o = at(out, c);
    v128.store(o, s0);
    v128.store(o, s1, 16);
    c += 4;
  }
  if (c < mp) {
    let s0 = f64x2.splat(0);
    let p = at(t, c);
    for (let j = 0; j < d; j++) {
      const v = v128.load64_splat(at(xi, j));
      const e0 = f64x2.sub(v, v128.load(p));
      s0 = f64x2.add(s0, f64x2.mul(e0, e0));
      p += stride;
    }
    v128.store(at(out, c), s0);
  }
}

/**
 * Squared distances of `count` rows of x to one point each, into out[0..count):
 * row p is which[p] (or p when `which` is 0), its point is
 * base + labels[row]·d (or base itself when `labels` is 0). Four rows per
 * pass (two per vector, one per lane); each lane is the plain sum.
 */
function rowDistances(x: usize, d: i32, which: usize, count: i32, base: usize, labels: usize, out: usize): void {
  let p = 0;
  for (; p + 4 <= count; p += 4) {
    const r0 = which == 0 ? p : geti(which, p);
    const r1 = which == 0 ? p + 1 : geti(which, p + 1);
    const r2 = which == 0 ? p + 2 : geti(which, p + 2);
    const r3 = which == 0 ? p + 3 : geti(which, p + 3);
    const x0 = at(x, r0 * d);
    const x1 = at(x, r1 * d);
    const x2 = at(x, r2 * d);
    const x3 = at(x, r3 * d);
    const c0 = labels == 0 ? base : at(base, geti(labels, r0) * d);
    const c1 = labels == 0 ? base : at(base, geti(labels, r1) * d);
    const c2 = labels == 0 ? base : at(base, geti(labels, r2) * d);
    const c3 = labels == 0 ? base : at(base, geti(labels, r3) * d);
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    for (let j = 0; j < d; j++) {
      const o = <usize>j << 3;
      const a0 = v128.load64_lane(x1 + o, v128.load64_zero(x0 + o), 1);
      const b0 = v128.load64_lane(c1 + o, v128.load64_zero(c0 + o), 1);
      const a1 = v128.load64_lane(x3 + o, v128.load64_zero(x2 + o), 1);
      const b1 = v128.load64_lane(c3 + o, v128.load64_zero(c2 + o), 1);
      const e0 = f64x2.sub(a0, b0);
      const e1 = f64x2.sub(a1, b1);
      s0 = f64x2.add(s0, f64x2.mul(e0, e0));
      s1 = f64x2.add(s1, f64x2.mul(e1, e1));
    }
    const q = at(out, p);
    v128.store(q, s0);
    v128.store(q, s1, 16);
  }
  for (; p < count; p++) {
    const r = which == 0 ? p : geti(which, p);
    const c = labels == 0 ? base : at(base, geti(labels, r) * d);
    set(out, p, distance2(at(x, r * d), c, d));
  }
}

// ---------------------------------------------------------------- k-means++

/**
 * Start of the seeding, the first centre being row `first`: closest[i] = its
 * squared distance to row i, score[i] = w[i]·closest[i] (w = 0: unweighted);
 * returns the sum of the scores in row order.
 */
export function ppStart(x: usize, w: usize, n: i32, d: i32, first: i32, closest: usize, score: usize): f64 {
  rowDistances(x, d, 0, n, at(x, first * d), 0, closest);
  return ppRescore(w, n, closest, score, 0);
}

/**
 * The row that `Random.categorical(score, total)` picks for the uniform
 * target (already scaled by the total): the first whose running sum exceeds
 * it, else the last with a positive score, else the last row.
 */
export function ppPick(score: usize, n: i32, target: f64): i32 {
  let cumulative: f64 = 0;
  for (let i = 0; i < n; i++) {
    cumulative += get(score, i);
    if (target < cumulative) return i;
  }
  for (let i = n - 1; i >= 0; i--) if (get(score, i) > 0) return i;
  return n - 1;
}

/**
 * Scores the candidate rows rows[0..trials): potentials[t] = Σ_i w_i·min(closest[i], D²(i, rows[t])),
 * summed in row order. `work` holds d·even(trials) + even(trials) values.
 */
export function ppTrials(x: usize, w: usize, n: i32, d: i32, rows: usize, trials: i32, closest: usize, potentials: usize, work: usize): void {
  const tp = even(trials);
  const t = work;
  const dist = at(work, d * tp);
  transpose(x, rows, trials, d, t, tp);
  for (let q = 0; q < trials; q++) set(potentials, q, 0);
  for (let i = 0; i < n; i++) {
    distancesAll(at(x, i * d), t, tp, d, dist);
    const ci = get(closest, i);
    const wi: f64 = w == 0 ? 1 : get(w, i);
    for (let q = 0; q < trials; q++) set(potentials, q, get(potentials, q) + wi * min<f64>(ci, get(dist, q)));
  }
}

/**
 * Row `row` joins the centres: closest[i] = min(closest[i], D²(i, row)),
 * score[i] = w[i]·closest[i]; returns the sum of the scores in row order.
 * `work` holds n values.
 */
export function ppUpdate(x: usize, w: usize, n: i32, d: i32, row: i32, closest: usize, score: usize, work: usize): f64 {
  rowDistances(x, d, 0, n, at(x, row * d), 0, work);
  let potential: f64 = 0;
  for (let i = 0; i < n; i++) {
    const ci = min<f64>(get(closest, i), get(work, i));
    set(closest, i, ci);
    const s = w == 0 ? ci : get(w, i) * ci;
    set(score, i, s);
    potential += s;
  }
  return potential;
}

/** score[i] = w[i]·closest[i] (closest zeroed first when `clear`); returns their sum in row order. */
export function ppRescore(w: usize, n: i32, closest: usize, score: usize, clear: i32): f64 {
  if (clear != 0) memory.fill(closest, 0, <usize>n << 3);
  let potential: f64 = 0;
  for (let i = 0; i < n; i++) {
    const ci = get(closest, i);
    const s = w == 0 ? ci : get(w, i) * ci;
    set(score, i, s);
    potential += s;
  }
  return potential;
}

// ---------------------------------------------------------------- Lloyd

let X: usize = 0;
let W: usize = 0;
let N: i32 = 0;
let D: i32 = 0;
let K: i32 = 0;
let KP: i32 = 0;
let centersPtr: usize = 0;
let labelsPtr: usize = 0;
let upperPtr: usize = 0;
let lowerPtr: usize = 0;
let halfPtr: usize = 0;
let movementPtr: usize = 0;
let sumsPtr: usize = 0;
let countsPtr: usize = 0;
let transposedPtr: usize = 0;
let distPtr: usize = 0;
let pendingPtr: usize = 0;
let exactPtr: usize = 0;

/** Rows × features of one block of hamerlyStep (128 KiB of data). */
const BLOCK_VALUES: i32 = 16384;

let nearest: f64 = 0;
let second: f64 = 0;

let resultInertia: f64 = 0;
let resultIterations: i32 = 0;
let resultConverged: i32 = 0;

/** The inertia of the last `lloyd`. */
export function lloydInertia(): f64 {
  return resultInertia;
}

/** The iterations of the last `lloyd`. */
export function lloydIterations(): i32 {
  return resultIterations;
}

/** 1 if the last `lloyd` converged. */
export function lloydConverged(): i32 {
  return resultConverged;
}

/** Index of the smallest of dist[0..k) (lowest among ties); sets `nearest` and `second`. */
@inline function nearestTwo(dist: usize, k: i32): i32 {
  let best = 0;
  let bestDistance = get(dist, 0);
  let next: f64 = Infinity;
  // Branch-free (selects), with the decisions of
  // `if (v < bestDistance) { next = bestDistance; bestDistance = v; best = c } else if (v < next) next = v`.
  for (let c = 1; c < k; c++) {
    const v = get(dist, c);
    const closer = v < bestDistance;
    const other = v < next ? v : next;
    next = closer ? bestDistance : other;
    bestDistance = closer ? v : bestDistance;
    best = closer ? c : best;
  }
  nearest = bestDistance;
  second = next;
  return best;
}

/** Row i joins its cluster's weighted sum and total weight (each feature's sum in row order). */
@inline function addRow(i: i32): void {
  const c = geti(labelsPtr, i);
  const d = D;
  const s = at(sumsPtr, c * d);
  const xi = at(X, i * d);
  if (W == 0) {
    set(countsPtr, c, get(countsPtr, c) + 1);
    let j = 0;
    for (; j + 2 <= d; j += 2) {
      const o = <usize>j << 3;
      v128.store(s + o, f64x2.add(v128.load(s + o), v128.load(xi + o)));
    }
    if (j < d) set(s, j, get(s, j) + get(xi, j));
  } else {
    const wi = get(W, i);
    set(countsPtr, c, get(countsPtr, c) + wi);
    const wv = f64x2.splat(wi);
    let j = 0;
    for (; j + 2 <= d; j += 2) {
      const o = <usize>j << 3;
      v128.store(s + o, f64x2.add(v128.load(s + o), f64x2.mul(wv, v128.load(xi + o))));
    }
    if (j < d) set(s, j, get(s, j) + wi * get(xi, j));
  }
}

/** Row i against every centre: its label and exact bounds (as assignNearest). */
@inline function assignFully(i: i32): void {
  distancesAll(at(X, i * D), transposedPtr, KP, D, distPtr);
  seti(labelsPtr, i, nearestTwo(distPtr, K));
  set(upperPtr, i, sqrt<f64>(nearest));
  set(lowerPtr, i, sqrt<f64>(second));
}

/** Widens [low, high] to hold the m points (m×d), as `if (v < low) low = v; if (v > high) high = v`. */
function extendBox(low: usize, high: usize, points: usize, m: i32, d: i32): void {
  for (let i = 0; i < m; i++) {
    const p = at(points, i * d);
    let j = 0;
    for (; j + 2 <= d; j += 2) {
      const v = v128.load(at(p, j));
      // pmin(low, v) = v < low ? v : low; pmax(high, v) = high < v ? v : high.
      v128.store(at(low, j), f64x2.pmin(v128.load(at(low, j)), v));
      v128.store(at(high, j), f64x2.pmax(v128.load(at(high, j)), v));
    }
    for (; j < d; j++) {
      const v = get(p, j);
      if (v < get(low, j)) set(low, j, v);
      if (v > get(high, j)) set(high, j, v);
    }
  }
}

/** The rounding slack of the bound tests at iteration t (src/kmeans.ts `slack`, the same operations). */
function slack(low: usize, high: usize, d: i32, t: i32): f64 {
  let diameter: f64 = 0;
  for (let j = 0; j < d; j++) diameter += (get(high, j) - get(low, j)) * (get(high, j) - get(low, j));
  const minValue = reinterpret<f64>(<u64>1);
  return (
    (4 * <f64>(t + 2)) *
    (f64.EPSILON * sqrt<f64>(diameter) * <f64>(t + d + 8) + sqrt<f64>(<f64>(d + 2) * minValue))
  );
}

/** Mean over features of the (weighted) variance (src/kmeans.ts `meanVariance`, the same sums). */
function meanVariance(x: usize, w: usize, n: i32, d: i32): f64 {
  let total: f64 = 0;
  const mean = zeros(d);
  const variance = zeros(d);
  for (let i = 0; i < n; i++) {
    const wi: f64 = w == 0 ? 1 : get(w, i);
    total += wi;
    const xi = at(x, i * d);
    const wv = f64x2.splat(wi);
    let j = 0;
    for (; j + 2 <= d; j += 2) {
      v128.store(at(mean, j), f64x2.add(v128.load(at(mean, j)), f64x2.mul(wv, v128.load(at(xi, j)))));
    }
    for (; j < d; j++) set(mean, j, get(mean, j) + wi * get(xi, j));
  }
  for (let j = 0; j < d; j++) set(mean, j, get(mean, j) / total);
  for (let i = 0; i < n; i++) {
    const wi: f64 = w == 0 ? 1 : get(w, i);
    const xi = at(x, i * d);
    const wv = f64x2.splat(wi);
    let j = 0;
    for (; j + 2 <= d; j += 2) {
      const delta = f64x2.sub(v128.load(at(xi, j)), v128.load(at(mean, j)));
      v128.store(at(variance, j), f64x2.add(v128.load(at(variance, j)), f64x2.mul(f64x2.mul(wv, delta), delta)));
    }
    for (; j < d; j++) {
      const delta = get(xi, j) - get(mean, j);
      set(variance, j, get(variance, j) + wi * delta * delta);
    }
  }
  let sum: f64 = 0;
  for (let j = 0; j < d; j++) sum += get(variance, j) / total;
  heap.free(mean);
  heap.free(variance);
  return d > 0 && total > 0 ? sum / <f64>d : 0;
}

/**
 * One assignment pass of Hamerly's algorithm after the centres moved from
 * `previous` (src/kmeans.ts `hamerlyStep`, the same decisions). Block by
 * block of rows: first the bound test of every row, then the exact distances
 * to their own centres of the rows that failed it (four at a time), then, in
 * row order, the rows that fail again get every distance, and each row joins
 * its cluster's sums.
 */
function hamerlyStep(previous: usize, margin: f64, accumulate: bool): void {
  const n = N;
  const d = D;
  const k = K;
  for (let c = 0; c < k; c++) set(movementPtr, c, sqrt<f64>(distance2(at(centersPtr, c * d), at(previous, c * d), d)));
  for (let c = 0; c < k; c++) set(halfPtr, c, Infinity);
  for (let c = 0; c < k; c++) {
    for (let b = c + 1; b < k; b++) {
      const h = 0.5 * sqrt<f64>(distance2(at(centersPtr, c * d), at(centersPtr, b * d), d));
      if (h < get(halfPtr, c)) set(halfPtr, c, h);
      if (h < get(halfPtr, b)) set(halfPtr, b, h);
    }
  }
  let fastest = 0;
  for (let c = 1; c < k; c++) if (get(movementPtr, c) > get(movementPtr, fastest)) fastest = c;
  let secondMove: f64 = 0;
  for (let c = 0; c < k; c++) if (c != fastest && get(movementPtr, c) > secondMove) secondMove = get(movementPtr, c);
  const firstMove = get(movementPtr, fastest);
  transpose(centersPtr, 0, k, d, transposedPtr, KP);

  // Blocks of rows small enough to stay in cache between the passes, so each row is read from memory once.
  const block = max<i32>(16, BLOCK_VALUES / max<i32>(d, 1));
  for (let start = 0; start < n; start += block) {
    const stop = min<i32>(n, start + block);
    // The bounds moved with the centres; rows whose test fails wait for their exact distance.
    let pending = 0;
    for (let i = start; i < stop; i++) {
      const a = geti(labelsPtr, i);
      const u = get(upperPtr, i) + get(movementPtr, a);
      const l = get(lowerPtr, i) - (a == fastest ? secondMove : firstMove);
      const h = get(halfPtr, a);
      const z = l > h ? l : h;
      set(upperPtr, i, u);
      set(lowerPtr, i, l);
      // Branch-free: row i is written in any case and kept when its test fails.
      seti(pendingPtr, pending, i);
      pending += <i32>!(u + margin < z);
    }
    rowDistances(X, d, pendingPtr, pending, centersPtr, labelsPtr, exactPtr);
    // In row order: rows failing the test with the exact distance get every distance; each row joins its cluster's sums.
    let next = pending > 0 ? geti(pendingPtr, 0) : stop;
    if (accumulate) for (let i = start; i < next; i++) addRow(i);
    for (let p = 0; p < pending; p++) {
      const i = geti(pendingPtr, p);
      const u = sqrt<f64>(get(exactPtr, p));
      const a = geti(labelsPtr, i);
      const l = get(lowerPtr, i);
      const h = get(halfPtr, a);
      const z = l > h ? l : h;
      if (!(u + margin < z)) assignFully(i);
      else set(upperPtr, i, u);
      if (accumulate) {
        addRow(i);
        next = p + 1 < pending ? geti(pendingPtr, p + 1) : stop;
        for (let r = i + 1; r < next; r++) addRow(r);
      }
    }
  }
}

/**
 * Lloyd iterations from centers (k×d, updated in place); writes labels
 * (n i32). x is n×d; w is n weights or 0 (unweighted). The inertia,
 * iterations and convergence are read back with lloydInertia,
 * lloydIterations and lloydConverged. src/kmeans.ts `lloyd`, bit for bit.
 */
export function lloyd(x: usize, w: usize, n: i32, d: i32, k: i32, centers: usize, labels: usize, maxIterations: i32, tolerance: f64): void {
  X = x;
  W = w;
  N = n;
  D = d;
  K = k;
  KP = even(k);
  centersPtr = centers;
  labelsPtr = labels;
  const threshold = tolerance * meanVariance(x, w, n, d);
  upperPtr = zeros(n);
  lowerPtr = zeros(n);
  halfPtr = zeros(k);
  movementPtr = zeros(k);
  sumsPtr = zeros(k * d);
  countsPtr = zeros(k);
  transposedPtr = zeros(d * KP);
  distPtr = zeros(KP);
  pendingPtr = heap.alloc(<usize>(n > 0 ? n : 1) << 2);
  exactPtr = zeros(n);
  const previous = zeros(k * d);
  const low = zeros(d);
  const high = zeros(d);
  for (let j = 0; j < d; j++) {
    set(low, j, Infinity);
    set(high, j, -Infinity);
  }
  extendBox(low, high, x, n, d);
  extendBox(low, high, centers, k, d);
  // Exact squared distances to the own centre, for the empty-cluster path (allocated when needed).
  let distances: usize = 0;

  transpose(centers, 0, k, d, transposedPtr, KP);
  for (let i = 0; i < n; i++) {
    assignFully(i);
    if (maxIterations > 0) addRow(i);
  }

  let converged = false;
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    let empty = false;
    for (let c = 0; c < k; c++) if (!(get(countsPtr, c) > 0)) empty = true;
    if (empty) {
      if (distances == 0) distances = zeros(n);
      rowDistances(x, d, 0, n, centers, labels, distances);
    }
    memory.copy(previous, centers, <usize>(k * d) << 3);
    let shift: f64 = 0;
    for (let c = 0; c < k; c++) {
      const count = get(countsPtr, c);
      const cc = at(centers, c * d);
      if (count > 0) {
        const sc = at(sumsPtr, c * d);
        for (let j = 0; j < d; j++) {
          const next = get(sc, j) / count;
          const delta = next - get(cc, j);
          shift += delta * delta;
          set(cc, j, next);
        }
      } else {
        let worst = 0;
        for (let i = 1; i < n; i++) if (get(distances, i) > get(distances, worst)) worst = i;
        const xw = at(x, worst * d);
        for (let j = 0; j < d; j++) {
          const delta = get(xw, j) - get(cc, j);
          shift += delta * delta;
          set(cc, j, get(xw, j));
        }
        set(distances, worst, 0);
      }
    }
    extendBox(low, high, centers, k, d);
    const last = shift <= threshold || iterations == maxIterations;
    if (!last) {
      memory.fill(sumsPtr, 0, <usize>(k * d) << 3);
      memory.fill(countsPtr, 0, <usize>k << 3);
    }
    hamerlyStep(previous, slack(low, high, d, iterations), !last);
    if (shift <= threshold) {
      converged = true;
      break;
    }
  }

  // The inertia as assignNearest sums it, in row order.
  rowDistances(x, d, 0, n, centers, labels, exactPtr);
  let inertia: f64 = 0;
  for (let i = 0; i < n; i++) inertia += (w == 0 ? 1 : get(w, i)) * get(exactPtr, i);
  resultInertia = inertia;
  resultIterations = iterations;
  resultConverged = converged ? 1 : 0;

  if (distances != 0) heap.free(distances);
  heap.free(high);
  heap.free(low);
  heap.free(previous);
  heap.free(exactPtr);
  heap.free(pendingPtr);
  heap.free(distPtr);
  heap.free(transposedPtr);
  heap.free(countsPtr);
  heap.free(sumsPtr);
  heap.free(movementPtr);
  heap.free(halfPtr);
  heap.free(lowerPtr);
  heap.free(upperPtr);
}
