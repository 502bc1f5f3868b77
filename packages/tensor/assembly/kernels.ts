// WebAssembly SIMD kernels of @credo/tensor, in AssemblyScript (built by `npm run build:wasm` in
// packages/tensor; the binary is embedded in src/wasm/kernels-binary.ts and a test rebuilds it
// from this file and compares bytes).
//
// Memory is imported (shared, so that JS views on it survive memory.grow) and managed from JS:
// every pointer here is a byte address handed over by src/wasm/heap.ts. Nothing here allocates.
//
// Arithmetic contract of the wasm backend (the JS backend's is in src/gemm.ts):
//   S = Σ_p a_p·b_p accumulated in float32 in increasing p, starting from +0, each product and
//   each sum rounded to float32 (plain wasm SIMD has no fused multiply-add, so this is exact IEEE
//   float32 arithmetic, the same on every machine; the opt-in fma build below rounds each
//   term once instead); then C ← fround(alpha·S + beta·C) evaluated in float64 exactly like the
//   JS kernels' epilogue (C unread when beta = 0).
// Sparse kernels skip zero terms, and adding a +0 product to a float32 sum that started at +0
// changes nothing, so sparse and dense products agree bit for bit here too.
//
// Kernels read up to 28 bytes past the last element of a row of B (whole 8-lane loads on the
// right edge; the extra lanes are never stored). heap.ts pads every block so this stays inside
// memory.

// The same source builds two modules (scripts/build-wasm.mjs): the default one, where madd is a
// multiply then an add, each rounded (the contract above, identical on every machine); and the
// opt-in `fma` one (`--enable relaxed-simd`), where it is f32x4.relaxed_madd, which V8 turns
// into a fused multiply-add wherever the CPU has one (every x86-64 since 2013, every ARM64).
// Fused, the sums round once per term instead of twice: results differ from the default module's
// in the last bits, and are only reproducible on machines that fuse the same way.

/** c + a·b, lane-wise: fused in the `fma` build, multiply-then-add otherwise. */
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// ------------------------------------------------------------------------------------ epilogue

