/**
 * The per-chunk work of Lloyd's algorithm with Hamerly's bounds (src/lloyd.ts
 * `LloydChunks`, driven by src/kernels/lloyd-wasm.ts): one assignment pass
 * over one chunk of at most CHUNK_ROWS rows, writing the chunk's cluster
 * counts and sums from zero; each row's distance to its centre; the chunk's
 * inertia. The iterations themselves (centre updates, relocation, stopping)
 * run in TypeScript, which adds the chunks' sums in chunk order, so any way
 * of holding the chunks (one module, worker threads) gives the same bits.
 *
 * Compiled into two modules: the k-means module (assembly/kmeans.ts, its own
 * copy of the data) and the E-step module (assembly/estep.ts re-exports these
 * functions, so a kernel clusters the rows it already holds). Same decisions
 * and doubles as src/lloyd.ts `tsLloydChunks`, bit for bit; no fused
 * multiply-add (assembly/distances.ts).
 *
 * State: `lloydConfigure` sizes the work areas for k and d and returns where
 * the caller writes each pass's centres (k×d), movements (k) and half
 * distances to the nearest other centre (k); `lloydCentres` then transposes
 * the centres. Per row, the caller keeps the label (i32) and Hamerly's upper
 * and lower bounds (f64) between passes.
 *
 * Symbols: k clusters, d features, kp = k rounded up to even; i a row (of
 * the chunk), j a feature, c a cluster.
 */
import { allocate, release } from './blocks';
import { at, distancesAll, even, get, geti, rowDistances, set, seti, transpose, zeros } from './distances';

/** Rows per chunk (src/kernels/kernel.ts CHUNK_ROWS): the most rows one call takes. */
const CHUNK_ROWS: i32 = 4096;

/** Rows × features of one block of the bounds pass (128 KiB of data). */
const BLOCK_VALUES: i32 = 16384;

let K: i32 = 0;
let D: i32 = 0;
let KP: i32 = 0;
/** centres (k×d) | movement (k) | half (k); 0 when not configured. */
let paramsPtr: usize = 0;
let transposedPtr: usize = 0;
let distPtr: usize = 0;
let pendingPtr: usize = 0;
let exactPtr: usize = 0;
/** One row's x − c (d values, padded to even). */
let diffPtr: usize = 0;

// The chunk of the current call.
let X: usize = 0;
let W: usize = 0;
let labelsPtr: usize = 0;
let upperPtr: usize = 0;
let lowerPtr: usize = 0;
let countsPtr: usize = 0;
let sumsPtr: usize = 0;

let nearest: f64 = 0;
let second: f64 = 0;

/**
 * Sizes the work areas for k clusters of d features (freeing earlier ones);
 * returns the byte offset of the centres (k×d), then movements (k), then half
 * distances (k), which the caller writes before each pass.
 */
export function lloydConfigure(k: i32, d: i32): usize {
  lloydRelease();
  K = k;
  D = d;
  KP = even(k);
  paramsPtr = zeros(k * d + 2 * k);
  transposedPtr = zeros(d * KP);
  distPtr = zeros(KP);
  pendingPtr = allocate(<usize>CHUNK_ROWS << 2);
  exactPtr = zeros(CHUNK_ROWS);
  diffPtr = zeros(even(d) + 2);
  return paramsPtr;
}

/** Frees the work areas of `lloydConfigure`. */
export function lloydRelease(): void {
  if (paramsPtr == 0) return;
  release(diffPtr);
  release(exactPtr);
  release(pendingPtr);
  release(distPtr);
  release(transposedPtr);
  release(paramsPtr);
  paramsPtr = 0;
}

/** Takes the centres the caller wrote: their transposed copy for the distances to every centre. */
export function lloydCentres(): void {
  transpose(paramsPtr, 0, K, D, transposedPtr, KP);
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
  addRowTo(i, geti(labelsPtr, i));
}

