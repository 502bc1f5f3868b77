/**
 * Small-sample statistics for comparing learning rules over seeds: mean, sample standard
 * deviation and Student-t confidence intervals. Plain numbers in and out, no backend, so that
 * the DuckDB and ClickHouse adapters (and reports) give identical figures.
 *
 * The t quantile is computed, not looked up: the regularized incomplete beta function gives the
 * t distribution's CDF to about 1e-14, and a bracketed Newton iteration inverts it, so any df
 * (fractional too, as Welch's test needs) is exact to the precision printed.
 */

/** n, mean, sample sd, 95% CI half-width, min and max of a sample. */
export interface Summary {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1 denominator); NaN when n < 2. */
  readonly sd: number;
  /** Half-width of the 95% confidence interval of the mean, t(0.975, n − 1)·sd/√n; NaN when n < 2. */
  readonly ci95: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Arithmetic mean; NaN for an empty sample.
 *
 * @example
 * ```ts
 * mean([1, 2, 3, 4]) // 2.5
 * ```
 */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * Sample standard deviation (Bessel's n − 1); NaN when fewer than two values. Two-pass, so that
 * values with a large common offset (errors near 1, timestamps) keep their precision.
 *
 * @example
 * ```ts
 * sampleSd([2, 4, 4, 4, 5, 5, 7, 9]) // 2.138…
 * ```
 */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (xs.length - 1));
}

/**
 * The `p` quantile of Student's t distribution with `df` degrees of freedom (df > 0, possibly
 * fractional; `Infinity` gives the normal quantile).
 *
 * @example
 * ```ts
 * studentTQuantile(0.975, 5)        // 2.5706
 * studentTQuantile(0.975, Infinity) // 1.95996
 * ```
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  if (!(df > 0)) return NaN;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  if (p === 0.5) return 0;
  if (df === Infinity || df > 1e10) return normalQuantile(p);
  // Closed forms for the two smallest integer df, where the iteration below starts worst.
  if (df === 1) return Math.tan(Math.PI * (p - 0.5));
  if (df === 2) return (2 * p - 1) / Math.sqrt(2 * p * (1 - p));

  // Bracket [lo, hi] with cdf(lo) < p ≤ cdf(hi), then Newton steps kept inside the bracket.
  let lo = 0;
  let hi = Math.max(1, cornishFisher(p, df));
  while (studentTCdf(hi, df) < p) {
    lo = hi;
    hi *= 2;
  }
  let t = Math.min(Math.max(cornishFisher(p, df), lo), hi);
  for (let i = 0; i < 200; i++) {
    const f = studentTCdf(t, df) - p;
    if (f === 0) return t;
    if (f < 0) lo = t;
    else hi = t;
    let next = t - f / studentTPdf(t, df);
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - t) <= 1e-14 * Math.max(1, Math.abs(t))) return next;
    t = next;
  }
  return t;
}

/**
 * The two-sided 95% critical value t(0.975, df).
 *
 * @example
 * ```ts
 * tCritical95(1)  // 12.706
 * tCritical95(30) // 2.042
 * ```
 */
export function tCritical95(df: number): number {
  return studentTQuantile(0.975, df);
}

/**
 * Half-width of the 95% confidence interval of the mean of `xs`: t(0.975, n − 1)·sd/√n. NaN for
 * fewer than two values (one seed says nothing about spread).
 *
 * @example
 * ```ts
 * ci95HalfWidth([0.1, 0.12, 0.11]) // 0.0248…
 * ```
 */
export function ci95HalfWidth(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  return (tCritical95(xs.length - 1) * sampleSd(xs)) / Math.sqrt(xs.length);
}

/**
 * n, mean, sd, 95% CI half-width, min and max in one call.
 *
 * @example
 * ```ts
 * summarize([1, 2, 3]) // { n: 3, mean: 2, sd: 1, ci95: 2.484…, min: 1, max: 3 }
 * ```
 */
export function summarize(xs: readonly number[]): Summary {
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return {
    n: xs.length,
    mean: mean(xs),
    sd: sampleSd(xs),
    ci95: ci95HalfWidth(xs),
    min: xs.length ? min : NaN,
    max: xs.length ? max : NaN,
  };
}

/**
 * CDF of Student's t with `df` degrees of freedom, through the regularized incomplete beta.
 *
 * @example
 * ```ts
 * studentTCdf(2.5706, 5) // 0.975
 * ```
 */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  if (df === Infinity) return normalCdf(t);
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

function studentTPdf(t: number, df: number): number {
  const logC = logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  return Math.exp(logC - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/** Cornish–Fisher expansion of the t quantile around the normal one (Abramowitz & Stegun 26.7.5): the starting point. */
function cornishFisher(p: number, df: number): number {
  const z = normalQuantile(p);
  const z2 = z * z;
  const g1 = (z * (z2 + 1)) / 4;
  const g2 = (z * ((5 * z2 + 16) * z2 + 3)) / 96;
  const g3 = (z * (((3 * z2 + 19) * z2 + 17) * z2 - 15)) / 384;
  const g4 = (z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945)) / 92160;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4;
}

/**
 * Quantile of the standard normal distribution: Wichura's algorithm AS 241 (PPND16), relative
 * error about 1e-16.
 *
 * @example
 * ```ts
 * normalQuantile(0.975) // 1.959963984540054
 * ```
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r +
          13731.693765509461125) * r + 1971.5909503065514427) * r + 133.14166789178437745) * r + 3.387132872796366608)) /
      (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r +
        5394.1960214247511077) * r + 687.1870074920579083) * r + 42.313330701600911252) * r + 1)
    );
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x =
      (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r +
        3.64784832476320460504) * r + 5.7694972214606914055) * r + 4.6303378461565452959) * r + 1.42343711074968357734) /
      (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r +
        0.68976733498510000455) * r + 1.6763848301838038494) * r + 2.05319162663775882187) * r + 1);
  } else {
    r -= 5;
    x =
      (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r +
        0.29656057182850489123) * r + 1.7848265399172913358) * r + 5.4637849111641143699) * r + 6.6579046435011037772) /
      (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
        0.0148753612908506148525) * r + 0.13692988092273580531) * r + 0.59983220655588793769) * r + 1);
  }
  return q < 0 ? -x : x;
}

/**
 * Standard normal CDF (via erfc, absolute error below 1.2e-7).
 *
 * @example
 * ```ts
 * normalCdf(1.96) // 0.975
 * ```
 */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error about 1e-15). */
function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const xm = x - 1;
  let a = c[0]!;
  const t = xm + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (xm + i);
  return 0.5 * Math.log(2 * Math.PI) + (xm + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized incomplete beta I_x(a, b), by its continued fraction (Lentz), using the symmetry that makes it converge fast. */
function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}