@inline function storeS(c: usize, s: v128, alpha: f64, beta: f64, plain: bool): void {
  if (plain) {
    v128.store(c, s);
    return;
  }
  if (alpha == 1 && beta == 1) {
    // fround(S + C) computed in float64 equals the float32 sum (binary64 has more than
    // 2·24 + 2 bits, so rounding twice is the same as rounding once).
    v128.store(c, f32x4.add(v128.load(c), s));
    return;
  }
  let lo = f64x2.mul(f64x2.splat(alpha), f64x2.promote_low_f32x4(s));
  let hi = f64x2.mul(f64x2.splat(alpha), f64x2.promote_low_f32x4(v128.shuffle<f32>(s, s, 2, 3, 2, 3)));
  if (beta != 0) {
    const cv = v128.load(c);
    const bs = f64x2.splat(beta);
    lo = f64x2.add(lo, f64x2.mul(bs, f64x2.promote_low_f32x4(cv)));
    hi = f64x2.add(hi, f64x2.mul(bs, f64x2.promote_low_f32x4(v128.shuffle<f32>(cv, cv, 2, 3, 2, 3))));
  }
  v128.store(c, v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
}

@inline function storeScalar(c: usize, s: f32, alpha: f64, beta: f64, plain: bool): void {
  if (plain) store<f32>(c, s);
  else if (beta == 0) store<f32>(c, <f32>(alpha * <f64>s));
  else store<f32>(c, <f32>(alpha * <f64>s + beta * <f64>load<f32>(c)));
}

/** Writes `cols` (≤ 8) columns of `rows` (≤ 4) rows of the 4×8 tile T (row stride 32 bytes) to C. */
function storeTile(T: usize, rows: i32, cols: i32, C: usize, ldc: usize, alpha: f64, beta: f64): void {
  const plain = alpha == 1 && beta == 0;
  for (let r = 0; r < rows; r++) {
    const t = T + (<usize>r << 5);
    const c = C + <usize>r * ldc;
    if (cols == 8) {
      storeS(c, v128.load(t), alpha, beta, plain);
      storeS(c + 16, v128.load(t, 16), alpha, beta, plain);
    } else {
      for (let j = 0; j < cols; j++) storeScalar(c + (<usize>j << 2), load<f32>(t + (<usize>j << 2)), alpha, beta, plain);
    }
  }
}

// ------------------------------------------------------------------------------------ packing

/**
 * Packs rows [i, i+4) of A into P, interleaved: P[p·4 + r] = A(i+r, p), where element (i, p) of
 * A is at A + (i·sai + p·sap)·4. One contiguous stream for the micro-kernel.
 */
export function packA4(A: usize, sai: i32, sap: i32, k: i32, P: usize): void {
  const a0 = A, a1 = A + (<usize>sai << 2), a2 = a1 + (<usize>sai << 2), a3 = a2 + (<usize>sai << 2);
  const step = <usize>sap << 2;
  let o: usize = 0;
  for (let p = 0; p < k; p++) {
    store<f32>(P, load<f32>(a0 + o));
    store<f32>(P, load<f32>(a1 + o), 4);
    store<f32>(P, load<f32>(a2 + o), 8);
    store<f32>(P, load<f32>(a3 + o), 12);
    P += 16;
    o += step;
  }
}

/**
 * Packs columns [j, j+8) of B into P as k rows of 8: P[p·8 + c] = B(p, j+c), element (p, j) at
 * B + (p·sbp + j·sbj)·4; columns at or past n are zero.
 */
export function packB8(B: usize, sbp: i32, sbj: i32, k: i32, j: i32, n: i32, P: usize): void {
  const cols = min(8, n - j);
  if (sbj == 1 && cols == 8) {
    let b = B + (<usize>j << 2);
    const step = <usize>sbp << 2;
    for (let p = 0; p < k; p++) {
      v128.store(P, v128.load(b));
      v128.store(P, v128.load(b, 16), 16);
      P += 32;
      b += step;
    }
    return;
  }
  for (let p = 0; p < k; p++) {
    for (let c = 0; c < 8; c++) {
      store<f32>(P + (<usize>c << 2), c < cols ? load<f32>(B + ((<usize>p * sbp + <usize>(j + c) * sbj) << 2)) : 0);
    }
    P += 32;
  }
}

// ------------------------------------------------------------------------------------ micro-kernels

/** T(4×8) = Ap(packed 4 rows) · B(k rows of 8 lanes at stride ldb bytes). */
function kernel4x8(Ap: usize, B: usize, ldb: usize, k: i32, T: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(B), b1 = v128.load(B, 16);
    let a = v128.load32_splat(Ap);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(Ap, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(Ap, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(Ap, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    Ap += 16;
    B += ldb;
  }
  v128.store(T, c00); v128.store(T, c01, 16);
  v128.store(T, c10, 32); v128.store(T, c11, 48);
  v128.store(T, c20, 64); v128.store(T, c21, 80);
  v128.store(T, c30, 96); v128.store(T, c31, 112);
}

/**
 * T(2×8) = two rows of A (row r element p at A + r·rstep + p·step bytes) · B(k rows of 8 lanes at
 * stride ldb): one pass over B for a pair of rows. UORO's per-step product has two rows ([â; s̃]
 * against [Z | Θ]); as a 4-row tile with two zero rows it did twice the arithmetic.
 */
function kernel2x8(A: usize, rstep: usize, step: usize, B: usize, ldb: usize, k: i32, T: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let a1p = A + rstep;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(B), b1 = v128.load(B, 16);
    let a = v128.load32_splat(A);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(a1p);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    A += step;
    a1p += step;
    B += ldb;
  }
  v128.store(T, c00); v128.store(T, c01, 16);
  v128.store(T, c10, 32); v128.store(T, c11, 48);
}

/** T(1×8) = one row of A (element p at A + p·step bytes) · B(k rows of 8 lanes at stride ldb). */
function kernel1x8(A: usize, step: usize, B: usize, ldb: usize, k: i32, T: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  for (let p = 0; p < k; p++) {
    const a = v128.load32_splat(A);
    c0 = madd(a, v128.load(B), c0);
    c1 = madd(a, v128.load(B, 16), c1);
    A += step;
    B += ldb;
  }
  v128.store(T, c0);
  v128.store(T, c1, 16);
}

// ------------------------------------------------------------------------------------ dense gemm

/**
 * C(m×n, row-major, row stride n) = alpha·A·B + beta·C with A element (i, p) at A + (i·sai + p·sap)·4
 * and B element (p, j) at B + (p·sbp + j·sbj)·4: NN is (sai, sap, sbp, sbj) = (k, 1, n, 1), TN
 * (1, m, n, 1), NT (k, 1, 1, k).
 *
 * `work` is scratch of at least 128 + 4·mc·k + (packB ? 32·k·⌈n/8⌉ : 0) bytes, 16-byte aligned.
 * B is packed into 8-column panels when `packB` (needed when sbj ≠ 1; worth it when m is large
 * enough to reuse each panel and to avoid 4 KiB-strided rows aliasing in L1). Rows are taken in
 * chunks of `mc` (a multiple of 4) so that a chunk of packed A stays in L2 across all panels.
 */
export function gemm(m: i32, n: i32, k: i32, A: usize, sai: i32, sap: i32, B: usize, sbp: i32, sbj: i32,
  C: usize, alpha: f64, beta: f64, packB: bool, mc: i32, work: usize): void {
  const T = work;
  const Ap = work + 128;
  const Bp = Ap + <usize>mc * (<usize>k << 2);
  const ldc = <usize>n << 2;
  const panels = (n + 7) >> 3;
  if (k == 0) {
    // S = 0 for every element.
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) storeScalar(C + <usize>i * ldc + (<usize>j << 2), 0, alpha, beta, alpha == 1 && beta == 0);
    return;
  }
  if (packB) for (let jp = 0; jp < panels; jp++) packB8(B, sbp, sbj, k, jp << 3, n, Bp + <usize>jp * (<usize>k << 5));
  const m4 = m & ~3;
  for (let i0 = 0; i0 < m4; i0 += mc) {
    const i1 = min(m4, i0 + mc);
    for (let i = i0; i < i1; i += 4) packA4(A + ((<usize>i * sai) << 2), sai, sap, k, Ap + <usize>(i - i0) * (<usize>k << 2));
    for (let jp = 0; jp < panels; jp++) {
      const j = jp << 3;
      const cols = min(8, n - j);
      const bpan = packB ? Bp + <usize>jp * (<usize>k << 5) : B + (<usize>j << 2);
      const ldb: usize = packB ? 32 : <usize>sbp << 2;
      for (let i = i0; i < i1; i += 4) {
        kernel4x8(Ap + <usize>(i - i0) * (<usize>k << 2), bpan, ldb, k, T);
        storeTile(T, 4, cols, C + <usize>i * ldc + (<usize>j << 2), ldc, alpha, beta);
      }
    }
  }
  // The last 1–3 rows: a pair through kernel2x8, then a single row through kernel1x8.
  let i = m4;
  if (m - i >= 2) {
    for (let jp = 0; jp < panels; jp++) {
      const j = jp << 3;
      const bpan = packB ? Bp + <usize>jp * (<usize>k << 5) : B + (<usize>j << 2);
      const ldb: usize = packB ? 32 : <usize>sbp << 2;
      kernel2x8(A + ((<usize>i * sai) << 2), <usize>sai << 2, <usize>sap << 2, bpan, ldb, k, T);
      storeTile(T, 2, min(8, n - j), C + <usize>i * ldc + (<usize>j << 2), ldc, alpha, beta);
    }
    i += 2;
  }
  for (; i < m; i++) {
    for (let jp = 0; jp < panels; jp++) {
      const j = jp << 3;
      const bpan = packB ? Bp + <usize>jp * (<usize>k << 5) : B + (<usize>j << 2);
      const ldb: usize = packB ? 32 : <usize>sbp << 2;
      kernel1x8(A + ((<usize>i * sai) << 2), <usize>sap << 2, bpan, ldb, k, T);
      storeTile(T, 1, min(8, n - j), C + <usize>i * ldc + (<usize>j << 2), ldc, alpha, beta);
    }
  }
}

// ------------------------------------------------------------------------------------ sparse

/**
 * Sums Σ_q values[q]·B[idx[q]·n + j .. +32) for q in [q0, q1) into 8 accumulators and writes them
 * to C (32 columns) through the epilogue; the CSR/CSC inner loop of every sparse kernel.
 */
@inline function sparse32(q0: i32, q1: i32, idx: usize, vals: usize, B: usize, ldb: usize, j: i32, C: usize,
  alpha: f64, beta: f64, plain: bool, sgd: bool, lr: f32): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
  const bj = B + (<usize>j << 2);
  for (let q = q0; q < q1; q++) {
    const a = v128.load32_splat(vals + (<usize>q << 2));
    const b = bj + <usize>load<i32>(idx + (<usize>q << 2)) * ldb;
    s0 = madd(a, v128.load(b), s0);
    s1 = madd(a, v128.load(b, 16), s1);
    s2 = madd(a, v128.load(b, 32), s2);
    s3 = madd(a, v128.load(b, 48), s3);
    s4 = madd(a, v128.load(b, 64), s4);
    s5 = madd(a, v128.load(b, 80), s5);
    s6 = madd(a, v128.load(b, 96), s6);
    s7 = madd(a, v128.load(b, 112), s7);
  }
  const c = C + (<usize>j << 2);
  if (sgd) {
    sgdStore(c, s0, lr); sgdStore(c + 16, s1, lr); sgdStore(c + 32, s2, lr); sgdStore(c + 48, s3, lr);
    sgdStore(c + 64, s4, lr); sgdStore(c + 80, s5, lr); sgdStore(c + 96, s6, lr); sgdStore(c + 112, s7, lr);
  } else {
    storeS(c, s0, alpha, beta, plain); storeS(c + 16, s1, alpha, beta, plain);
    storeS(c + 32, s2, alpha, beta, plain); storeS(c + 48, s3, alpha, beta, plain);
    storeS(c + 64, s4, alpha, beta, plain); storeS(c + 80, s5, alpha, beta, plain);
    storeS(c + 96, s6, alpha, beta, plain); storeS(c + 112, s7, alpha, beta, plain);
  }
}

