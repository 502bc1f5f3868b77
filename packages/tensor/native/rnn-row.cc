// Native builds of the rnn's one-row (batch 1) forward, readout and readout backward: the fixed
// work of every online step (rtrl, uoro, rflo) beside the influence update.
//
// Why native: at N = 16 these few hundred multiply-adds took half as long in JavaScript as the
// N⁴ influence product itself (about 1 µs of a 3.4 µs RTRL step), because each is a float64 sum
// of float32 operands and JavaScript runs them one at a time.
//
// Arithmetic contract: exactly the JavaScript it stands in for (rules/src/small-products.ts'
// rowProduct, models/rnn.ts' forward and outputBackward), so both give the same bits:
//   C_j = round32(S_j + bias_j), S_j = Σ_p a_p·B(p, j) in float64 from +0 in increasing p;
//   tanh is assembly/kernels.ts' tanhInPlace (float32 operations, written out below);
//   every other value is formed in float64 from float32 operands and rounded once where the
//   JavaScript stores it.
// Compiled with -ffp-contract=off, so nothing is fused; lanes are columns, so vector width does not
// change any sum's order.
//
// Operands are addressed by float index from the base of the wasm heap, written by the caller into
// a slot array bound once (see RnnRowBind): every array here is a view on the heap (rnn-row.ts
// checks that), the heap's shared memory never moves, and writing an index costs a nanosecond
// where unwrapping a typed array through Node-API costs about 35.
#include <node_api.h>

#include "node-api-args.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace {

// C_j = bias_j + Σ_p a_p·B(p·n + j), the float64 sums of rowProduct. `bias` may be C.
void rowProduct(const float* a, const float* B, int k, int n, float* C, const float* bias) {
  int j = 0;
#if defined(__AVX2__)
  // Sixteen columns per pass where there are: four independent sums hide the add latency.
  for (; j + 16 <= n; j += 16) {
    __m256d s[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
    for (int p = 0; p < k; p++) {
      const __m256d x = _mm256_set1_pd(a[p]);
      const float* b = B + (size_t)p * n + j;
      for (int t = 0; t < 4; t++) s[t] = _mm256_add_pd(s[t], _mm256_mul_pd(x, _mm256_cvtps_pd(_mm_loadu_ps(b + 4 * t))));
    }
    for (int t = 0; t < 4; t++) _mm_storeu_ps(C + j + 4 * t, _mm256_cvtpd_ps(_mm256_add_pd(s[t], _mm256_cvtps_pd(_mm_loadu_ps(bias + j + 4 * t)))));
  }
  for (; j + 4 <= n; j += 4) {
    __m256d s = _mm256_setzero_pd();
    for (int p = 0; p < k; p++) s = _mm256_add_pd(s, _mm256_mul_pd(_mm256_set1_pd(a[p]), _mm256_cvtps_pd(_mm_loadu_ps(B + (size_t)p * n + j))));
    _mm_storeu_ps(C + j, _mm256_cvtpd_ps(_mm256_add_pd(s, _mm256_cvtps_pd(_mm_loadu_ps(bias + j)))));
  }
#endif
  for (; j < n; j++) {
    double s = 0;
    for (int p = 0; p < k; p++) s += (double)a[p] * (double)B[(size_t)p * n + j];
    C[j] = (float)(s + (double)bias[j]);
  }
}

float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint32_t floatToBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// The constants of assembly/kernels.ts' expm1x4: float64 literals rounded to float32, as
// AssemblyScript's f32x4.splat rounds them.
constexpr float kLog2e = (float)1.44269504, kLn2Hi = (float)0.693359375, kLn2Lo = (float)-2.12194440e-4;
constexpr float kP[6] = {(float)(1.0 / 5040.0), (float)(1.0 / 720.0), (float)(1.0 / 120.0), (float)(1.0 / 24.0), (float)(1.0 / 6.0), (float)0.5};

// expm1x4, one lane: the same float32 operations in the same order.
float expm1Lane(float y) {
  const float n = std::nearbyint(y * kLog2e);
  float r = y - n * kLn2Hi;
  r = r - n * kLn2Lo;
  float p = kP[0];
  for (int t = 1; t < 6; t++) p = p * r + kP[t];
  p = (p * r) * r + r;
  // i32x4.trunc_sat_f32x4_s: NaN becomes 0 (finite n here lies in [−26, 0]).
  const int32_t e = std::isnan(n) ? 0 : (int32_t)n;
  const float scale = bitsToFloat((uint32_t)(e + 127) << 23);
  return scale * p + (scale - 1.0f);
}

// tanhInPlace, one lane: tanh|x| = |u|/(2 + u), u = expm1(−2·min(|x|, 9)), x's sign restored
// (f32x4.min keeps a NaN).
float tanhLane(float x) {
  float ax = std::fabs(x);
  if (ax > 9.0f) ax = 9.0f;
  const float u = expm1Lane(ax * -2.0f);
  const float t = std::fabs(u) / (u + 2.0f);
  return bitsToFloat(floatToBits(t) | (floatToBits(x) & 0x80000000u));
}

// a ← tanh(a) for n floats, eight lanes at a time where AVX2 is there (the lanes are independent).
void tanhRow(float* a, int n) {
  int i = 0;
#if defined(__AVX2__)
  const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u));
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_loadu_ps(a + i);
    // min(9, |x|) returns its second operand when one is NaN, as f32x4.min(|x|, 9) keeps the NaN.
    const __m256 ax = _mm256_min_ps(_mm256_set1_ps(9.0f), _mm256_andnot_ps(sign, x));
    const __m256 y = _mm256_mul_ps(ax, _mm256_set1_ps(-2.0f));
    const __m256 nr = _mm256_round_ps(_mm256_mul_ps(y, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_sub_ps(y, _mm256_mul_ps(nr, _mm256_set1_ps(kLn2Hi)));
    r = _mm256_sub_ps(r, _mm256_mul_ps(nr, _mm256_set1_ps(kLn2Lo)));
    __m256 p = _mm256_set1_ps(kP[0]);
    for (int t = 1; t < 6; t++) p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(kP[t]));
    p = _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(p, r), r), r);
    const __m256i e = _mm256_andnot_si256(_mm256_castps_si256(_mm256_cmp_ps(nr, nr, _CMP_UNORD_Q)), _mm256_cvttps_epi32(nr));
    const __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e, _mm256_set1_epi32(127)), 23));
    const __m256 u = _mm256_add_ps(_mm256_mul_ps(scale, p), _mm256_sub_ps(scale, _mm256_set1_ps(1.0f)));
    const __m256 t = _mm256_div_ps(_mm256_andnot_ps(sign, u), _mm256_add_ps(u, _mm256_set1_ps(2.0f)));
    _mm256_storeu_ps(a + i, _mm256_or_ps(t, _mm256_and_ps(x, sign)));
  }
