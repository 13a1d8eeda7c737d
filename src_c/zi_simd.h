/* Vector types and element-wise helpers for the zi-core kernel.
 *
 * Everything here is written with GCC/Clang vector extensions and plain C
 * scalars. Every operation is an element-wise IEEE operation (+, -, *, /,
 * compare, bit select, float<->double conversion), so a lane of a vector
 * computes exactly the bits the scalar code computes: the results never depend
 * on the lane or the vector width. The build keeps -ffp-contract=off, so the
 * compiler never forms an FMA of its own: the kernel asks for one where it
 * wants one, with zi_madd_* (a * b + c in one rounding where the build has
 * FMA, a multiply and an add where it has not): a hidden unit's sum in the
 * builds with FMA (avx2, avx512), and its weights' per-sample update in the
 * avx512 build (ZI_FMA_UPDATE). So each build's arithmetic is fixed at compile
 * time, and the baseline, avx2 and avx512 builds train to their own bits
 * (evaluation: avx2 and avx512 the same).
 *
 * zi_exp_* and zi_log1p_* are the exp and log1p used by the logistic loss in
 * every path (scalar and vector), so single-model and batched runs agree bit
 * for bit; exp is accurate to 2 ulp (1.74 measured), log1p to about one ulp.
 */
#ifndef ZI_SIMD_H
#define ZI_SIMD_H

#include <math.h>
#include <stdint.h>
#include <string.h>
/* the instruction sets' own intrinsics, where the build targets them */
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __SSE4_1__
#include <smmintrin.h>
#endif
#ifdef __AVX__
#include <immintrin.h>
#endif

typedef double v4d __attribute__((vector_size(32)));
typedef float v8f __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef int64_t v4di __attribute__((vector_size(32)));
typedef uint64_t v4du __attribute__((vector_size(32)));
typedef int32_t v8si __attribute__((vector_size(32)));
/* SSE2-width types, the native vectors of the baseline build */
typedef double v2d __attribute__((vector_size(16)));
typedef int64_t v2di __attribute__((vector_size(16)));
typedef uint64_t v2du __attribute__((vector_size(16)));
typedef int32_t v4si __attribute__((vector_size(16)));
typedef uint32_t v4su __attribute__((vector_size(16)));

#define ZI_INLINE static inline __attribute__((always_inline))

/* ------------------------------------------------------------ scalars */
ZI_INLINE double zi_splat_d(double x) { return x; }
ZI_INLINE float zi_splat_f(float x) { return x; }
ZI_INLINE double zi_relu_d(double a) { return a > 0 ? a : 0.0; }
ZI_INLINE float zi_relu_f(float a) { return a > 0 ? a : 0.0f; }
/* a where h > 0, else +0 */
ZI_INLINE double zi_gate_d(double a, double h) { return h > 0 ? a : 0.0; }
ZI_INLINE float zi_gate_f(float a, float h) { return h > 0 ? a : 0.0f; }

/* ------------------------------------------------------------ vectors */
ZI_INLINE v4d zi_splat_v4d(double x) { return (v4d){x, x, x, x}; }
ZI_INLINE v8f zi_splat_v8f(float x) { return (v8f){x, x, x, x, x, x, x, x}; }
/* relu as maxpd(a, +0): a > 0 ? a : +0 (the second operand for -0, +0 and
 * NaN), the scalar relu's result, in one instruction instead of a compare
 * and a mask */
#ifdef __AVX__
ZI_INLINE v4d zi_relu_v4d(v4d a) { return (v4d)_mm256_max_pd((__m256d)a, _mm256_setzero_pd()); }
ZI_INLINE v8f zi_relu_v8f(v8f a) { return (v8f)_mm256_max_ps((__m256)a, _mm256_setzero_ps()); }
#else
ZI_INLINE v4d zi_relu_v4d(v4d a) { return (v4d)((v4di)a & (a > 0)); }
ZI_INLINE v8f zi_relu_v8f(v8f a) { return (v8f)((v8si)a & (a > 0)); }
#endif
ZI_INLINE v4d zi_gate_v4d(v4d a, v4d h) { return (v4d)((v4di)a & (h > 0)); }
ZI_INLINE v8f zi_gate_v8f(v8f a, v8f h) { return (v8f)((v8si)a & (h > 0)); }

ZI_INLINE v2d zi_splat_v2d(double x) { return (v2d){x, x}; }
ZI_INLINE v4f zi_splat_v4f(float x) { return (v4f){x, x, x, x}; }
#ifdef __SSE2__
ZI_INLINE v2d zi_relu_v2d(v2d a) { return (v2d)_mm_max_pd((__m128d)a, _mm_setzero_pd()); }
ZI_INLINE v4f zi_relu_v4f(v4f a) { return (v4f)_mm_max_ps((__m128)a, _mm_setzero_ps()); }
#else
ZI_INLINE v2d zi_relu_v2d(v2d a) { return (v2d)((v2di)a & (a > 0)); }
ZI_INLINE v4f zi_relu_v4f(v4f a) { return (v4f)((v4si)a & (a > 0)); }
#endif
ZI_INLINE v2d zi_gate_v2d(v2d a, v2d h) { return (v2d)((v2di)a & (h > 0)); }
ZI_INLINE v4f zi_gate_v4f(v4f a, v4f h) { return (v4f)((v4si)a & (h > 0)); }
ZI_INLINE v2d zi_sel_v2d(v2di m, v2d a, v2d b) { return (v2d)(((v2di)a & m) | ((v2di)b & ~m)); }
ZI_INLINE v4f zi_sel_v4f(v4si m, v4f a, v4f b) { return (v4f)(((v4si)a & m) | ((v4si)b & ~m)); }
ZI_INLINE v2du zi_bits_v2d(v2d x) { return (v2du)x; }
ZI_INLINE v2d zi_from_bits_v2d(v2du u) { return (v2d)u; }
ZI_INLINE v4su zi_bits_v4f(v4f x) { return (v4su)x; }
ZI_INLINE v4f zi_from_bits_v4f(v4su u) { return (v4f)u; }

