/* What bounds S_mlp's layer-0 loop on this CPU: the fused update-and-forward
 * loop of zi_kern.h (10 inputs, 10 units, 4 vectors of 8 float64 lanes, each
 * unit's sum in two halves) alone, in cycles per weight vector, with parts of
 * its work taken out. A timing probe: the results are not used.
 *
 *   gcc -O3 -march=native -ffp-contract=off -DMODE=0 bench/layer0_probe.c -o /tmp/probe && /tmp/probe
 *
 * MODE 0 as the kernel: w + ns*x (multiply, add with the load), store, FMA
 *      1 fused update: FMA, store, FMA (other bits than the kernel's)
 *      2 without the store      3 the update alone (no FMA)
 *      4 the forward FMA alone  5 the three FP operations on registers only
 *      6 as 0, each input's broadcasts made once a sample and kept in
 *        registers (blocks of 2 vectors, so they fit in the 32 registers)
 * Cycles are counted against an FMA loop timed in the same run (2 a cycle).
 * Needs AVX-512F; -DYMM (with -mavx2 -mfma) probes the avx2 build's loop, 4
 * vectors of 4 lanes. Read the clock it prints: where AVX-512 runs at half
 * width (AMD Zen 4) the 512-bit FMA loop does 1 a cycle, and the clock comes
 * out halved. Measured in bench/README.md (ninth and eleventh rounds).
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef MODE
#define MODE 0
#endif
#define NIN 10
#define NOUT 10
#define NVT 4 /* vectors of a group */
#if MODE == 6
#define NV 2  /* vectors of a register block */
#else
#define NV 4
#endif

#ifdef YMM /* AVX2: 4 lanes a vector, as the avx2 build */
typedef double v8d __attribute__((vector_size(32)));
#define VBYTES 32
#define VD __m256d
#define FMA(a, b, c) ((v8d)_mm256_fmadd_pd((VD)(a), (VD)(b), (VD)(c)))
#define SPLAT(x) ((v8d)_mm256_set1_pd(x))
#define RELU(a) ((v8d)_mm256_max_pd((VD)(a), _mm256_setzero_pd()))
#else
typedef double v8d __attribute__((vector_size(64)));
#define VBYTES 64
#define VD __m512d
#define FMA(a, b, c) ((v8d)_mm512_fmadd_pd((VD)(a), (VD)(b), (VD)(c)))
#define SPLAT(x) ((v8d)_mm512_set1_pd(x))
#define RELU(a) ((v8d)_mm512_max_pd((VD)(a), _mm512_setzero_pd()))
#endif

#if MODE == 0 || MODE == 6
#define BODY(A) { v8d wn = w[i * NVT + v] + ns[v] * xo; w[i * NVT + v] = wn; A[v] = FMA(wn, xn, A[v]); }
#elif MODE == 1
#define BODY(A) { v8d wn = FMA(ns[v], xo, w[i * NVT + v]); w[i * NVT + v] = wn; A[v] = FMA(wn, xn, A[v]); }
#elif MODE == 2
#define BODY(A) { v8d wn = w[i * NVT + v] + ns[v] * xo; A[v] = FMA(wn, xn, A[v]); }
#elif MODE == 3
#define BODY(A) { v8d wn = w[i * NVT + v] + ns[v] * xo; w[i * NVT + v] = wn; }
#elif MODE == 4
#define BODY(A) { A[v] = FMA(w[i * NVT + v], xn, A[v]); }
#elif MODE == 5
#define BODY(A) { v8d wn = ns[v] + ns[v] * xo; A[v] = FMA(wn, xn, A[v]); }
#endif

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

__attribute__((noinline)) static void layer0(v8d* restrict w0, const double* restrict xc,
                                             const double* restrict xnx, const v8d* restrict nsa,
                                             v8d* restrict out) {
#if MODE == 6
    v8d XO[NIN], XN[NIN];
    for (int i = 0; i < NIN; i++) {
        XO[i] = SPLAT(xc[i]);
        XN[i] = SPLAT(xnx[i]);
    }
#endif
    for (int j = 0; j < NOUT; j++) {
        for (int vb = 0; vb < NVT; vb += NV) {
            v8d* w = w0 + j * NIN * NVT + vb;
            const double *xc_ = xc, *xn_ = xnx;
            /* opaque per unit, as in the kernel (no hoisting across units) */
            __asm__("" : "+r"(w), "+r"(xc_), "+r"(xn_));
            v8d ns[NV], acc[NV], acc2[NV];
            for (int v = 0; v < NV; v++) {
                ns[v] = nsa[j * NVT + vb + v];
                acc[v] = ns[v];
                acc2[v] = SPLAT(0);
            }
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) { /* the two halves of the sum, as the kernel */
                v8d* A = h ? acc2 : acc;
                (void)A;
#pragma GCC unroll 5
                for (int i = 5 * h; i < 5 * h + 5; i++) {
#if MODE == 6
                    const v8d xo = XO[i], xn = XN[i];
#else
                    const v8d xo = SPLAT(xc_[i]), xn = SPLAT(xn_[i]);
#endif
                    (void)xo; (void)xn;
                    for (int v = 0; v < NV; v++) BODY(A)
                }
            }
            for (int v = 0; v < NV; v++)
                out[j * NVT + vb + v] = RELU(acc[v] + acc2[v]);
        }
    }
}

__attribute__((noinline)) static double fma_loop(long n) {
    v8d a[12];
    const v8d b = SPLAT(0.999999), c = SPLAT(1e-12);
    double s = 0;
    for (int k = 0; k < 12; k++) a[k] = SPLAT(k * 1e-9);
    for (long i = 0; i < n; i++)
        for (int k = 0; k < 12; k++) a[k] = FMA(a[k], b, c);
    for (int k = 0; k < 12; k++) s += a[k][0];
    return s;
}

int main(void) {
    const int S = 2000; /* samples, as S_mlp */
    const long F = 1000000;
    v8d* w = aligned_alloc(VBYTES, sizeof(v8d) * NOUT * NIN * NVT);
    v8d* ns = aligned_alloc(VBYTES, sizeof(v8d) * NOUT * NVT);
    v8d* out = aligned_alloc(VBYTES, sizeof(v8d) * NOUT * NVT);
    double* X = malloc(sizeof(double) * (S + 1) * NIN);
    double best = 1e9, bestf = 1e9;
    volatile double sink;
    for (int i = 0; i < NOUT * NIN * NVT; i++) w[i] = SPLAT(0.01 * (i % 13));
    for (int i = 0; i < NOUT * NVT; i++) ns[i] = SPLAT(-1e-6);
    for (int i = 0; i < (S + 1) * NIN; i++) X[i] = (i % 7) * 0.1;
    for (int r = 0; r < 15; r++) {
        double t = now();
        for (int s = 0; s < S; s++) layer0(w, X + s * NIN, X + (s + 1) * NIN, ns, out);
        t = now() - t;
        best = t < best ? t : best;
        t = now();
        sink = fma_loop(F);
        t = now() - t;
        bestf = t < bestf ? t : bestf;
    }
    (void)sink;
    {
        const double cycle = bestf / (F * 12 / 2.0);
        printf("MODE %d: %.2f cycles per weight vector (clock %.2f GHz by the FMA loop)\n", MODE,
               best / ((double)S * NOUT * NIN * NVT) / cycle, 1 / cycle / 1e9);
    }
    free(w); free(ns); free(out); free(X);
    return 0;
}