#endif
  for (; i < n; i++) a[i] = tanhLane(a[i]);
}

// A bound rnn: its dimensions and parameters, and the slots through which each call gets its
// operands (see RnnRowBind).
struct RnnRow {
  int n, I, O;
  double alpha;
  float* heap;  // the wasm heap's first float
  const float *Wt, *Ut, *b;
  float *Vt, *c;
  const int32_t* slots;
  napi_ref refs[6];
};

// s = (1 − α)·sPrev + α·tanh(h), h = b + W·sPrev + U·x; aux = φ′ = 1 − tanh(h)² (models/rnn.ts).
void forward(const RnnRow& m, const float* sPrev, const float* x, float* s, float* aux) {
  const int n = m.n;
  rowProduct(sPrev, m.Wt, n, n, s, m.b);
  rowProduct(x, m.Ut, m.I, n, s, s);
  if (m.alpha == 1) {
    tanhRow(s, n);
    for (int i = 0; i < n; i++) aux[i] = (float)(1.0 - (double)s[i] * (double)s[i]);
  } else {
    const double a = m.alpha;
    std::memcpy(aux, s, sizeof(float) * n);
    tanhRow(aux, n);
    for (int i = 0; i < n; i++) {
      const double f = aux[i];
      s[i] = (float)((1 - a) * (double)sPrev[i] + a * f);
      aux[i] = (float)(1.0 - f * f);
    }
  }
}

// q_i = Σ_k dy_k·V(i, k) in float64 from +0 in increasing k, for every row i of Vt (n × O).
void readoutQ(const float* Vt, const float* dy, int n, int O, float* q) {
  int i = 0;
#if defined(__AVX2__)
  // Four rows at a time, the rows as lanes: each 4 × 4 block of products is transposed so that one
  // vector add per k continues all four rows' sums, in k's order.
  if (O % 4 == 0) {
    for (; i + 4 <= n; i += 4) {
      __m256d acc = _mm256_setzero_pd();
      const float* v = Vt + (size_t)i * O;
      for (int k = 0; k < O; k += 4) {
        const __m256d e = _mm256_cvtps_pd(_mm_loadu_ps(dy + k));
        const __m256d p0 = _mm256_mul_pd(e, _mm256_cvtps_pd(_mm_loadu_ps(v + k)));
        const __m256d p1 = _mm256_mul_pd(e, _mm256_cvtps_pd(_mm_loadu_ps(v + O + k)));
        const __m256d p2 = _mm256_mul_pd(e, _mm256_cvtps_pd(_mm_loadu_ps(v + 2 * O + k)));
        const __m256d p3 = _mm256_mul_pd(e, _mm256_cvtps_pd(_mm_loadu_ps(v + 3 * O + k)));
        const __m256d t0 = _mm256_unpacklo_pd(p0, p1), t1 = _mm256_unpackhi_pd(p0, p1);
        const __m256d t2 = _mm256_unpacklo_pd(p2, p3), t3 = _mm256_unpackhi_pd(p2, p3);
        acc = _mm256_add_pd(acc, _mm256_permute2f128_pd(t0, t2, 0x20));
        acc = _mm256_add_pd(acc, _mm256_permute2f128_pd(t1, t3, 0x20));
        acc = _mm256_add_pd(acc, _mm256_permute2f128_pd(t0, t2, 0x31));
        acc = _mm256_add_pd(acc, _mm256_permute2f128_pd(t1, t3, 0x31));
      }
      _mm_storeu_ps(q + i, _mm256_cvtpd_ps(acc));
    }
  }
#endif
  for (; i < n; i++) {
    double acc = 0;
    for (int k = 0; k < O; k++) acc += (double)dy[k] * (double)Vt[(size_t)i * O + k];
    q[i] = (float)acc;
  }
}

