// Native builds of influenceStep (assembly/kernels.ts), one per arithmetic contract of the wasm
// modules, for the `wasm` (default) and `fma` kernel backends.
//
// Why native: RTRL's W·M product is 2n⁴ FLOP per step, and WebAssembly SIMD is 128 bits wide.
// On a CPU with AVX2 or AVX-512 this file does the same arithmetic 8 or 16 lanes at a time.
//
// Arithmetic contract: exactly that of the wasm module it stands in for, so both give the same
// bits. madd(a, b, c) is c + a·b with the product rounded first (default contract: IEEE float32
// multiply then add, the same on every machine) or fused (the `fma` contract):
//   S = madd(A(i,p), Min(p,c), S) for p = 0, 1, … from +0;  v = d_i·S (rounded);
//   v = madd(beta, Min(i,c), v) when beta ≠ 0;  v = v + d_i·z_j on the immediate entries (a
//   rounded product, then a rounded sum, in both contracts);  G_c = madd(q_i, Mout(i,c), G_c)
//   for i = 0, 1, … from +0;  g_c = g_c + G_c.
// It is compiled with -ffp-contract=off, so the compiler fuses nothing on its own; every fused
// operation is written as one. Lanes are columns, so the width does not change any sum's order.
//
// Layout (src/influence.ts): Min and Mout are 8-column panels, each n contiguous rows of 8
// floats; At is Aᵀ (n × n). Built by scripts/build-native.mjs with -march=native.
#include <node_api.h>

#include "node-api-args.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace {

// c + a·b: fused (the `fma` contract) or a rounded product then a rounded sum (the default).
template <bool F> inline float madd(float a, float b, float c) { return F ? std::fmaf(a, b, c) : c + a * b; }

// Rows [i0, i1) of Mout for the 8 columns of one panel, lane by lane: the contract written
// plainly, for the rows no SIMD tile covers.
template <bool F>
inline void scalarRows(int n, int i0, int i1, const float* At, const float* d, float beta, const float* B, float* O) {
  for (int i = i0; i < i1; i++) {
    for (int t = 0; t < 8; t++) {
      float s = 0.0f;
      for (int p = 0; p < n; p++) s = madd<F>(At[(size_t)p * n + i], B[(size_t)p * 8 + t], s);
      float v = d[i] * s;
      if (beta != 0.0f) v = madd<F>(beta, B[(size_t)i * 8 + t], v);
      O[(size_t)i * 8 + t] = v;
    }
  }
}

#if defined(__AVX2__) && defined(__FMA__)
template <bool F> inline __m256 madd8(__m256 a, __m256 b, __m256 c) { return F ? _mm256_fmadd_ps(a, b, c) : _mm256_add_ps(c, _mm256_mul_ps(a, b)); }

// Rows [i0, i0 + 8) of one panel: eight 8-lane accumulators hide the latency.
template <bool F>
inline void rows8(int n, int i0, const float* At, const float* d, float beta, const float* B, float* O) {
  __m256 c[8];
  for (int r = 0; r < 8; r++) c[r] = _mm256_setzero_ps();
  const float* a = At + i0;
  const float* b = B;
  for (int p = 0; p < n; p++, a += n, b += 8) {
    const __m256 bv = _mm256_loadu_ps(b);
    for (int r = 0; r < 8; r++) c[r] = madd8<F>(_mm256_broadcast_ss(a + r), bv, c[r]);
  }
  for (int r = 0; r < 8; r++) {
    __m256 v = _mm256_mul_ps(_mm256_set1_ps(d[i0 + r]), c[r]);
    if (beta != 0.0f) v = madd8<F>(_mm256_set1_ps(beta), _mm256_loadu_ps(B + (size_t)(i0 + r) * 8), v);
    _mm256_storeu_ps(O + (size_t)(i0 + r) * 8, v);
  }
}
#endif

#if defined(__AVX512F__) && defined(__AVX512DQ__)
template <bool F> inline __m512 madd16(__m512 a, __m512 b, __m512 c) { return F ? _mm512_fmadd_ps(a, b, c) : _mm512_add_ps(c, _mm512_mul_ps(a, b)); }