/** Like sparse32 for the last n − j < 32 columns, 8 at a time through the tile T. */
function sparseTail(q0: i32, q1: i32, idx: usize, vals: usize, B: usize, ldb: usize, j0: i32, n: i32, C: usize,
  alpha: f64, beta: f64, sgd: bool, lr: f32, T: usize): void {
  for (let j = j0; j < n; j += 8) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
    const bj = B + (<usize>j << 2);
    for (let q = q0; q < q1; q++) {
      const a = v128.load32_splat(vals + (<usize>q << 2));
      const b = bj + <usize>load<i32>(idx + (<usize>q << 2)) * ldb;
      s0 = madd(a, v128.load(b), s0);
      s1 = madd(a, v128.load(b, 16), s1);
    }
    const cols = min(8, n - j);
    const c = C + (<usize>j << 2);
    if (sgd) {
      v128.store(T, s0);
      v128.store(T, s1, 16);
      for (let t = 0; t < cols; t++) {
        const o = c + (<usize>t << 2);
        store<f32>(o, load<f32>(o) - lr * load<f32>(T + (<usize>t << 2)));
      }
    } else {
      v128.store(T, s0);
      v128.store(T, s1, 16);
      storeTile(T, 1, cols, c, 0, alpha, beta);
    }
  }
}