/* a * b + c: one fused multiply-add (one rounding) where the build has FMA,
 * else a multiply and an add (two roundings). ZI_FMA says which. */
#ifdef __FMA__
#define ZI_FMA 1
ZI_INLINE double zi_madd_d(double a, double b, double c) { return __builtin_fma(a, b, c); }
ZI_INLINE float zi_madd_f(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
ZI_INLINE v2d zi_madd_v2d(v2d a, v2d b, v2d c) {
    return (v2d)_mm_fmadd_pd((__m128d)a, (__m128d)b, (__m128d)c);
}
ZI_INLINE v4f zi_madd_v4f(v4f a, v4f b, v4f c) {
    return (v4f)_mm_fmadd_ps((__m128)a, (__m128)b, (__m128)c);
}
ZI_INLINE v4d zi_madd_v4d(v4d a, v4d b, v4d c) {
    return (v4d)_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)c);
}
ZI_INLINE v8f zi_madd_v8f(v8f a, v8f b, v8f c) {
    return (v8f)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
}
#else
#define ZI_FMA 0
ZI_INLINE double zi_madd_d(double a, double b, double c) { return a * b + c; }
ZI_INLINE float zi_madd_f(float a, float b, float c) { return a * b + c; }
ZI_INLINE v2d zi_madd_v2d(v2d a, v2d b, v2d c) { return a * b + c; }
ZI_INLINE v4f zi_madd_v4f(v4f a, v4f b, v4f c) { return a * b + c; }
ZI_INLINE v4d zi_madd_v4d(v4d a, v4d b, v4d c) { return a * b + c; }
ZI_INLINE v8f zi_madd_v8f(v8f a, v8f b, v8f c) { return a * b + c; }
#endif

/* The update of a weight into a hidden unit, w + s h (s = -eta d): one fused
 * multiply-add in builds with AVX-512 (S_mlp 5-6% faster on an Intel Xeon),
 * a multiply and an add elsewhere (fused, it was 12-18% slower on AMD Zen 3,
 * whose adds have pipes of their own; AVX2 is that CPU's widest). So the
 * avx512 build's training bits are its own; its evaluation and the avx2
 * build's sums are the same FMAs. ZI_FMA_UPDATE says which. */
#if defined(__AVX512F__) && defined(__FMA__)
#define ZI_FMA_UPDATE 1
#else
#define ZI_FMA_UPDATE 0
#endif

/* -|x|: the sign bit set (one bitwise op, off the latency of a compare) */
ZI_INLINE double zi_negabs_d(double x) { return -fabs(x); }
ZI_INLINE float zi_negabs_f(float x) { return -fabsf(x); }
ZI_INLINE v4d zi_negabs_v4d(v4d x) { return (v4d)((v4di)x | (v4di)zi_splat_v4d(-0.0)); }
ZI_INLINE v2d zi_negabs_v2d(v2d x) { return (v2d)((v2di)x | (v2di)zi_splat_v2d(-0.0)); }
ZI_INLINE v8f zi_negabs_v8f(v8f x) { return (v8f)((v8si)x | (v8si)zi_splat_v8f(-0.0f)); }
ZI_INLINE v4f zi_negabs_v4f(v4f x) { return (v4f)((v4si)x | (v4si)zi_splat_v4f(-0.0f)); }

/* select: m ? a : b, m from a comparison */
ZI_INLINE v4d zi_sel_v4d(v4di m, v4d a, v4d b) {
    return (v4d)(((v4di)a & m) | ((v4di)b & ~m));
}
ZI_INLINE double zi_sel_d(int m, double a, double b) { return m ? a : b; }