// Rows [i0, i0 + R) of two adjacent panels as 16-lane vectors, R = 8 or 16 accumulators: S by
// the contract, then v = d_i·S (+ β·Min). With `acc` (the paths below for n a multiple of 8),
// each row is also finished in registers: its immediate entries are added in the lanes of k[r]
// (d_i·z_j, z_j per lane in zl), it is stored, and G's chain continues over it in *acc — the same
// operations in the same order as immediateTerm and gPanels2, without their scalar lane loop and
// without reloading the rows just stored, so the chains of consecutive pairs are independent work
// the CPU overlaps. Sixteen rows load (and join) each row of the two panels once for sixteen
// output rows instead of eight: 12–20% of the kernel's time at n = 16, 12–14% at n = 32…64.
// The masks come from the caller: a loop in the unrolled epilogue makes the compiler keep c[]
// in memory, storing every accumulator on every step of the product loop.
template <bool F, int R>
inline void rowsx2(int n, int i0, const float* At, const float* d, float beta, const float* B, const float* B1, float* O, float* O1,
                   const __mmask16* k, __m512 zl, const float* q, __m512* acc) {
  __m512 c[R];
  for (int r = 0; r < R; r++) c[r] = _mm512_setzero_ps();
  const float* a = At + i0;
  for (int p = 0; p < n; p++, a += n) {
    const __m512 bv = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(B + (size_t)p * 8)), _mm256_loadu_ps(B1 + (size_t)p * 8), 1);
    for (int r = 0; r < R; r++) c[r] = madd16<F>(_mm512_set1_ps(a[r]), bv, c[r]);
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; r++) {
    const size_t o = (size_t)(i0 + r) * 8;
    const __m512 di = _mm512_set1_ps(d[i0 + r]);
    __m512 v = _mm512_mul_ps(di, c[r]);
    if (beta != 0.0f) {
      const __m512 m = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(B + o)), _mm256_loadu_ps(B1 + o), 1);
      v = madd16<F>(_mm512_set1_ps(beta), m, v);
    }
    if (acc != nullptr) v = _mm512_mask_add_ps(v, k[r], v, _mm512_mul_ps(di, zl));
    _mm256_storeu_ps(O + o, _mm512_castps512_ps256(v));
    _mm256_storeu_ps(O1 + o, _mm512_extractf32x8_ps(v, 1));
    if (acc != nullptr) *acc = madd16<F>(_mm512_set1_ps(q[i0 + r]), v, *acc);
  }
}
#endif

// Mout of one panel, all n rows.
template <bool F>
inline void panelRows(int n, const float* At, const float* d, float beta, const float* B, float* O) {
  int i = 0;
#if defined(__AVX2__) && defined(__FMA__)
  for (; i + 8 <= n; i += 8) rows8<F>(n, i, At, d, beta, B, O);
#endif
  scalarRows<F>(n, i, n, At, d, beta, B, O);
}

// The immediate term of one panel: d_i·z_j added to the one entry per column that has it.
inline void immediateTerm(int n, int C, int jp, int& ic, int& jc, const float* d, const float* z, float* O) {
  const int c0 = jp << 3;
  const int lanes = C - c0 < 8 ? C - c0 : 8;
  for (int t = 0; t < lanes; t++) {
    float* o = O + (size_t)ic * 8 + t;
    const float prod = d[ic] * z[jc];
    *o = *o + prod;
    if (++ic == n) {
      ic = 0;
      jc++;
    }
  }
}

// g += qᵀ·(one panel of Mout), in the contract's order (i ascending from +0, then one add).
template <bool F>
inline void gPanel(int n, int C, int jp, const float* q, const float* O, float* g) {
  const int c0 = jp << 3;
  const int lanes = C - c0 < 8 ? C - c0 : 8;
  float G[8];
#if defined(__AVX2__) && defined(__FMA__)
  __m256 acc = _mm256_setzero_ps();
  for (int i = 0; i < n; i++) acc = madd8<F>(_mm256_set1_ps(q[i]), _mm256_loadu_ps(O + (size_t)i * 8), acc);
  _mm256_storeu_ps(G, acc);
#else
  for (int t = 0; t < 8; t++) G[t] = 0.0f;
  for (int i = 0; i < n; i++)
    for (int t = 0; t < 8; t++) G[t] = madd<F>(q[i], O[(size_t)i * 8 + t], G[t]);
#endif
  for (int t = 0; t < lanes; t++) g[c0 + t] = g[c0 + t] + G[t];
}

#if defined(__AVX512F__) && defined(__AVX512DQ__)
// gPanel for two adjacent panels (jp, jp + 1, both full) in one 16-lane chain: half the latency.
template <bool F>
inline void gPanels2(int n, int jp, const float* q, const float* O, const float* O1, float* g) {
  __m512 acc = _mm512_setzero_ps();
  for (int i = 0; i < n; i++) {
    const __m512 o = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(O + (size_t)i * 8)), _mm256_loadu_ps(O1 + (size_t)i * 8), 1);
    acc = madd16<F>(_mm512_set1_ps(q[i]), o, acc);
  }
  float* gc = g + ((size_t)jp << 3);
  _mm512_storeu_ps(gc, _mm512_add_ps(_mm512_loadu_ps(gc), acc));
}
#endif