// One row's readout gradient (Mode 1: accumulated; 2: plain SGD folded in), for the row of Vt that
// s_i feeds, or for c with si = 1 (its gradient is (0 + 1·dy_k) + gc_k, the same formula):
// g_k ← round32((0 + si·dy_k) + g_k); with a rate r, v_k ← round32(v_k − round32(r·g_k)) and
// g_k ← 0 instead.
template <int Mode>
void readoutGrad(double si, const float* dy, float* v, float* g, int O, float r) {
  int k = 0;
#if defined(__AVX2__)
  const __m256d vs = _mm256_set1_pd(si), zero = _mm256_setzero_pd();
  const __m128 vr = _mm_set1_ps(r);
  for (; k + 4 <= O; k += 4) {
    const __m256d e = _mm256_cvtps_pd(_mm_loadu_ps(dy + k));
    const __m128 grad = _mm256_cvtpd_ps(_mm256_add_pd(_mm256_add_pd(zero, _mm256_mul_pd(vs, e)), _mm256_cvtps_pd(_mm_loadu_ps(g + k))));
    if (Mode == 1) {
      _mm_storeu_ps(g + k, grad);
    } else {
      // float32 operations: of two float32 operands, the float64 result rounded to float32 is the
      // float32 result (53 ≥ 2·24 + 2), so the JavaScript's float64 step and subtraction are these.
      _mm_storeu_ps(v + k, _mm_sub_ps(_mm_loadu_ps(v + k), _mm_mul_ps(vr, grad)));
      _mm_storeu_ps(g + k, _mm_setzero_ps());
    }
  }
#endif
  for (; k < O; k++) {
    const float grad = (float)((0 + si * (double)dy[k]) + (double)g[k]);
    if (Mode == 1) {
      g[k] = grad;
    } else {
      v[k] = v[k] - r * grad;
      g[k] = 0;
    }
  }
}

// readoutGrad over every row of Vt, then over c.
template <int Mode>
void readoutGrads(const RnnRow& m, const float* s, const float* dy, float* gV, float* gc, float r) {
  for (int i = 0; i < m.n; i++) readoutGrad<Mode>(s[i], dy, m.Vt + (size_t)i * m.O, gV + (size_t)i * m.O, m.O, r);
  readoutGrad<Mode>(1, dy, m.c, gc, m.O, r);
}

// q = V·dy (from V before any step); with gV, gc the readout gradients accumulated; with a rate as
// well (not NaN), plain SGD folded in (models/rnn.ts' outputBackward).
void backOutput(const RnnRow& m, const float* s, const float* dy, float* q, float* gV, float* gc, double rate) {
  const int n = m.n, O = m.O;
  readoutQ(m.Vt, dy, n, O, q);
  if (gV == nullptr) return;
  if (std::isnan(rate)) readoutGrads<1>(m, s, dy, gV, gc, 0);
  else readoutGrads<2>(m, s, dy, gV, gc, (float)rate);
}

// ------------------------------------------------------------------------------------ Node-API

void FreeRnnRow(napi_env env, void* data, void*) {
  RnnRow* m = static_cast<RnnRow*>(data);
  for (napi_ref r : m->refs) napi_delete_reference(env, r);
  delete m;
}

RnnRow* bound(napi_env env, napi_callback_info info) {
  void* data = nullptr;
  size_t argc = 0;
  napi_get_cb_info(env, info, &argc, nullptr, nullptr, &data);
  return static_cast<RnnRow*>(data);
}

// forward(): s = F(sPrev, x), aux = φ′, with slots [sPrev, x, s, aux].
napi_value RnnRowForward(napi_env env, napi_callback_info info) {
  const RnnRow& m = *bound(env, info);
  const int32_t* i = m.slots;
  forward(m, m.heap + i[0], m.heap + i[1], m.heap + i[2], m.heap + i[3]);
  return nullptr;
}