/** W ← W − lr·S for 4 lanes in float32 arithmetic (lr already rounded to float32), like the optimizer's plain step. */
@inline function sgdStore(c: usize, s: v128, lr: f32): void {
  v128.store(c, f32x4.sub(v128.load(c), f32x4.mul(f32x4.splat(lr), s)));
}

/**
 * C(m×n) = alpha·X·B + beta·C for X in CSR form (rowPtr, colIdx, values; m rows) and B (k×n,
 * row-major). 32-column blocks outermost, so that the 32 columns of every row of B that the block
 * touches (k·128 bytes, 100 KB for MNIST) stay in L2 while all m rows are processed.
 */
export function sparseNN(m: i32, n: i32, rowPtr: usize, colIdx: usize, values: usize, B: usize, C: usize,
  alpha: f64, beta: f64, T: usize): void {
  const ldb = <usize>n << 2;
  const plain = alpha == 1 && beta == 0;
  const n32 = n & ~31;
  for (let j = 0; j < n32; j += 32) {
    for (let i = 0; i < m; i++) {
      sparse32(load<i32>(rowPtr + (<usize>i << 2)), load<i32>(rowPtr + (<usize>(i + 1) << 2)), colIdx, values, B, ldb, j,
        C + <usize>i * ldb, alpha, beta, plain, false, 0);
    }
  }
  if (n32 < n) {
    for (let i = 0; i < m; i++) {
      sparseTail(load<i32>(rowPtr + (<usize>i << 2)), load<i32>(rowPtr + (<usize>(i + 1) << 2)), colIdx, values, B, ldb, n32, n,
        C + <usize>i * ldb, alpha, beta, false, 0, T);
    }
  }
}