template <bool F>
void influenceStep(int n, int L, const float* At, const float* d, float beta, const float* z, const float* q,
                   const float* Min, float* Mout, float* g) {
  const int C = n * L;
  const int panels = (C + 7) >> 3;
  const size_t ps = (size_t)n * 8;
  int ic = 0, jc = 0;
  for (int jp = 0; jp < panels; jp++) {
    const float* B = Min + (size_t)jp * ps;
    float* O = Mout + (size_t)jp * ps;
#if defined(__AVX512F__) && defined(__AVX512DQ__)
    if (jp + 1 < panels && n % 8 == 0) {
      // Every tile full: the pair is finished in registers (rowsx2 with acc). ic, jc: row and z
      // index of the pair's first column (c0 = ic + jc·n), then of the next pair's.
      __m512 acc = _mm512_setzero_ps();
      __mmask16 k[16];
      if (n % 16 == 0) {
        // ic is a multiple of 16: the pair's columns are ic … ic + 15 of group jc, so z_j is one
        // broadcast and the immediate entries are the diagonal of the tile starting at row ic.
        const __m512 zl = _mm512_set1_ps(z[jc]);
        for (int i = 0; i < n; i += 16) {
          for (int r = 0; r < 16; r++) k[r] = static_cast<__mmask16>(i == ic ? 1u << r : 0u);
          rowsx2<F, 16>(n, i, At, d, beta, B, B + ps, O, O + ps, k, zl, q, &acc);
        }
        ic += 16;
        if (ic == n) {
          ic = 0;
          jc++;
        }
      } else {
        // t0: the lane whose column's immediate entry is in the current row (its column ≡ the
        // row mod n), advanced row by row; entries are n lanes apart.
        int t0 = ic == 0 ? 0 : n - ic;
        alignas(64) float zs[16];
        for (int t = 0; t < 16; t++) {
          zs[t] = z[jc];
          if (++ic == n) {
            ic = 0;
            jc++;
          }
        }
        const __m512 zl = _mm512_load_ps(zs);
        for (int i = 0; i < n; i += 8) {
          for (int r = 0; r < 8; r++) {
            unsigned bits = 0;
            for (int t = t0; t < 16; t += n) bits |= 1u << t;
            k[r] = static_cast<__mmask16>(bits);
            if (++t0 == n) t0 = 0;
          }
          rowsx2<F, 8>(n, i, At, d, beta, B, B + ps, O, O + ps, k, zl, q, &acc);
        }
      }
      float* gc = g + ((size_t)jp << 3);
      _mm512_storeu_ps(gc, _mm512_add_ps(_mm512_loadu_ps(gc), acc));
      jp++;
      continue;
    }
    if (jp + 1 < panels && n >= 8) {
      // Two panels' full 8-row tiles together, then each panel's last rows and its tail.
      int i = 0;
      for (; i + 8 <= n; i += 8) rowsx2<F, 8>(n, i, At, d, beta, B, B + ps, O, O + ps, nullptr, _mm512_setzero_ps(), q, nullptr);
      scalarRows<F>(n, i, n, At, d, beta, B, O);
      scalarRows<F>(n, i, n, At, d, beta, B + ps, O + ps);
      immediateTerm(n, C, jp, ic, jc, d, z, O);
      immediateTerm(n, C, jp + 1, ic, jc, d, z, O + ps);
      if (((jp + 2) << 3) <= C) {
        gPanels2<F>(n, jp, q, O, O + ps, g);
      } else {
        gPanel<F>(n, C, jp, q, O, g);
        gPanel<F>(n, C, jp + 1, q, O + ps, g);
      }
      jp++;
      continue;
    }
#endif
    panelRows<F>(n, At, d, beta, B, O);
    immediateTerm(n, C, jp, ic, jc, d, z, O);
    gPanel<F>(n, C, jp, q, O, g);
  }
}

// ------------------------------------------------------------------------------------ Node-API

// A Float32Array argument of `fn` with at least `need` elements (see typedArrayArg).
bool floats(napi_env env, napi_value v, size_t need, const char* fn, float** out) {
  *out = static_cast<float*>(typedArrayArg(env, v, napi_float32_array, need, fn));
  return *out != nullptr;
}

