/* The machine's FLOP peak: a register-resident FMA loop.
 *
 * Compiled and run by bench/compare.py:
 *     gcc -O2 -mavx2 -mfma [-mavx512f] [-fopenmp] fma_peak.c -o fma_peak && ./fma_peak ITER
 * with -mavx512f where the CPU has AVX-512 (its peak is twice AVX2's on a core
 * with two 512-bit FMA units, as Sapphire Rapids has). Each thread keeps 12
 * independent accumulators (enough to cover the FMA latency on both FMA pipes
 * of a Zen 3 / Skylake core) and runs acc = acc * m + c on them ITER times:
 * 12 FMAs x 4 (AVX-512: 8) doubles x 2 flops a loop.
 * Prints "threads f64_gflops f32_gflops" (best of 5 runs each, all threads
 * running together; one thread when built without OpenMP).
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* The widest vectors the build targets: AVX-512 (-mavx512f) or AVX2. */
#ifdef __AVX512F__
typedef __m512d VD;
typedef __m512 VF;
#define LANES_D 8
#define SET1_PD _mm512_set1_pd
#define SET1_PS _mm512_set1_ps
#define FMA_PD _mm512_fmadd_pd
#define FMA_PS _mm512_fmadd_ps
#define ADD_PD _mm512_add_pd
#define ADD_PS _mm512_add_ps
#define STORE_PD _mm512_storeu_pd
#define STORE_PS _mm512_storeu_ps
#else
typedef __m256d VD;
typedef __m256 VF;
#define LANES_D 4
#define SET1_PD _mm256_set1_pd
#define SET1_PS _mm256_set1_ps
#define FMA_PD _mm256_fmadd_pd
#define FMA_PS _mm256_fmadd_ps
#define ADD_PD _mm256_add_pd
#define ADD_PS _mm256_add_ps
#define STORE_PD _mm256_storeu_pd
#define STORE_PS _mm256_storeu_ps
#endif

/* run_f64 / run_f32: 12 accumulators, acc = acc * m + c, ITER times; returns
 * their sum (kept alive by the caller). */
#define DEFINE_RUN(NAME, V, T, LANES, SET1, FMA, ADD, STORE, M, C)                    \
    static double NAME(long iters) {                                                   \
        V m = SET1((T)(M)), c = SET1((T)(C));                                          \
        V a0 = SET1((T)1.0), a1 = SET1((T)1.1), a2 = SET1((T)1.2), a3 = SET1((T)1.3), \
          a4 = SET1((T)1.4), a5 = SET1((T)1.5), a6 = SET1((T)1.6), a7 = SET1((T)1.7), \
          a8 = SET1((T)1.8), a9 = SET1((T)1.9), a10 = SET1((T)2.0), a11 = SET1((T)2.1); \
        for (long i = 0; i < iters; i++) {                                             \
            a0 = FMA(a0, m, c); a1 = FMA(a1, m, c); a2 = FMA(a2, m, c);                \
            a3 = FMA(a3, m, c); a4 = FMA(a4, m, c); a5 = FMA(a5, m, c);                \
            a6 = FMA(a6, m, c); a7 = FMA(a7, m, c); a8 = FMA(a8, m, c);                \
            a9 = FMA(a9, m, c); a10 = FMA(a10, m, c); a11 = FMA(a11, m, c);            \
        }                                                                              \
        V s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));       \
        s = ADD(s, ADD(ADD(a8, a9), ADD(a10, a11)));                                   \
        T out[LANES];                                                                  \
        double sum = 0.0;                                                              \
        STORE(out, s);                                                                 \
        for (int k = 0; k < LANES; k++) sum += out[k];                                 \
        return sum;                                                                    \
    }
DEFINE_RUN(run_f64, VD, double, LANES_D, SET1_PD, FMA_PD, ADD_PD, STORE_PD, 0.999999, 1e-6)
DEFINE_RUN(run_f32, VF, float, 2 * LANES_D, SET1_PS, FMA_PS, ADD_PS, STORE_PS, 0.9999f, 1e-4f)

/* Best GFLOP/s over 5 runs with every thread running the loop at once. */
static double best_gflops(int f32, long iters, int *threads_out) {
    double best = 0.0, sink = 0.0;
    int threads = 1;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
#ifdef _OPENMP
#pragma omp parallel reduction(+ : sink)
        {
#pragma omp single
            threads = omp_get_num_threads();
            sink += f32 ? run_f32(iters) : run_f64(iters);
        }
#else
        sink += f32 ? run_f32(iters) : run_f64(iters);
#endif
        double dt = now() - t0;
        double flops = (double)threads * iters * 12.0 * (f32 ? 2 * LANES_D : LANES_D) * 2.0;
        if (flops / dt / 1e9 > best) best = flops / dt / 1e9;
    }
    if (sink == 12345.678) printf("#");  /* keep the result alive */
    *threads_out = threads;
    return best;
}

int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : 50000000L;
    int t64 = 1, t32 = 1;
    double g64 = best_gflops(0, iters, &t64);
    double g32 = best_gflops(1, iters, &t32);
    printf("%d %.3f %.3f\n", t64, g64, g32);
    return 0;
}