ZI_INLINE uint64_t zi_bits_d(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
ZI_INLINE double zi_from_bits_d(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }

/* ------------------------------------------------------------ exp, log1p
 * Written once as a macro over the type (double or v4d) so the scalar and the
 * vector versions are the same sequence of operations. */
#define ZI_SHIFT 6755399441055744.0 /* 1.5 * 2^52: adding it rounds to an integer */
#define ZI_SHIFT_BITS 0x4338000000000000LL
#define ZI_LN2HI 6.93147180369123816490e-01 /* 3fe62e42 fee00000 */
#define ZI_LN2LO 1.90821492927058770002e-10 /* 3dea39ef 35793c76 */
#define ZI_EXP_N 64                           /* table entries: 2^(j/64) */
#define ZI_N_LN2 92.33248261689366            /* 64 / ln 2 */

/* 2^(j/64), each rounded to the nearest double */
static const double zi_exp_tab[ZI_EXP_N] = {
    0x1.0000000000000p+0, 0x1.02c9a3e778061p+0, 0x1.059b0d3158574p+0, 0x1.0874518759bc8p+0,
    0x1.0b5586cf9890fp+0, 0x1.0e3ec32d3d1a2p+0, 0x1.11301d0125b51p+0, 0x1.1429aaea92de0p+0,
    0x1.172b83c7d517bp+0, 0x1.1a35beb6fcb75p+0, 0x1.1d4873168b9aap+0, 0x1.2063b88628cd6p+0,
    0x1.2387a6e756238p+0, 0x1.26b4565e27cddp+0, 0x1.29e9df51fdee1p+0, 0x1.2d285a6e4030bp+0,
    0x1.306fe0a31b715p+0, 0x1.33c08b26416ffp+0, 0x1.371a7373aa9cbp+0, 0x1.3a7db34e59ff7p+0,
    0x1.3dea64c123422p+0, 0x1.4160a21f72e2ap+0, 0x1.44e086061892dp+0, 0x1.486a2b5c13cd0p+0,
    0x1.4bfdad5362a27p+0, 0x1.4f9b2769d2ca7p+0, 0x1.5342b569d4f82p+0, 0x1.56f4736b527dap+0,
    0x1.5ab07dd485429p+0, 0x1.5e76f15ad2148p+0, 0x1.6247eb03a5585p+0, 0x1.6623882552225p+0,
    0x1.6a09e667f3bcdp+0, 0x1.6dfb23c651a2fp+0, 0x1.71f75e8ec5f74p+0, 0x1.75feb564267c9p+0,
    0x1.7a11473eb0187p+0, 0x1.7e2f336cf4e62p+0, 0x1.82589994cce13p+0, 0x1.868d99b4492edp+0,
    0x1.8ace5422aa0dbp+0, 0x1.8f1ae99157736p+0, 0x1.93737b0cdc5e5p+0, 0x1.97d829fde4e50p+0,
    0x1.9c49182a3f090p+0, 0x1.a0c667b5de565p+0, 0x1.a5503b23e255dp+0, 0x1.a9e6b5579fdbfp+0,
    0x1.ae89f995ad3adp+0, 0x1.b33a2b84f15fbp+0, 0x1.b7f76f2fb5e47p+0, 0x1.bcc1e904bc1d2p+0,
    0x1.c199bdd85529cp+0, 0x1.c67f12e57d14bp+0, 0x1.cb720dcef9069p+0, 0x1.d072d4a07897cp+0,
    0x1.d5818dcfba487p+0, 0x1.da9e603db3285p+0, 0x1.dfc97337b9b5fp+0, 0x1.e502ee78b3ff6p+0,
    0x1.ea4afa2a490dap+0, 0x1.efa1bee615a27p+0, 0x1.f50765b6e4540p+0, 0x1.fa7c1819e90d8p+0,
};
ZI_INLINE double zi_tab_d(int64_t j) { return zi_exp_tab[j]; }

/* e^x, x <= ~709; 0 below -745.2; NaN stays NaN; within 2 ulp (1.74 at most
 * over 20 million points of [-700, 0]: the form below trades ~0.5 ulp for a
 * shorter chain; results below 2^-1022 to a few units of the smallest
 * subnormal). kd = round(64 x / ln2) = 64 k + j, r = x - kd ln2/64
 * (Cody-Waite, |r| <= ln2/128), e^x = 2^k 2^(j/64) e^r with e^r - 1 by its
 * Taylor polynomial of degree 5. The latency from x is short (it is on the
 * chain of every logistic step): the scale sc = 2^k 2^(j/64) multiplies r
 * and the higher terms q apart, and (sc + sc r) + sc q needs one step less
 * after q than sc + sc (r + q); 2^k is applied in two halves so no
 * intermediate overflows or underflows. k and k / 2 are read off t's bits
 * by logical shifts (exact: the shift constant's bits are a multiple of 128),
 * since AVX2 has no 64-bit arithmetic shift (3 instructions each). */
#define ZI_DEFINE_EXP(NAME, T, IT, UT, SPLAT, BITS, FROMBITS, SEL, TAB, ROUND)     \
    ZI_INLINE T NAME(T x) {                                                       \
        const T t = x * SPLAT(ZI_N_LN2) + SPLAT(ZI_SHIFT);                        \
        const T kd = ROUND(x * SPLAT(ZI_N_LN2), t);                               \
        const T r = (x - kd * SPLAT(ZI_LN2HI / ZI_EXP_N)) -                       \
                    kd * SPLAT(ZI_LN2LO / ZI_EXP_N);                              \
        const UT bt = BITS(t); /* ZI_SHIFT_BITS + kd, a multiple of 128 + kd */  \
        const IT k = (IT)(bt >> 6) - (ZI_SHIFT_BITS >> 6); /* floor(kd / 64) */   \
        const IT k1 = (IT)(bt >> 7) - (ZI_SHIFT_BITS >> 7); /* floor(k / 2) */    \
        const T s1 = FROMBITS((UT)(k1 + 1023) << 52);                             \
        const T s2 = FROMBITS((UT)(k - k1 + 1023) << 52);                         \
        const T sc = (TAB((IT)(bt & (ZI_EXP_N - 1))) * s1) * s2;                  \
        const T r2 = r * r;                                                       \
        const T q = r2 * (SPLAT(1.0 / 2) + r * SPLAT(1.0 / 6)) +                  \
                    (r2 * r2) * (SPLAT(1.0 / 24) + r * SPLAT(1.0 / 120));         \
        const T y = (sc + sc * r) + sc * q;                                       \
        return SEL(x < SPLAT(-745.2), SPLAT(0.0), y);                             \
    }

/* log1p(x) for x in [0, 2^52) (NaN stays NaN), about one ulp: u = 1 + x with
 * its exact rounding error c, u = 2^k (1 + f) with sqrt(2)/2 <= 1 + f <
 * sqrt(2) (k and the mantissa read off u's bits, k turned into a double by
 * the 2^52 trick, exact), fdlibm's log(1 + f) with s = f / (2 + f), plus
 * c / u. Only for loss values, never a gradient: once per block of samples in
 * training (ZI_DEFINE_LOGISTIC_BLOCK), once per row in evaluation. */
#define ZI_DEFINE_LOG1P(NAME, T, SPLAT, SEL, BITS, FROMBITS)                        \
    ZI_INLINE T NAME(T x) {                                                           \
        const T u = SPLAT(1.0) + x;                                                   \
        const T c = x - (u - SPLAT(1.0));                                             \
        const T m = FROMBITS((BITS(u) & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL); \
        const T e = FROMBITS((BITS(u) >> 52) | 0x4330000000000000ULL) -               \
                    SPLAT(4503599627370496.0 + 1023.0); /* the exponent of u */        \
        const T kd = e + SEL(m > SPLAT(1.41421356237309504880), SPLAT(1.0), SPLAT(0.0)); \
        const T f = SEL(m > SPLAT(1.41421356237309504880), m * SPLAT(0.5), m) - SPLAT(1.0); \
        const T s = f / (SPLAT(2.0) + f);                                             \
        const T z = s * s;                                                            \
        const T w = z * z;                                                            \
        const T t1 = w * (SPLAT(3.999999999940941908e-01) +                           \
                          w * (SPLAT(2.222219843214978396e-01) +                      \
                               w * SPLAT(1.531383769920937332e-01)));                 \
        const T t2 = z * (SPLAT(6.666666666666735130e-01) +                           \
                          w * (SPLAT(2.857142874366239149e-01) +                      \
                               w * (SPLAT(1.818357216161805012e-01) +                 \
                                    w * SPLAT(1.479819860511658591e-01))));           \
        const T R = t2 + t1;                                                          \
        const T hfsq = SPLAT(0.5) * f * f;                                            \
        return kd * SPLAT(ZI_LN2HI) -                                                 \
               ((hfsq - (s * (hfsq + R) + (kd * SPLAT(ZI_LN2LO) + c / u))) - f);      \
    }

/* The logistic loss of n <= ZI_KEEP kept samples of one model per lane, from
 * what ZI_DEFINE_LOSS kept (k1 = m = y z, k2 = e = e^-|z|; element q at
 * k[q * stride]): sum over q of log1p(e_q) + max(-m_q, 0), as
 * log1p(E) + M with E = prod(1 + e_q) - 1 by E <- (E + e) + E e (every term
 * >= 0: a few ulp of E, where the product itself would lose small losses in
 * its 1) and M the sum of -m_q over the misclassified samples. One log1p a
 * block instead of one a sample. */
#define ZI_DEFINE_LOGISTIC_BLOCK(NAME, T, ST, SPLAT, SEL, LOG1P)                      \
    ZI_INLINE T NAME(Py_ssize_t n, const ST* k1, const ST* k2, Py_ssize_t stride) {   \
        T E = SPLAT(0.0), M = SPLAT(0.0);                                             \
        Py_ssize_t q;                                                                 \
        for (q = 0; q < n; q++) {                                                     \
            T e, m;                                                                   \
            memcpy(&e, k2 + q * stride, sizeof e);                                    \
            memcpy(&m, k1 + q * stride, sizeof m);                                    \
            E = (E + e) + E * e;                                                      \
            M = M + SEL(m > SPLAT(0.0), SPLAT(0.0), -m);                              \
        }                                                                             \
        return LOG1P(E) + M;                                                          \
    }

ZI_INLINE uint64_t zi_bitsu_d(double x) { return zi_bits_d(x); }
ZI_INLINE v4du zi_bits_v4d(v4d x) { return (v4du)x; }
ZI_INLINE v4d zi_from_bits_v4d(v4du u) { return (v4d)u; }
ZI_INLINE v4d zi_selc_v4d(v4di m, v4d a, v4d b) { return zi_sel_v4d(m, a, b); }
/* table lookups lane by lane (a gather is no faster for so few) */
ZI_INLINE v4d zi_tab_v4d(v4di j) {
    return (v4d){zi_exp_tab[j[0]], zi_exp_tab[j[1]], zi_exp_tab[j[2]], zi_exp_tab[j[3]]};
}
ZI_INLINE v2d zi_tab_v2d(v2di j) { return (v2d){zi_exp_tab[j[0]], zi_exp_tab[j[1]]}; }

/* kd = x * 64/ln2 rounded to the nearest integer (ties to even): one
 * roundsd/roundpd where SSE4.1 has it (3 cycles sooner on the chain of every
 * logistic step), else t - SHIFT. The same integer either way wherever the
 * result is not flushed to 0 (|x| < 2^51 ln2/64), so every build gets the
 * same bits; t still gives the table index and 2^k as integer bits. */
#ifdef __SSE4_1__
ZI_INLINE double zi_round_d(double a, double t) {
    (void)t;
    return __builtin_roundeven(a); /* one roundsd (no move to clear the upper lane) */
}
ZI_INLINE v2d zi_round_v2d(v2d a, v2d t) {
    (void)t;
    return (v2d)_mm_round_pd((__m128d)a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
#else
ZI_INLINE double zi_round_d(double a, double t) { (void)a; return t - ZI_SHIFT; }
ZI_INLINE v2d zi_round_v2d(v2d a, v2d t) { (void)a; return t - zi_splat_v2d(ZI_SHIFT); }
#endif
#ifdef __AVX__
ZI_INLINE v4d zi_round_v4d(v4d a, v4d t) {
    (void)t;
    return (v4d)_mm256_round_pd((__m256d)a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
#else
ZI_INLINE v4d zi_round_v4d(v4d a, v4d t) { (void)a; return t - zi_splat_v4d(ZI_SHIFT); }
#endif

ZI_DEFINE_EXP(zi_exp_d, double, int64_t, uint64_t, zi_splat_d, zi_bitsu_d, zi_from_bits_d,
              zi_sel_d, zi_tab_d, zi_round_d)
ZI_DEFINE_EXP(zi_exp_v4d, v4d, v4di, v4du, zi_splat_v4d, zi_bits_v4d, zi_from_bits_v4d,
              zi_selc_v4d, zi_tab_v4d, zi_round_v4d)
ZI_DEFINE_EXP(zi_exp_v2d, v2d, v2di, v2du, zi_splat_v2d, zi_bits_v2d, zi_from_bits_v2d,
              zi_sel_v2d, zi_tab_v2d, zi_round_v2d)


/* ------------------------------------------------------------ losses
 * One sample's derivative g = d loss / d z (the perceptron rule as a
 * 'gradient') and correct count, for output z and label y; cpos/cneg are the
 * count when z >= 0 / z < 0. The loss value only enters the recorded sums, so
 * it is split off: NAME keeps two values (k1, k2) and NAME##_value turns them
 * into the loss later, off the latency chain from one sample's output to the
 * next (for the logistic loss the log1p costs as much as the gradient).
 * One definition for the scalar and the vector type, so every path computes
 * the same bits. */
#define ZI_DEFINE_LOSS(NAME, T, SPLAT, SEL, EXP, LOG1P, NEGABS)                         \
    ZI_INLINE void NAME(int loss, T z, T y, T cpos, T cneg, T* g, T* corr, T* k1,   \
                        T* k2) {                                                    \
        const T one = SPLAT(1.0), zero = SPLAT(0.0);                                \
        *corr = SEL(z >= zero, cpos, cneg);                                         \
        *k2 = zero;                                                                 \
        if (loss == 1) { /* squared */                                              \
            *g = z - y;                                                             \
            *k1 = SPLAT(0.5) * (z - y) * (z - y);                                   \
        } else if (loss == 2) { /* logistic: log(1 + exp(-m)) without overflow */   \
            const T m = y * z;                                                      \
            /* e^-|m| = e^-|z| for y = -1 or +1 (the wrappers check): the multiply   \
             * stays off the chain from one sample's output to the next */          \
            const T e = EXP(NEGABS(z));                                             \
            *g = SEL(m > zero, -y * e, -y) / (one + e); /* -y e/(1+e) or -y/(1+e) */ \
            *k1 = m;                                                                \
            *k2 = e;                                                                \
        } else if (loss == 3) { /* hinge */                                         \
            const T m = y * z;                                                      \
            *g = SEL(m < one, -y, zero);                                            \
            *k1 = SEL(m < one, one - m, zero);                                      \
        } else { /* perceptron: w += eta (y - yhat) x, as w -= eta (yhat - y) x */  \
            const T e = SEL(z >= zero, one, -one);                                  \
            *g = e - y;                                                             \
            *k1 = SEL(e == y, zero, one);                                           \
        }                                                                           \
    }                                                                               \
    /* the loss from what NAME kept: log1p(e) (m > 0) or -m + log1p(e) */           \
    ZI_INLINE T NAME##_value(int loss, T k1, T k2) {                                \
        if (loss == 2) {                                                            \
            const T lp = LOG1P(k2);                                                 \
            return SEL(k1 > SPLAT(0.0), lp, -k1 + lp);                              \
        }                                                                           \
        return k1;                                                                  \
    }

ZI_DEFINE_LOG1P(zi_log1p_d, double, zi_splat_d, zi_sel_d, zi_bitsu_d, zi_from_bits_d)
ZI_DEFINE_LOG1P(zi_log1p_v4d, v4d, zi_splat_v4d, zi_selc_v4d, zi_bits_v4d, zi_from_bits_v4d)
ZI_DEFINE_LOG1P(zi_log1p_v2d, v2d, zi_splat_v2d, zi_sel_v2d, zi_bits_v2d, zi_from_bits_v2d)
ZI_DEFINE_LOSS(zi_loss_d, double, zi_splat_d, zi_sel_d, zi_exp_d, zi_log1p_d, zi_negabs_d)
ZI_DEFINE_LOSS(zi_loss_v4d, v4d, zi_splat_v4d, zi_selc_v4d, zi_exp_v4d, zi_log1p_v4d,
               zi_negabs_v4d)
ZI_DEFINE_LOSS(zi_loss_v2d, v2d, zi_splat_v2d, zi_sel_v2d, zi_exp_v2d, zi_log1p_v2d,
               zi_negabs_v2d)
ZI_DEFINE_LOGISTIC_BLOCK(zi_loss_d_block, double, double, zi_splat_d, zi_sel_d, zi_log1p_d)
ZI_DEFINE_LOGISTIC_BLOCK(zi_loss_v4d_block, v4d, double, zi_splat_v4d, zi_selc_v4d, zi_log1p_v4d)
ZI_DEFINE_LOGISTIC_BLOCK(zi_loss_v2d_block, v2d, double, zi_splat_v2d, zi_sel_v2d, zi_log1p_v2d)

/* ------------------------------------------------------------ float32
 * The float32 core computes its loss in single precision too (twice the
 * lanes): expf by the same scheme (Taylor degree 7, Estrin), log1pf with
 * FreeBSD's logf polynomial. About one ulp of float. */
typedef uint32_t v8su __attribute__((vector_size(32)));
ZI_INLINE uint32_t zi_bits_f(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
ZI_INLINE float zi_from_bits_f(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }
ZI_INLINE float zi_sel_f(int m, float a, float b) { return m ? a : b; }
ZI_INLINE v8f zi_sel_v8f(v8si m, v8f a, v8f b) {
    return (v8f)(((v8si)a & m) | ((v8si)b & ~m));
}
ZI_INLINE v8su zi_bits_v8f(v8f x) { return (v8su)x; }
ZI_INLINE v8f zi_from_bits_v8f(v8su u) { return (v8f)u; }

#define ZI_SHIFTF 12582912.0f /* 1.5 * 2^23 */
#define ZI_EXPBIASF 0x4b3fff81U /* bits(ZI_SHIFTF) - 127 */
#define ZI_DEFINE_EXPF(NAME, T, SPLAT, BITS, FROMBITS, SEL)                          \
    ZI_INLINE T NAME(T x) {                                                          \
        T t = x * SPLAT(1.44269504088896341f) + SPLAT(ZI_SHIFTF);                     \
        T kd = t - SPLAT(ZI_SHIFTF);                                                 \
        T hi = x - kd * SPLAT(6.9314575195e-01f);                                    \
        T lo = kd * SPLAT(1.4286067653e-06f);                                        \
        T r = hi - lo;                                                               \
        T r2 = r * r;                                                                \
        T r4 = r2 * r2;                                                              \
        T e0 = SPLAT(1.0f / 2) + r * SPLAT(1.0f / 6);                                \
        T e1 = SPLAT(1.0f / 24) + r * SPLAT(1.0f / 120);                             \
        T e2 = SPLAT(1.0f / 720) + r * SPLAT(1.0f / 5040);                           \
        T q = (e0 + e1 * r2) + e2 * r4;                                              \
        T p = SPLAT(1.0f) + (r + r2 * q);                                            \
        T k1 = (kd * SPLAT(0.5f) + SPLAT(ZI_SHIFTF)) - SPLAT(ZI_SHIFTF);             \
        T k2 = kd - k1;                                                              \
        T s1 = FROMBITS((BITS(k1 + SPLAT(ZI_SHIFTF)) - (uint32_t)ZI_EXPBIASF) << 23); \
        T s2 = FROMBITS((BITS(k2 + SPLAT(ZI_SHIFTF)) - (uint32_t)ZI_EXPBIASF) << 23); \
        T y = (p * s1) * s2;                                                         \
        return SEL(x < SPLAT(-104.0f), SPLAT(0.0f), y);                              \
    }

/* log1pf(x) for x in [0, 2^23), as ZI_DEFINE_LOG1P (2^23 trick, FreeBSD's logf
 * polynomial). */
#define ZI_DEFINE_LOG1PF(NAME, T, SPLAT, SEL, BITS, FROMBITS)                       \
    ZI_INLINE T NAME(T x) {                                                           \
        const T u = SPLAT(1.0f) + x;                                                  \
        const T c = x - (u - SPLAT(1.0f));                                            \
        const T m = FROMBITS((BITS(u) & 0x007fffffU) | 0x3f800000U);                  \
        const T e = FROMBITS((BITS(u) >> 23) | 0x4b000000U) - SPLAT(8388608.0f + 127.0f); \
        const T kd = e + SEL(m > SPLAT(1.41421356237f), SPLAT(1.0f), SPLAT(0.0f));    \
        const T f = SEL(m > SPLAT(1.41421356237f), m * SPLAT(0.5f), m) - SPLAT(1.0f); \
        const T s = f / (SPLAT(2.0f) + f);                                            \
        const T z = s * s;                                                            \
        const T w = z * z;                                                            \
        const T t1 = w * (SPLAT(0.40000972152f) + w * SPLAT(0.24279078841f));         \
        const T t2 = z * (SPLAT(0.66666662693f) + w * SPLAT(0.28498786688f));         \
        const T R = t2 + t1;                                                          \
        const T hfsq = SPLAT(0.5f) * f * f;                                           \
        return kd * SPLAT(6.9313812256e-01f) -                                        \
               ((hfsq - (s * (hfsq + R) + (kd * SPLAT(9.0580006145e-06f) + c / u))) - f); \
    }

ZI_DEFINE_EXPF(zi_exp_f, float, zi_splat_f, zi_bits_f, zi_from_bits_f, zi_sel_f)
ZI_DEFINE_EXPF(zi_exp_v8f, v8f, zi_splat_v8f, zi_bits_v8f, zi_from_bits_v8f, zi_sel_v8f)
ZI_DEFINE_EXPF(zi_exp_v4f, v4f, zi_splat_v4f, zi_bits_v4f, zi_from_bits_v4f, zi_sel_v4f)
ZI_DEFINE_LOG1PF(zi_log1p_f, float, zi_splat_f, zi_sel_f, zi_bits_f, zi_from_bits_f)
ZI_DEFINE_LOG1PF(zi_log1p_v8f, v8f, zi_splat_v8f, zi_sel_v8f, zi_bits_v8f, zi_from_bits_v8f)
ZI_DEFINE_LOG1PF(zi_log1p_v4f, v4f, zi_splat_v4f, zi_sel_v4f, zi_bits_v4f, zi_from_bits_v4f)
ZI_DEFINE_LOSS(zi_loss_f, float, zi_splat_f, zi_sel_f, zi_exp_f, zi_log1p_f, zi_negabs_f)
ZI_DEFINE_LOSS(zi_loss_v8f, v8f, zi_splat_v8f, zi_sel_v8f, zi_exp_v8f, zi_log1p_v8f,
               zi_negabs_v8f)
ZI_DEFINE_LOSS(zi_loss_v4f, v4f, zi_splat_v4f, zi_sel_v4f, zi_exp_v4f, zi_log1p_v4f,
               zi_negabs_v4f)
ZI_DEFINE_LOGISTIC_BLOCK(zi_loss_f_block, float, float, zi_splat_f, zi_sel_f, zi_log1p_f)
ZI_DEFINE_LOGISTIC_BLOCK(zi_loss_v8f_block, v8f, float, zi_splat_v8f, zi_sel_v8f, zi_log1p_v8f)
ZI_DEFINE_LOGISTIC_BLOCK(zi_loss_v4f_block, v4f, float, zi_splat_v4f, zi_sel_v4f, zi_log1p_v4f)

/* ------------------------------------------------------------ AVX-512
 * 64-byte vectors, for the batched kernel of the avx512 build: the same
 * element-wise operations as above, eight float64 or sixteen float32 lanes. */
#ifdef __AVX512F__
typedef double v8d __attribute__((vector_size(64)));
typedef int64_t v8di __attribute__((vector_size(64)));
typedef uint64_t v8du __attribute__((vector_size(64)));
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16si __attribute__((vector_size(64)));
typedef uint32_t v16su __attribute__((vector_size(64)));

ZI_INLINE v8d zi_splat_v8d(double x) { return (v8d){x, x, x, x, x, x, x, x}; }
ZI_INLINE v16f zi_splat_v16f(float x) {
    return (v16f){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x};
}
ZI_INLINE v8d zi_relu_v8d(v8d a) { return (v8d)_mm512_max_pd((__m512d)a, _mm512_setzero_pd()); }
ZI_INLINE v16f zi_relu_v16f(v16f a) { return (v16f)_mm512_max_ps((__m512)a, _mm512_setzero_ps()); }
ZI_INLINE v8d zi_gate_v8d(v8d a, v8d h) { return (v8d)((v8di)a & (h > 0)); }
ZI_INLINE v16f zi_gate_v16f(v16f a, v16f h) { return (v16f)((v16si)a & (h > 0)); }
ZI_INLINE v8d zi_negabs_v8d(v8d x) { return (v8d)((v8di)x | (v8di)zi_splat_v8d(-0.0)); }
ZI_INLINE v16f zi_negabs_v16f(v16f x) { return (v16f)((v16si)x | (v16si)zi_splat_v16f(-0.0f)); }
ZI_INLINE v8d zi_sel_v8d(v8di m, v8d a, v8d b) { return (v8d)(((v8di)a & m) | ((v8di)b & ~m)); }
ZI_INLINE v16f zi_sel_v16f(v16si m, v16f a, v16f b) {
    return (v16f)(((v16si)a & m) | ((v16si)b & ~m));
}
#ifdef __FMA__
ZI_INLINE v8d zi_madd_v8d(v8d a, v8d b, v8d c) {
    return (v8d)_mm512_fmadd_pd((__m512d)a, (__m512d)b, (__m512d)c);
}
ZI_INLINE v16f zi_madd_v16f(v16f a, v16f b, v16f c) {
    return (v16f)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
}
#else
ZI_INLINE v8d zi_madd_v8d(v8d a, v8d b, v8d c) { return a * b + c; }
ZI_INLINE v16f zi_madd_v16f(v16f a, v16f b, v16f c) { return a * b + c; }
#endif
ZI_INLINE v8du zi_bits_v8d(v8d x) { return (v8du)x; }
ZI_INLINE v8d zi_from_bits_v8d(v8du u) { return (v8d)u; }
ZI_INLINE v16su zi_bits_v16f(v16f x) { return (v16su)x; }
ZI_INLINE v16f zi_from_bits_v16f(v16su u) { return (v16f)u; }
ZI_INLINE v8d zi_tab_v8d(v8di j) {
    const __m512i ix = (__m512i)j;
    const double* t = zi_exp_tab;
    /* vpermt2pd picks from 16 entries by j's low 4 bits; bits 4 and 5 pick
     * among the four picks. A gather's latency is on the chain of every
     * logistic step: S_mlp 0.5-1% faster, the same values */
    const __m512d a = _mm512_permutex2var_pd(_mm512_loadu_pd(t), ix, _mm512_loadu_pd(t + 8));
    const __m512d b = _mm512_permutex2var_pd(_mm512_loadu_pd(t + 16), ix, _mm512_loadu_pd(t + 24));
    const __m512d c = _mm512_permutex2var_pd(_mm512_loadu_pd(t + 32), ix, _mm512_loadu_pd(t + 40));
    const __m512d d = _mm512_permutex2var_pd(_mm512_loadu_pd(t + 48), ix, _mm512_loadu_pd(t + 56));
    const __mmask8 m4 = _mm512_test_epi64_mask(ix, _mm512_set1_epi64(16));
    const __mmask8 m5 = _mm512_test_epi64_mask(ix, _mm512_set1_epi64(32));
    return (v8d)_mm512_mask_blend_pd(m5, _mm512_mask_blend_pd(m4, a, b),
                                     _mm512_mask_blend_pd(m4, c, d));
}
ZI_INLINE v8d zi_round_v8d(v8d a, v8d t) {
    (void)t;
    return (v8d)_mm512_roundscale_pd((__m512d)a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
ZI_DEFINE_EXP(zi_exp_v8d, v8d, v8di, v8du, zi_splat_v8d, zi_bits_v8d, zi_from_bits_v8d,
              zi_sel_v8d, zi_tab_v8d, zi_round_v8d)
ZI_DEFINE_LOG1P(zi_log1p_v8d, v8d, zi_splat_v8d, zi_sel_v8d, zi_bits_v8d, zi_from_bits_v8d)
ZI_DEFINE_LOSS(zi_loss_v8d, v8d, zi_splat_v8d, zi_sel_v8d, zi_exp_v8d, zi_log1p_v8d,
               zi_negabs_v8d)
ZI_DEFINE_EXPF(zi_exp_v16f, v16f, zi_splat_v16f, zi_bits_v16f, zi_from_bits_v16f, zi_sel_v16f)
ZI_DEFINE_LOG1PF(zi_log1p_v16f, v16f, zi_splat_v16f, zi_sel_v16f, zi_bits_v16f, zi_from_bits_v16f)
ZI_DEFINE_LOSS(zi_loss_v16f, v16f, zi_splat_v16f, zi_sel_v16f, zi_exp_v16f, zi_log1p_v16f,
               zi_negabs_v16f)
ZI_DEFINE_LOGISTIC_BLOCK(zi_loss_v8d_block, v8d, double, zi_splat_v8d, zi_sel_v8d, zi_log1p_v8d)
ZI_DEFINE_LOGISTIC_BLOCK(zi_loss_v16f_block, v16f, float, zi_splat_v16f, zi_sel_v16f, zi_log1p_v16f)
#endif

/* The native vectors of this build. Only speed depends on the choice; a lane
 * computes the same bits in any of them.
 *   ZI_VD / ZI_VF: the batched kernel's (zi_kern.h), the widest there is:
 *     AVX-512 (64 bytes), AVX (32) or SSE2 (16).
 *   ZI_SD / ZI_SF: one model's fast path (zi_single.h), at most 32 bytes:
 *     it spreads a 10-unit layer over its lanes, and 8 float64 lanes would
 *     pad it to 16 units where 4 pad it to 12. */
#ifdef __AVX__
#define ZI_SD(name) name##_v4d
#define ZI_SF(name) name##_v8f
#define ZI_SDL 4
#define ZI_SFL 8
typedef v4d zi_sd;
typedef v8f zi_sf;
#else
#define ZI_SD(name) name##_v2d
#define ZI_SF(name) name##_v4f
#define ZI_SDL 2
#define ZI_SFL 4
typedef v2d zi_sd;
typedef v4f zi_sf;
#endif
#ifdef __AVX512F__
#define ZI_VD(name) name##_v8d
#define ZI_VF(name) name##_v16f
#define ZI_VDL 8
#define ZI_VFL 16
typedef v8d zi_vd;
typedef v16f zi_vf;
#else
#define ZI_VD ZI_SD
#define ZI_VF ZI_SF
#define ZI_VDL ZI_SDL
#define ZI_VFL ZI_SFL
typedef zi_sd zi_vd;
typedef zi_sf zi_vf;
#endif

#endif
