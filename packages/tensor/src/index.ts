/**
 * @module @credo/tensor
 * Dense and sparse float32 kernels (WebAssembly SIMD, with register-blocked plain JavaScript as the
 * fallback), a pseudoinverse, and the seeded random generator. No I/O.
 *
 * Every product follows one arithmetic contract per backend: C ← fround(alpha·S + beta·C) with S
 * summed in a fixed (increasing) order — in float32 on the `wasm` backend, in float64 on the `js`
 * one — so blocked, naive and sparse versions agree bit for bit within a backend. Tensors that go
 * through kernels every step should come from {@link allocFloats} (they then live in wasm memory
 * and are used in place).
 *
 * @example
 * ```ts
 * import { Rng, gemmNT, broadcastRows, tanhInPlace } from '@credo/tensor';
 * const rng = Rng.derive(0, 'weights');
 * const W = new Float32Array(4 * 3); rng.fillUniform(W, -0.5, 0.5);
 * const h = new Float32Array(2 * 4);
 * broadcastRows(b, h, 2, 4);
 * gemmNT(2, 4, 3, x, W, h, 1, 1); // h = x·Wᵀ + b
 * tanhInPlace(h);
 * ```
 */
export { Rng } from './rng.js';
export { nativeKernels, type NativeKernels } from './native.js';
export { allocFloats, allocInts, kernelBackend, setKernelBackend, withKernelBackend, fmaAvailable, fmaFuses, wasmMemoryInUse, wasmSimdAvailable, type KernelBackend } from './backend.js';
export type { FloatArray } from './check.js';
export { gemmNN, gemmNT, gemmTN } from './gemm.js';
export { influenceFloats, influenceIndex, influencePlan, influenceStep, type InfluencePlan } from './influence.js';
export { rnnRowPlan, type RnnRowParams, type RnnRowPlan } from './rnn-row.js';
export { SparseMatrix, sparseGemmNN, sparseGemmTN, sparseSgdTN } from './sparse.js';
export {
  ACTIVATIONS, activate, axpy, broadcastRows, mulActivationDerivative, reluInPlace, scale, sgdPlan, sgdStep, sigmoidInPlace, tanhInPlace,
  transpose, type Activation,
} from './elementwise.js';
export { angleDegrees, argmaxRows, colSums, dot, rowSums } from './reduce.js';
export { meanSquaredError, softmaxCrossEntropy } from './loss.js';
export { FLOAT32_EPS, pseudoInverse, svd } from './linalg.js';