/**
 * C(k×n) = alpha·Xᵀ·B + beta·C for X (m×k) in CSC form (colPtr, rowIdx, colValues) and B (m×n);
 * rows of C for empty columns of X become fround(beta·C). With `sgd`, instead W(k×n) ← W − lr·S
 * in float32 arithmetic, for the nonempty columns only (C is W; alpha and beta unused).
 */
export function sparseTN(k: i32, n: i32, colPtr: usize, rowIdx: usize, colValues: usize, B: usize, C: usize,
  alpha: f64, beta: f64, sgd: bool, lr: f32, T: usize): void {
  const ldb = <usize>n << 2;
  const plain = alpha == 1 && beta == 0;
  const n32 = n & ~31;
  for (let p = 0; p < k; p++) {
    const q0 = load<i32>(colPtr + (<usize>p << 2)), q1 = load<i32>(colPtr + (<usize>(p + 1) << 2));
    const c = C + <usize>p * ldb;
    if (q0 == q1) {
      if (sgd || beta == 1) continue;
      for (let j = 0; j < n; j++) {
        const o = c + (<usize>j << 2);
        store<f32>(o, beta == 0 ? 0 : <f32>(beta * <f64>load<f32>(o)));
      }
      continue;
    }
    for (let j = 0; j < n32; j += 32) sparse32(q0, q1, rowIdx, colValues, B, ldb, j, c, alpha, beta, plain, sgd, lr);
    if (n32 < n) sparseTail(q0, q1, rowIdx, colValues, B, ldb, n32, n, c, alpha, beta, sgd, lr, T);
  }
}

/**
 * Builds the CSR lists (rowPtr, colIdx, values) and the CSC lists (colPtr, rowIdx, colValues) of
 * the dense block x (rows × cols, row-major), and the increasing list of nonempty columns
 * (activeCols), exactly as SparseMatrix.load does in JS: an entry counts when v != 0 (NaN kept,
 * −0 skipped). `cursor` is scratch of cols + 1 ints; the number of active columns is stored in
 * cursor[cols]. Returns the number of nonzeros.
 */