/** Row i joins cluster c's weighted sum and total weight. */
@inline function addRowTo(i: i32, c: i32): void {
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

/** The nearest centre to the row at xi (the lowest index among ties, as assignNearest); its squared distance is then in `nearest`. */
@inline function nearestOf(xi: usize): i32 {
  distancesAll(xi, transposedPtr, KP, D, distPtr);
  return nearestTwo(distPtr, K);
}

/** Row i against every centre: its label and exact bounds (as assignNearest). */
@inline function assignFully(i: i32): void {
  seti(labelsPtr, i, nearestOf(at(X, i * D)));
  set(upperPtr, i, sqrt<f64>(nearest));
  set(lowerPtr, i, sqrt<f64>(second));
}

/**
 * The bounds pass over rows [0, n) of the chunk (src/lloyd.ts `tsLloydChunks`,
 * the same decisions). Block by block of rows: first the bound test of every
 * row, then the exact distances to their own centres of the rows that failed
 * it (four at a time), then, in row order, the rows that fail again get every
 * distance, and each row joins its cluster's sums.
 */
function boundsPass(n: i32, accumulate: bool, fastest: i32, firstMove: f64, secondMove: f64, margin: f64): void {
  const d = D;
  const centres = paramsPtr;
  const movement = at(paramsPtr, K * d);
  const half = at(movement, K);
  // Blocks of rows small enough to stay in cache between the passes, so each row is read from memory once.
  const block = max<i32>(16, BLOCK_VALUES / max<i32>(d, 1));
  for (let start = 0; start < n; start += block) {
    const stop = min<i32>(n, start + block);
    // The bounds moved with the centres; rows whose test fails wait for their exact distance.
    let pending = 0;
    for (let i = start; i < stop; i++) {
      const a = geti(labelsPtr, i);
      const u = get(upperPtr, i) + get(movement, a);
      const l = get(lowerPtr, i) - (a == fastest ? secondMove : firstMove);
      const h = get(half, a);
      const z = l > h ? l : h;
      set(upperPtr, i, u);
      set(lowerPtr, i, l);
      // Branch-free: row i is written in any case and kept when its test fails.
      seti(pendingPtr, pending, i);
      pending += <i32>!(u + margin < z);
    }
    rowDistances(X, d, pendingPtr, pending, centres, labelsPtr, exactPtr);
    // In row order: rows failing the test with the exact distance get every distance; each row joins its cluster's sums.
    let next = pending > 0 ? geti(pendingPtr, 0) : stop;
    if (accumulate) for (let i = start; i < next; i++) addRow(i);
    for (let p = 0; p < pending; p++) {
      const i = geti(pendingPtr, p);
      const u = sqrt<f64>(get(exactPtr, p));
      const a = geti(labelsPtr, i);
      const l = get(lowerPtr, i);
      const h = get(half, a);
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
 * One assignment pass over a chunk of n ≤ CHUNK_ROWS rows: x (n×d), weights
 * w (or 0: unweighted), and its rows' labels (n i32) and upper and lower
 * bounds (n f64 each). `first`: every row against every centre; otherwise
 * Hamerly's tests with the movements and half distances written at
 * configuration, the centre that moved most, the largest and second largest
 * movements and the rounding margin. With `accumulate`, the chunk's counts
 * (k) and sums (k×d), from zero in row order, go to out + 8 (out[0] is the
 * inertia's place, left alone).
 */
export function lloydAssign(
  x: usize,
  w: usize,
  n: i32,
  labels: usize,
  upper: usize,
  lower: usize,
  out: usize,
  first: i32,
  accumulate: i32,
  fastest: i32,
  firstMove: f64,
  secondMove: f64,
  margin: f64,
): void {
  X = x;
  W = w;
  labelsPtr = labels;
  upperPtr = upper;
  lowerPtr = lower;
  countsPtr = out + 8;
  sumsPtr = at(countsPtr, K);
  if (accumulate != 0) memory.fill(countsPtr, 0, <usize>(K + K * D) << 3);
  if (first != 0) {
    for (let i = 0; i < n; i++) {
      assignFully(i);
      if (accumulate != 0) addRow(i);
    }
  } else {
    boundsPass(n, accumulate != 0, fastest, firstMove, secondMove, margin);
  }
}

/** The squared distances of two rows (one per lane) to the centre at c: distance2's sum in each lane. */
@inline function pairDistance(xi: usize, xj: usize, c: usize, d: i32): v128 {
  let s = f64x2.splat(0);
  for (let j = 0; j < d; j++) {
    const o = <usize>j << 3;
    const e = f64x2.sub(v128.load64_lane(xj + o, v128.load64_zero(xi + o), 1), v128.load64_splat(c + o));
    s = f64x2.add(s, f64x2.mul(e, e));
  }
  return s;
}

/**
 * The nearest centres of two rows, one per lane (as f64), with the decisions
 * of `nearestTwo`: centre 0 first, then a centre replaces the best only when
 * strictly closer, so ties go to the lowest index and NaN never wins.
 */
@inline function nearestPair(xi: usize, xj: usize): v128 {
  const k = K;
  const d = D;
  const rowBytes = <usize>d << 3;
  let c = paramsPtr;
  let bestDistance = pairDistance(xi, xj, c, d);
  let best = f64x2.splat(0);
  for (let m = 1; m < k; m++) {
    c += rowBytes;
    const s = pairDistance(xi, xj, c, d);
    const closer = f64x2.lt(s, bestDistance);
    bestDistance = v128.bitselect(s, bestDistance, closer);
    best = v128.bitselect(f64x2.splat(<f64>m), best, closer);
  }
  return best;
}

/**
 * Plain Lloyd's assignment pass (src/kernels/lloyd-wasm.ts uses it for small
 * k·d): no per-row state, every row against every centre (two rows at a
 * time, one per lane), each joining its nearest centre's counts and sums,
 * from zero in row order, at out + 8. The labels are those of the bounds'
 * passes (which are exact), so the sums are the same, bit for bit.
 */
export function lloydAssignPlain(x: usize, w: usize, n: i32, out: usize): void {
  X = x;
  W = w;
  countsPtr = out + 8;
  sumsPtr = at(countsPtr, K);
  memory.fill(countsPtr, 0, <usize>(K + K * D) << 3);
  const rowBytes = <usize>D << 3;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const xi = x + <usize>i * rowBytes;
    const best = nearestPair(xi, xi + rowBytes);
    addRowTo(i, <i32>f64x2.extract_lane(best, 0));
    addRowTo(i + 1, <i32>f64x2.extract_lane(best, 1));
  }
  if (i < n) addRowTo(i, nearestOf(x + <usize>i * rowBytes));
}

/** The nearest centre of each of the chunk's n rows (plain Lloyd's labels), into out[0..n) (i32). */
export function lloydLabels(x: usize, n: i32, out: usize): void {
  const rowBytes = <usize>D << 3;
  for (let i = 0; i < n; i++) seti(out, i, nearestOf(x + <usize>i * rowBytes));
}

/** Each of the chunk's n rows' nearest squared distance, into out[0..n) (labels 0: plain Lloyd's, no labels kept). */
function nearestDistances(x: usize, n: i32, out: usize): void {
  const rowBytes = <usize>D << 3;
  for (let i = 0; i < n; i++) {
    nearestOf(x + <usize>i * rowBytes);
    set(out, i, nearest);
  }
}

/** Each of the chunk's n rows' squared distance to its labelled centre (labels 0: to its nearest), into out[0..n). */
export function lloydDistances(x: usize, n: i32, labels: usize, out: usize): void {
  if (labels == 0) nearestDistances(x, n, out);
  else rowDistances(x, D, 0, n, paramsPtr, labels, out);
}

/** The chunk's Σ w·(squared distance to the labelled centre; labels 0: to the nearest), in row order. */
export function lloydInertia(x: usize, w: usize, n: i32, labels: usize): f64 {
  if (labels == 0) nearestDistances(x, n, exactPtr);
  else rowDistances(x, D, 0, n, paramsPtr, labels, exactPtr);
  let inertia: f64 = 0;
  for (let i = 0; i < n; i++) inertia += (w == 0 ? 1 : get(w, i)) * get(exactPtr, i);
  return inertia;
}

/**
 * The chunk's scatter about the centres for its n rows' labels (0: each row's
 * nearest centre, for plain Lloyd) (src/lloyd.ts
 * `scatterSlot` layout, from zero in row order): counts Σw (k), first moments
 * Σ w·(x − c) (k×d), then per cluster Σ (w·(x − c)_a)·(x − c)_b over the
 * lower triangle row by row (`full`) or the diagonal. The same products and
 * sums as src/lloyd.ts `tsLloydChunks`, two features at a time.
 */
export function lloydScatter(x: usize, w: usize, n: i32, labels: usize, full: i32, out: usize): void {
  const k = K;
  const d = D;
  const triangle = full != 0 ? (d * (d + 1)) >> 1 : d;
  memory.fill(out, 0, <usize>(k + k * d + k * triangle) << 3);
  const firstBase = at(out, k);
  const secondBase = at(firstBase, k * d);
  const diff = diffPtr;
  for (let i = 0; i < n; i++) {
    const m = labels == 0 ? nearestOf(at(x, i * d)) : geti(labels, i);
    const wi: f64 = w == 0 ? 1 : get(w, i);
    const wv = f64x2.splat(wi);
    set(out, m, get(out, m) + wi);
    const xi = at(x, i * d);
    const c = at(paramsPtr, m * d);
    const f = at(firstBase, m * d);
    let j = 0;
    for (; j + 2 <= d; j += 2) {
      const o = <usize>j << 3;
      const delta = f64x2.sub(v128.load(xi + o), v128.load(c + o));
      v128.store(diff + o, delta);
      v128.store(f + o, f64x2.add(v128.load(f + o), f64x2.mul(wv, delta)));
    }
    if (j < d) {
      const delta = get(xi, j) - get(c, j);
      set(diff, j, delta);
      set(f, j, get(f, j) + wi * delta);
    }
    const s = at(secondBase, m * triangle);
    if (full != 0) {
      for (let a = 0; a < d; a++) {
        const wa = f64x2.splat(wi * get(diff, a));
        const r = at(s, (a * (a + 1)) >> 1);
        let b = 0;
        for (; b + 2 <= a + 1; b += 2) {
          const o = <usize>b << 3;
          v128.store(r + o, f64x2.add(v128.load(r + o), f64x2.mul(wa, v128.load(diff + o))));
        }
        if (b <= a) set(r, b, get(r, b) + f64x2.extract_lane(wa, 0) * get(diff, b));
      }
    } else {
      let a = 0;
      for (; a + 2 <= d; a += 2) {
        const o = <usize>a << 3;
        const dv = v128.load(diff + o);
        v128.store(s + o, f64x2.add(v128.load(s + o), f64x2.mul(f64x2.mul(wv, dv), dv)));
      }
      if (a < d) set(s, a, get(s, a) + wi * get(diff, a) * get(diff, a));
    }
  }
}
