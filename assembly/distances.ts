/**
 * The distance sums shared by the k-means code compiled into the k-means
 * module (assembly/kmeans.ts) and the E-step module (assembly/estep.ts, via
 * assembly/lloyd-chunks.ts), and the small memory helpers they use.
 *
 * Bit-for-bit contract (src/lloyd.ts): every squared distance is
 *   sum = 0; for j in 0..d-1: delta = a[j] - b[j]; sum += delta * delta
 * in that j order, with no fused multiply-add (f64x2.mul then f64x2.add round
 * twice, as JavaScript does; nothing here uses relaxed SIMD, even in the
 * E-step module's relaxed build). The vectors hold independent sums side by
 * side: one lane per centre (the centres stored transposed, d rows of mp
 * values) or one lane per data row, never two parts of the same sum.
 *
 * Pointers are byte offsets; f64 arrays are row-major.
 */
import { allocate, release } from './blocks';

@inline export function even(v: i32): i32 {
  return (v + 1) & ~1;
}

@inline export function at(p: usize, i: i32): usize {
  return p + (<usize>i << 3);
}

@inline export function get(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}

@inline export function set(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}

@inline export function geti(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

@inline export function seti(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}

/** Zero-filled f64 block. */
export function zeros(count: i32): usize {
  const bytes = <usize>(count > 0 ? count : 1) << 3;
  const p = allocate(bytes);
  memory.fill(p, 0, bytes);
  return p;
}

/** The plain squared distance between a[0..d) and b[0..d). */
@inline export function distance2(a: usize, b: usize, d: i32): f64 {
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
export function transpose(points: usize, which: usize, m: i32, d: i32, t: usize, mp: i32): void {
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
export function distancesAll(xi: usize, t: usize, mp: i32, d: i32, out: usize): void {
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
export function rowDistances(x: usize, d: i32, which: usize, count: i32, base: usize, labels: usize, out: usize): void {
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