export function sparseLoad(x: usize, rows: i32, cols: i32, rowPtr: usize, colIdx: usize, values: usize,
  colPtr: usize, rowIdx: usize, colValues: usize, activeCols: usize, cursor: usize): i32 {
  memory.fill(colPtr, 0, (<usize>cols + 1) << 2);
  let q = 0;
  let src = x;
  for (let i = 0; i < rows; i++) {
    store<i32>(rowPtr + (<usize>i << 2), q);
    let p = 0;
    // Four pixels at a time while they are all zero (81% of MNIST is), one by one otherwise.
    for (; p + 4 <= cols; p += 4) {
      const v = v128.load(src + (<usize>p << 2));
      if (!v128.any_true(f32x4.ne(v, f32x4.splat(0)))) continue;
      for (let t = p; t < p + 4; t++) q = keep(src, t, q, colIdx, values, colPtr);
    }
    for (; p < cols; p++) q = keep(src, p, q, colIdx, values, colPtr);
    src += <usize>cols << 2;
  }
  store<i32>(rowPtr + (<usize>rows << 2), q);
  let active = 0;
  for (let p = 0; p < cols; p++) {
    const c = load<i32>(colPtr + (<usize>(p + 1) << 2));
    if (c != 0) store<i32>(activeCols + (<usize>(active++) << 2), p);
    const start = load<i32>(colPtr + (<usize>p << 2));
    store<i32>(colPtr + (<usize>(p + 1) << 2), c + start);
    store<i32>(cursor + (<usize>p << 2), start);
  }
  store<i32>(cursor + (<usize>cols << 2), active);
  for (let i = 0; i < rows; i++) {
    const t1 = load<i32>(rowPtr + (<usize>(i + 1) << 2));
    for (let t = load<i32>(rowPtr + (<usize>i << 2)); t < t1; t++) {
      const p = load<i32>(colIdx + (<usize>t << 2));
      const cp = cursor + (<usize>p << 2);
      const d = load<i32>(cp);
      store<i32>(cp, d + 1);
      store<i32>(rowIdx + (<usize>d << 2), i);
      store<f32>(colValues + (<usize>d << 2), load<f32>(values + (<usize>t << 2)));
    }
  }
  return q;
}

@inline function keep(src: usize, p: i32, q: i32, colIdx: usize, values: usize, colPtr: usize): i32 {
  const v = load<f32>(src + (<usize>p << 2));
  if (v != 0) {
    store<i32>(colIdx + (<usize>q << 2), p);
    store<f32>(values + (<usize>q << 2), v);
    const c = colPtr + (<usize>(p + 1) << 2);
    store<i32>(c, load<i32>(c) + 1);
    return q + 1;
  }
  return q;
}

// ------------------------------------------------------------------------------------ activations

// exp(y) − 1 for y in about [−88, 88], 4 lanes: y = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite split
// of ln2), expm1(r) by its Taylor series to r⁷ (truncation < 2e-8 relative), then
// expm1(y) = 2ⁿ·expm1(r) + (2ⁿ − 1), which keeps full relative accuracy near y = 0 (n = 0).
@inline function expm1x4(y: v128): v128 {
  const n = f32x4.nearest(f32x4.mul(y, f32x4.splat(1.44269504)));
  let r = f32x4.sub(y, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.0 / 5040.0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 720.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r);
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.add(f32x4.mul(scale, p), f32x4.sub(scale, f32x4.splat(1)));
}

/**
 * a ← tanh(a) for `len` floats: tanh|x| = |u|/(2 + u) with u = expm1(−2|x|) ≤ 0, sign restored; |x|
 * is capped at 9, where tanh rounds to 1 in float32. NaN stays NaN. Max error 2.5 ulp (tested).
 */
export function tanhInPlace(a: usize, len: i32): void {
  const len4 = len & ~3;
  const cap = f32x4.splat(9);
  const signMask = i32x4.splat(0x80000000);
  for (let i = 0; i < len4; i += 4) {
    const p = a + (<usize>i << 2);
    const x = v128.load(p);
    const ax = f32x4.min(f32x4.abs(x), cap);
    const u = expm1x4(f32x4.mul(ax, f32x4.splat(-2)));
    const t = f32x4.div(f32x4.abs(u), f32x4.add(u, f32x4.splat(2)));
    v128.store(p, v128.or(t, v128.and(x, signMask)));
  }
  if (len4 < len) {
    // The last 1–3 elements go through a 4-lane temporary so that they get the same formula.
    const rest = len - len4;
    const p = a + (<usize>len4 << 2);
    for (let t = 0; t < rest; t++) {
      const v = f32x4.splat(load<f32>(p + (<usize>t << 2)));
      const ax = f32x4.min(f32x4.abs(v), cap);
      const u = expm1x4(f32x4.mul(ax, f32x4.splat(-2)));
      const r = f32x4.div(f32x4.abs(u), f32x4.add(u, f32x4.splat(2)));
      store<f32>(p + (<usize>t << 2), f32x4.extract_lane(v128.or(r, v128.and(v, signMask)), 0));
    }
  }
}