// output(): y = c + V·s, with slots [s, y].
napi_value RnnRowOutput(napi_env env, napi_callback_info info) {
  const RnnRow& m = *bound(env, info);
  const int32_t* i = m.slots;
  rowProduct(m.heap + i[0], m.Vt, m.n, m.O, m.heap + i[1], m.c);
  return nullptr;
}

// backOutput(): slots [s, dy, q, gV, gc, mode, rate]: mode 0 q alone (gV and gc unused), 1 the
// gradients accumulated, 2 plain SGD at the float32 rate whose bits are slot 6.
napi_value RnnRowBackOutput(napi_env env, napi_callback_info info) {
  const RnnRow& m = *bound(env, info);
  const int32_t* i = m.slots;
  float rate;
  std::memcpy(&rate, &i[6], 4);
  const bool grads = i[5] != 0;
  backOutput(m, m.heap + i[0], m.heap + i[1], m.heap + i[2], grads ? m.heap + i[3] : nullptr, grads ? m.heap + i[4] : nullptr,
             i[5] == 2 ? (double)rate : NAN);
  return nullptr;
}

// rnnRowBind(n, I, O, alpha, Wt, Ut, b, Vt, c, slots): { forward, output, backOutput }, three
// functions without arguments. Node-API unwraps each argument at about 35 ns, a good part of
// these calls, so the caller writes its operands' float indices into the wasm heap (a few ns
// each) into `slots` (an Int32Array of at least 7, on an ArrayBuffer of its own so that it never
// moves) and calls. The five parameter arrays are views on the wasm heap, whose shared memory
// never moves either; its base is taken from Wt's view. rnn-row.ts checks every index.
napi_value RnnRowBind(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  int32_t n, I, O;
  double alpha;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 10 ||
      napi_get_value_int32(env, argv[0], &n) != napi_ok || napi_get_value_int32(env, argv[1], &I) != napi_ok ||
      napi_get_value_int32(env, argv[2], &O) != napi_ok || napi_get_value_double(env, argv[3], &alpha) != napi_ok ||
      n <= 0 || I <= 0 || O <= 0 || !(alpha > 0 && alpha <= 1)) {
    napi_throw_type_error(env, "BAD_PARAM", "rnnRowBind(n, I, O, alpha, Wt, Ut, b, Vt, c, slots): n, I, O positive integers, 0 < alpha ≤ 1");
    return nullptr;
  }
  const char* fn = "rnnRowBind";
  size_t off;
  void *Wt, *Ut, *b, *Vt, *c, *slots;
  if ((Wt = typedArrayArg(env, argv[4], napi_float32_array, (size_t)n * n, fn, &off)) == nullptr ||
      (Ut = typedArrayArg(env, argv[5], napi_float32_array, (size_t)n * I, fn)) == nullptr ||
      (b = typedArrayArg(env, argv[6], napi_float32_array, n, fn)) == nullptr ||
      (Vt = typedArrayArg(env, argv[7], napi_float32_array, (size_t)n * O, fn)) == nullptr ||
      (c = typedArrayArg(env, argv[8], napi_float32_array, O, fn)) == nullptr ||
      (slots = typedArrayArg(env, argv[9], napi_int32_array, 7, fn)) == nullptr) {
    return nullptr;
  }
  RnnRow* m = new RnnRow{n, I, O, alpha, reinterpret_cast<float*>(static_cast<char*>(Wt) - off), static_cast<float*>(Wt),
                         static_cast<float*>(Ut), static_cast<float*>(b), static_cast<float*>(Vt), static_cast<float*>(c),
                         static_cast<int32_t*>(slots), {}};
  for (int k = 0; k < 6; k++) napi_create_reference(env, argv[4 + k], 1, &m->refs[k]);
  napi_value handle, out;
  if (napi_create_external(env, m, FreeRnnRow, nullptr, &handle) != napi_ok || napi_create_object(env, &out) != napi_ok) {
    FreeRnnRow(env, m, nullptr);
    return nullptr;
  }
  const struct { const char* name; napi_callback cb; } fns[] = {{"forward", RnnRowForward}, {"output", RnnRowOutput}, {"backOutput", RnnRowBackOutput}};
  for (const auto& f : fns) {
    napi_value call;
    if (!boundFunction(env, f.name, f.cb, m, handle, &call) || napi_set_named_property(env, out, f.name, call) != napi_ok) return nullptr;
  }
  return out;
}

}  // namespace

// Called from influence.cc's module initialiser.
void registerRnnRow(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "rnnRowBind", NAPI_AUTO_LENGTH, RnnRowBind, nullptr, &fn);
  napi_set_named_property(env, exports, "rnnRowBind", fn);
}