// influenceStep(n, L, At, d, beta, z, q, Min, Mout, g): lengths are checked here, so a wrong
// call throws instead of reading or writing past an array.
template <bool F>
napi_value InfluenceStep(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 10) {
    napi_throw_type_error(env, "BAD_PARAM", "influenceStep takes 10 arguments");
    return nullptr;
  }
  int32_t n, L;
  double beta;
  if (napi_get_value_int32(env, argv[0], &n) != napi_ok || napi_get_value_int32(env, argv[1], &L) != napi_ok ||
      napi_get_value_double(env, argv[4], &beta) != napi_ok || n <= 0 || L <= 0) {
    napi_throw_type_error(env, "BAD_PARAM", "influenceStep: n and L must be positive integers, beta a number");
    return nullptr;
  }
  const size_t panelFloats = ((size_t)n * L + 7) / 8 * 8 * n;
  float *At, *d, *z, *q, *Min, *Mout, *g;
  const char* fn = "influenceStep";
  if (!floats(env, argv[2], (size_t)n * n, fn, &At) || !floats(env, argv[3], n, fn, &d) || !floats(env, argv[5], L, fn, &z) ||
      !floats(env, argv[6], n, fn, &q) || !floats(env, argv[7], panelFloats, fn, &Min) || !floats(env, argv[8], panelFloats, fn, &Mout) ||
      !floats(env, argv[9], (size_t)n * L, fn, &g)) {
    return nullptr;
  }
  influenceStep<F>(n, L, At, d, static_cast<float>(beta), z, q, Min, Mout, g);
  return nullptr;
}

// Whether influenceStep<F>(…, M, M, …) may update M in place: when every output row of a column
// panel is held in registers until the panel's last row is computed, and each stored row rereads
// only its own input row (for β). The sixteen-row tiles at n = 16 do that: one tile covers the
// pair of panels, and C = 16·L makes every panel one of a pair. In place, the step's working set
// is one matrix instead of two (16 KB instead of 32 KB at n = 16, the size of L1).
bool inPlace(int n) {
#if defined(__AVX512F__) && defined(__AVX512DQ__)
  return n == 16;
#else
  (void)n;
  return false;
#endif
}

// A bound step: the operands that stay the same from step to step (At, d, z, g and the influence
// matrices a rule rotates through) checked and unwrapped once. Unwrapping a typed array costs
// about 35 ns through Node-API, and the plain call unwraps seven: at n = 16, where the whole step
// takes about 2 µs, that was a tenth of it. The pointers stay valid because the bound arrays are
// views on the wasm heap (influence.ts binds nothing else), whose shared memory never moves or
// detaches, and because this object holds a reference to each array. What changes per step — q,
// and which matrices are in and out — the caller writes into `slots` (q as a float index into the
// heap, whose base is At's view's), so the call itself takes no arguments.
struct Bound {
  void (*step)(int, int, const float*, const float*, float, const float*, const float*, const float*, float*, float*);
  int n, L;
  float beta;
  const float *At, *d, *z;
  float* g;
  const float* heap;
  const int32_t* slots;
  std::vector<float*> M;
  std::vector<napi_ref> refs;
};

void FreeBound(napi_env env, void* data, void*) {
  Bound* b = static_cast<Bound*>(data);
  for (napi_ref r : b->refs) napi_delete_reference(env, r);
  delete b;
}

// The bound step, slots [q, in, out]: one step from matrix `in` into matrix `out`.
napi_value InfluenceStepBound(napi_env env, napi_callback_info info) {
  void* data = nullptr;
  size_t argc = 0;
  napi_get_cb_info(env, info, &argc, nullptr, nullptr, &data);
  const Bound* b = static_cast<const Bound*>(data);
  const int32_t q = b->slots[0], in = b->slots[1], out = b->slots[2];
  const int32_t count = static_cast<int32_t>(b->M.size());
  if (in < 0 || out < 0 || in >= count || out >= count || (in == out && !inPlace(b->n)) || q < 0) {
    napi_throw_range_error(env, "SHAPE_MISMATCH", "influence step: in and out must be two different bound matrices (or one, where inPlace)");
    return nullptr;
  }
  b->step(b->n, b->L, b->At, b->d, b->beta, b->z, b->heap + q, b->M[in], b->M[out], b->g);
  return nullptr;
}