/** a ← 1/(1 + e^(−a)) for `len` floats (argument clamped to ±87 so that 2ⁿ stays normal). */
export function sigmoidInPlace(a: usize, len: i32): void {
  const lo = f32x4.splat(-87), hi = f32x4.splat(87), one = f32x4.splat(1);
  for (let i = 0; i < len; i += 4) {
    const p = a + (<usize>i << 2);
    if (i + 4 <= len) {
      const y = f32x4.max(lo, f32x4.min(hi, f32x4.neg(v128.load(p))));
      v128.store(p, f32x4.div(one, f32x4.add(f32x4.add(expm1x4(y), one), one)));
    } else {
      for (let t = i; t < len; t++) {
        const q = a + (<usize>t << 2);
        const y = f32x4.max(lo, f32x4.min(hi, f32x4.neg(f32x4.splat(load<f32>(q)))));
        store<f32>(q, f32x4.extract_lane(f32x4.div(one, f32x4.add(f32x4.add(expm1x4(y), one), one)), 0));
      }
    }
  }
}

// ------------------------------------------------------------------------------------ plain sgd

/**
 * p ← p − r·g for `len` floats, the multiply and the subtract each a float32 operation (bit for
 * bit the JS loop p[i] − Math.fround(r·g[i]) with r a float32), then g ← 0 when `clear` is 1:
 * the online rules step and clear their gradient every time step, and at small n that pass in
 * JS (about 1.5 ns per element) cost as much as the rest of the step.
 */
export function sgdPlain(p: usize, g: usize, len: i32, r: f32, clear: i32): void {
  const len4 = len & ~3;
  const rv = f32x4.splat(r), zero = f32x4.splat(0);
  for (let i = 0; i < len4; i += 4) {
    const o = <usize>i << 2;
    v128.store(p + o, f32x4.sub(v128.load(p + o), f32x4.mul(rv, v128.load(g + o))));
    if (clear) v128.store(g + o, zero);
  }
  for (let i = len4; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(p + o, load<f32>(p + o) - r * load<f32>(g + o));
    if (clear) store<f32>(g + o, 0);
  }
}

// ------------------------------------------------------------------------------------ rtrl influence step

/** One output row of an influence tile: d·S (+ beta·Min) in float32, stored to the panel row at o. */
@inline function influenceRow(o: usize, s0: v128, s1: v128, d: f32, beta: f32, hasBeta: bool, mi: usize): void {
  const ds = f32x4.splat(d);
  let v0 = f32x4.mul(ds, s0), v1 = f32x4.mul(ds, s1);
  if (hasBeta) {
    const bs = f32x4.splat(beta);
    v0 = madd(bs, v128.load(mi), v0);
    v1 = madd(bs, v128.load(mi, 16), v1);
  }
  v128.store(o, v0);
  v128.store(o, v1, 16);
}

/**
 * One exact RTRL step for a layer whose Jacobian is J = beta·I + diag(d)·A and whose immediate
 * influence is diag(d)·(zᵀ ⊗ I) (column j·n + i is the parameter through which z_j reaches unit
 * i), fused in one pass over the influence matrix:
 *
 *   Mout = diag(d)·(A·Min) + beta·Min + diag(d)·(zᵀ ⊗ I)      g[0..C) += qᵀ·Mout
 *
 * Min and Mout (n × C, C = n·L) are in the panel layout of src/influence.ts: 8-column panels, each
 * n contiguous rows of 32 bytes, element (i, c) at ((c >> 3)·n + i)·8 + (c & 7). So a panel is
 * one contiguous stream read once from memory and reused from L1 by every 4-row tile, and no
 * packing pass is needed (the row-major M of N = 32 and 64 has 4 KiB-multiple row strides, whose
 * rows alias in L1). A is given transposed (At, n × n, At[p·n + i] = A(i, p)), which is the
 * interleaved form the 4-row tile reads directly. Padding columns (C up to a multiple of 8) stay 0.
 *
 * Arithmetic (float32; every `madd` fused in the fma build, see madd): S = Σ_p A(i,p)·Min(p,c)
 * from +0 in increasing p; Mout = (d_i·S [+ beta·Min(i,c)]) [+ d_i·z_j on the immediate entries],
 * each operation rounded; G_c = Σ_i q_i·Mout(i,c) from +0 in increasing i; g_c ← g_c + G_c.
 * `T` is 32 bytes of scratch. Mout must not overlap Min.
 */
export function influenceStep(n: i32, L: i32, At: usize, d: usize, beta: f32, z: usize, q: usize,
  Min: usize, Mout: usize, g: usize, T: usize): void {
  const C = n * L;
  const panels = (C + 7) >> 3;
  const ps = <usize>n << 5;
  const lda = <usize>n << 2;
  const n4 = n & ~3;
  const hasBeta = beta != 0;
  // (row, group) of the panel's first column under c = j·n + i, stepped along instead of divided.
  let ic = 0, jc = 0;
  for (let jp = 0; jp < panels; jp++) {
    const B = Min + <usize>jp * ps, O = Mout + <usize>jp * ps;
    for (let i = 0; i < n4; i += 4) {
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      let a = At + (<usize>i << 2), b = B;
      for (let p = 0; p < n; p++) {
        const b0 = v128.load(b), b1 = v128.load(b, 16);
        let x = v128.load32_splat(a);
        c00 = madd(x, b0, c00);
        c01 = madd(x, b1, c01);
        x = v128.load32_splat(a, 4);
        c10 = madd(x, b0, c10);
        c11 = madd(x, b1, c11);
        x = v128.load32_splat(a, 8);
        c20 = madd(x, b0, c20);
        c21 = madd(x, b1, c21);
        x = v128.load32_splat(a, 12);
        c30 = madd(x, b0, c30);
        c31 = madd(x, b1, c31);
        a += lda;
        b += 32;
      }
      const r0 = <usize>i << 5, dp = d + (<usize>i << 2);
      influenceRow(O + r0, c00, c01, load<f32>(dp), beta, hasBeta, B + r0);
      influenceRow(O + r0 + 32, c10, c11, load<f32>(dp, 4), beta, hasBeta, B + r0 + 32);
      influenceRow(O + r0 + 64, c20, c21, load<f32>(dp, 8), beta, hasBeta, B + r0 + 64);
      influenceRow(O + r0 + 96, c30, c31, load<f32>(dp, 12), beta, hasBeta, B + r0 + 96);
    }
    for (let i = n4; i < n; i++) {
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
      let a = At + (<usize>i << 2), b = B;
      for (let p = 0; p < n; p++) {
        const x = v128.load32_splat(a);
        c0 = madd(x, v128.load(b), c0);
        c1 = madd(x, v128.load(b, 16), c1);
        a += lda;
        b += 32;
      }
      const r = <usize>i << 5;
      influenceRow(O + r, c0, c1, load<f32>(d + (<usize>i << 2)), beta, hasBeta, B + r);
    }
    // The immediate term: one entry per column, in row ic of column j·n + ic.
    const c0 = jp << 3;
    const lanes = min(8, C - c0);
    for (let t = 0; t < lanes; t++) {
      const o = O + (<usize>ic << 5) + (<usize>t << 2);
      const di = load<f32>(d + (<usize>ic << 2));
      store<f32>(o, load<f32>(o) + di * load<f32>(z + (<usize>jc << 2)));
      if (++ic == n) {
        ic = 0;
        jc++;
      }
    }
    // g += qᵀ·(this panel of Mout), while the panel is still in L1.
    let G0 = f32x4.splat(0), G1 = f32x4.splat(0);
    let o = O;
    for (let i = 0; i < n; i++) {
      const qs = v128.load32_splat(q + (<usize>i << 2));
      G0 = madd(qs, v128.load(o), G0);
      G1 = madd(qs, v128.load(o, 16), G1);
      o += 32;
    }
    const gc = g + (<usize>c0 << 2);
    if (lanes == 8) {
      v128.store(gc, f32x4.add(v128.load(gc), G0));
      v128.store(gc, f32x4.add(v128.load(gc, 16), G1), 16);
    } else {
      v128.store(T, G0);
      v128.store(T, G1, 16);
      for (let t = 0; t < lanes; t++) {
        const p = gc + (<usize>t << 2);
        store<f32>(p, load<f32>(p) + load<f32>(T + (<usize>t << 2)));
      }
    }
  }
}