// influenceBind(n, L, beta, At, d, z, g, Ms, slots): the bound step, a function of no arguments
// (see Bound) with a boolean property `inPlace`; `slots` is an Int32Array of at least 3 on an
// ArrayBuffer of its own.
template <bool F>
napi_value InfluenceBind(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  int32_t n, L;
  double beta;
  bool isArray = false;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 9 ||
      napi_get_value_int32(env, argv[0], &n) != napi_ok || napi_get_value_int32(env, argv[1], &L) != napi_ok ||
      napi_get_value_double(env, argv[2], &beta) != napi_ok || n <= 0 || L <= 0 ||
      napi_is_array(env, argv[7], &isArray) != napi_ok || !isArray) {
    napi_throw_type_error(env, "BAD_PARAM", "influenceBind(n, L, beta, At, d, z, g, Ms, slots): n and L positive integers, Ms an array");
    return nullptr;
  }
  const size_t panelFloats = ((size_t)n * L + 7) / 8 * 8 * n;
  const char* fn = "influenceBind";
  size_t atOffset;
  float* At = static_cast<float*>(typedArrayArg(env, argv[3], napi_float32_array, (size_t)n * n, fn, &atOffset));
  float *d, *z, *g;
  void* slots;
  if (At == nullptr || !floats(env, argv[4], n, fn, &d) || !floats(env, argv[5], L, fn, &z) || !floats(env, argv[6], (size_t)n * L, fn, &g) ||
      (slots = typedArrayArg(env, argv[8], napi_int32_array, 3, fn)) == nullptr) {
    return nullptr;
  }
  const float* heap = reinterpret_cast<const float*>(reinterpret_cast<const char*>(At) - atOffset);
  uint32_t count = 0;
  napi_get_array_length(env, argv[7], &count);
  Bound* b = new Bound{&influenceStep<F>, n, L, static_cast<float>(beta), At, d, z, g, heap, static_cast<const int32_t*>(slots), {}, {}};
  for (uint32_t k = 0; k < count; k++) {
    napi_value m;
    float* p;
    if (napi_get_element(env, argv[7], k, &m) != napi_ok || !floats(env, m, panelFloats, fn, &p)) {
      delete b;
      return nullptr;
    }
    b->M.push_back(p);
  }
  for (int k = 3; k <= 8; k++) {
    napi_ref r;
    napi_create_reference(env, argv[k], 1, &r);
    b->refs.push_back(r);
  }
  napi_value handle, step, canInPlace;
  if (napi_create_external(env, b, FreeBound, nullptr, &handle) != napi_ok) {
    FreeBound(env, b, nullptr);
    return nullptr;
  }
  // `inPlace` says whether in and out may be the same matrix.
  if (!boundFunction(env, "influenceStepBound", InfluenceStepBound, b, handle, &step) || napi_get_boolean(env, inPlace(n), &canInPlace) != napi_ok ||
      napi_set_named_property(env, step, "inPlace", canInPlace) != napi_ok) {
    return nullptr;
  }
  return step;
}

napi_value Isa(napi_env env, napi_callback_info) {
  const char* isa =
#if defined(__AVX512F__) && defined(__AVX512DQ__)
      "avx512";
#elif defined(__AVX2__) && defined(__FMA__)
      "avx2";
#else
      "scalar";
#endif
  napi_value out;
  napi_create_string_utf8(env, isa, NAPI_AUTO_LENGTH, &out);
  return out;
}

}  // namespace

void registerRnnRow(napi_env env, napi_value exports);  // rnn-row.cc

NAPI_MODULE_INIT() {
  napi_value fn;
  registerRnnRow(env, exports);
  napi_create_function(env, "influenceStep", NAPI_AUTO_LENGTH, InfluenceStep<false>, nullptr, &fn);
  napi_set_named_property(env, exports, "influenceStep", fn);
  napi_create_function(env, "influenceStepFma", NAPI_AUTO_LENGTH, InfluenceStep<true>, nullptr, &fn);
  napi_set_named_property(env, exports, "influenceStepFma", fn);
  napi_create_function(env, "influenceBind", NAPI_AUTO_LENGTH, InfluenceBind<false>, nullptr, &fn);
  napi_set_named_property(env, exports, "influenceBind", fn);
  napi_create_function(env, "influenceBindFma", NAPI_AUTO_LENGTH, InfluenceBind<true>, nullptr, &fn);
  napi_set_named_property(env, exports, "influenceBindFma", fn);
  napi_create_function(env, "isa", NAPI_AUTO_LENGTH, Isa, nullptr, &fn);
  napi_set_named_property(env, exports, "isa", fn);
  return exports;
}
