/* The compiled core of zi-core in C: per-sample (or mini-batch) SGD for B
 * models of one architecture on one data set and one sample order.
 *
 * theta[p * B + b] holds parameter p of model b (model index innermost). A
 * block of lanes [b0, b0 + nb) is trained group by group: a group's
 * parameters are copied into a packed, aligned buffer (parameter-major, GL
 * lanes inner) that stays in L1 for the whole chunk, trained by one
 * instantiation of zi_kern.h, and copied back. One model alone takes the
 * scalar instantiation (GL = 1). Idle lanes of a short group have zero
 * parameters and zero learning rate; their results are discarded.
 *
 * Every instantiation runs the same sequence of IEEE operations per lane (see
 * zi_kern.h and zi_simd.h), so a model's bits depend neither on the group it
 * lands in nor on B, the thread count, or the instruction set.
 *
 * The functions here never fail except for memory (-1); the Cython wrappers
 * validate every argument first.
 */
#ifndef ZI_KERNEL_H
#define ZI_KERNEL_H

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "zi_simd.h"


enum { ZI_LOSS_PERCEPTRON = 0, ZI_LOSS_SQUARED = 1, ZI_LOSS_LOGISTIC = 2, ZI_LOSS_HINGE = 3 };
enum { ZI_SCHEDULE_CONSTANT = 0, ZI_SCHEDULE_INVSCALING = 1 };

typedef struct {
    Py_ssize_t L;              /* number of layers */
    Py_ssize_t B;              /* lane stride of theta (total models) */
    Py_ssize_t d;              /* features */
    Py_ssize_t P;              /* parameters per model */
    Py_ssize_t U;              /* units over all layers */
    const Py_ssize_t* sizes;   /* L + 1 widths, sizes[0] = d, sizes[L] = 1 */
    const Py_ssize_t* off_w;   /* L offsets of W_l in theta rows */
    const Py_ssize_t* off_b;   /* L offsets of b_l (unused without bias) */
    const Py_ssize_t* off_a;   /* L offsets of layer l's units in act/delta rows */
    int has_bias;
} zi_net;

#define ZI_ALIGN 64
#define ZI_LINES(bytes) (((bytes) + ZI_ALIGN - 1) / ZI_ALIGN * ZI_ALIGN)
/* Every unit sums its inputs in two halves, [0, ZI_HALF(n)) after the bias
 * and [ZI_HALF(n), n), then adds them (zi_kern.h): two chains of half the
 * length. */
#define ZI_HALF(n) (((n) + 1) / 2)
/* Loss values are computed in blocks of this many samples (zk_flush); the
 * engine's calls of part of an epoch are whole blocks (LOSS_BLOCK). */
#define ZI_KEEP 16

static void* zi_alloc(size_t bytes) {
    void* p = NULL;
    bytes = ZI_LINES(bytes);
    if (bytes == 0)
        bytes = ZI_ALIGN;
    if (posix_memalign(&p, ZI_ALIGN, bytes) != 0)
        return NULL;
    return p;
}

/* A call's scratch buffers, carved out of one allocation back to back
 * (sizes[i] bytes each, rounded up to whole cache lines; ptrs[i] receives
 * each): returns the allocation to free, or NULL. The group's working set
 * (packed parameters, activations, deltas, kept loss values) is then one
 * contiguous span, which spreads evenly over the L1 sets wherever the heap
 * puts it. Separate allocations land where the heap's history puts them and
 * can pile several buffers onto the same sets: S_mlp ran up to 10% slower in
 * a process that had loaded JAX. Under AddressSanitizer the bytes after each
 * buffer (to its line's end, and one more line) are poisoned, so an overrun
 * of one is still reported. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define ZI_GAP ZI_ALIGN
#else
#define ZI_GAP 0
#endif
static void* zi_arena(int n, const size_t* sizes, void** ptrs) {
    size_t total = 0, off = 0;
    char* base;
    int i;
    for (i = 0; i < n; i++)
        total += ZI_LINES(sizes[i]) + ZI_GAP;
    base = (char*)zi_alloc(total);
    for (i = 0; i < n; i++) {
        ptrs[i] = base ? base + off : NULL;
#if ZI_GAP
        if (base)
            ASAN_POISON_MEMORY_REGION(base + off + sizes[i], ZI_LINES(sizes[i]) - sizes[i] + ZI_GAP);
#endif
        off += ZI_LINES(sizes[i]) + ZI_GAP;
    }
    return base;
}

/* acc[0:ZI_VFL] += l, in double */
ZI_INLINE void zi_acc_vf(double* acc, zi_vf l) {
#if ZI_VFL == 16
    v8f lo, hi;
    memcpy(&lo, &l, 32);
    memcpy(&hi, (const char*)&l + 32, 32);
    *(v8d*)acc = *(v8d*)acc + __builtin_convertvector(lo, v8d);
    *(v8d*)(acc + 8) = *(v8d*)(acc + 8) + __builtin_convertvector(hi, v8d);
#elif ZI_VFL == 8
    v4f lo, hi;
    memcpy(&lo, &l, 16);
    memcpy(&hi, (const char*)&l + 16, 16);
    *(v4d*)acc = *(v4d*)acc + __builtin_convertvector(lo, v4d);
    *(v4d*)(acc + 4) = *(v4d*)(acc + 4) + __builtin_convertvector(hi, v4d);
#else
    int q;
    for (q = 0; q < ZI_VFL; q++)
        acc[q] = acc[q] + (double)l[q];
#endif
}

/* ------------------------------------------------------------ instantiations */

/* One model: scalar code. GCC would otherwise turn the in-order sums into
 * vector fold-left reductions (shuffles on the latency chain). */
#pragma GCC push_options
#pragma GCC optimize("no-tree-vectorize")

/* double, one model (scalar) */
#define ZT double
#define ZV double
#define ZVL 1
#define ZSPLAT zi_splat_d
#define ZRELU zi_relu_d
#define ZGATE zi_gate_d
#define ZMADD zi_madd_d
#define DV double
#define DVL 1
#define DSPLAT zi_splat_d
#define DLOSS zi_loss_d
#define DLOAD(p) (*(p))
#define DSTORE(p, g) (*(p) = (g))
#define DACC(p, l) (*(p) = *(p) + (l))
#define ZNV 1
#define ZSUF d1
#include "zi_kern.h"
#undef ZNV
#undef ZSUF
#undef ZT
#undef ZV
#undef ZVL
#undef ZSPLAT
#undef ZRELU
#undef ZGATE
#undef ZMADD
#undef DLOAD
#undef DSTORE

/* float, one model (scalar; loss in double) */
#define ZT float
#define ZV float
#define ZVL 1
#define ZSPLAT zi_splat_f
#define ZRELU zi_relu_f
#define ZGATE zi_gate_f
#define ZMADD zi_madd_f
#undef DV
#undef DSPLAT
#undef DLOSS
#define DV float
#define DSPLAT zi_splat_f
#define DLOSS zi_loss_f
#define DLOAD(p) (*(p))
#define DSTORE(p, g) (*(p) = (g))
#define ZNV 1
#define ZSUF f1
#include "zi_kern.h"
#undef ZNV
#undef ZSUF
#undef ZT
#undef ZV
#undef ZVL
#undef ZSPLAT
#undef ZRELU
#undef ZGATE
#undef ZMADD
#undef DV
#undef DVL
#undef DSPLAT
#undef DLOSS
#undef DLOAD
#undef DSTORE
#undef DACC
#pragma GCC pop_options

/* vectors */
#define DV zi_vd
#define DVL ZI_VDL
#define DSPLAT ZI_VD(zi_splat)
#define DLOSS ZI_VD(zi_loss)
#define DACC(p, l) (*(zi_vd*)(p) = *(zi_vd*)(p) + (l))

/* double lanes, ZI_VDL per vector */
#define ZT double
#define ZV zi_vd
#define ZVL ZI_VDL
#define ZSPLAT ZI_VD(zi_splat)
#define ZRELU ZI_VD(zi_relu)
#define ZGATE ZI_VD(zi_gate)
#define ZMADD ZI_VD(zi_madd)
#define DLOAD(p) (*(const zi_vd*)(p))
#define DSTORE(p, g) (*(zi_vd*)(p) = (g))
#define ZNV 1
#define ZSUF dv1
#include "zi_kern.h"
#undef ZNV
#undef ZSUF
#define ZNV 2
#define ZSUF dv2
#include "zi_kern.h"
#undef ZNV
#undef ZSUF
#define ZNV 4
#define ZSUF dv4
#include "zi_kern.h"
#undef ZNV
#undef ZSUF
#undef ZT
#undef ZV
#undef ZVL
#undef ZSPLAT
#undef ZRELU
#undef ZGATE
#undef ZMADD
#undef DLOAD
#undef DSTORE

/* float lanes, ZI_VFL per vector */
#define ZT float
#define ZV zi_vf
#define ZVL ZI_VFL
#define ZSPLAT ZI_VF(zi_splat)
#define ZRELU ZI_VF(zi_relu)
#define ZGATE ZI_VF(zi_gate)
#define ZMADD ZI_VF(zi_madd)
#undef DV
#undef DVL
#undef DSPLAT
#undef DLOSS
#undef DACC
#define DV zi_vf
#define DVL ZI_VFL
#define DSPLAT ZI_VF(zi_splat)
#define DLOSS ZI_VF(zi_loss)
#define DLOAD(p) (*(const zi_vf*)(p))
#define DSTORE(p, g) (*(zi_vf*)(p) = (g))
#define DACC(p, l) zi_acc_vf((p), (l))
#define ZNV 1
#define ZSUF fv1
#include "zi_kern.h"
#undef ZNV
#undef ZSUF
#define ZNV 2
#define ZSUF fv2
#include "zi_kern.h"
#undef ZNV
#undef ZSUF
#define ZNV 4
#define ZSUF fv4
#include "zi_kern.h"
#undef ZNV
#undef ZSUF
#undef ZT
#undef ZV
#undef ZVL
#undef ZSPLAT
#undef ZRELU
#undef ZGATE
#undef ZMADD
#undef DLOAD
#undef DSTORE

/* one model, L <= 2, per-sample: zi_single.h */
#define ZT double
#define ZV zi_sd
#define ZVL ZI_SDL
#define ZSPLAT ZI_SD(zi_splat)
#define ZRELU ZI_SD(zi_relu)
#define ZGATE ZI_SD(zi_gate)
#define ZMADD ZI_SD(zi_madd)
#define ZLOSS zi_loss_d
#define ZVLOSS ZI_SD(zi_loss)
#define ZSUF d
#include "zi_single.h"
#undef ZLOSS
#undef ZVLOSS
#undef ZT
#undef ZV
#undef ZVL
#undef ZSPLAT
#undef ZRELU
#undef ZGATE
#undef ZMADD
#undef ZSUF
#define ZT float
#define ZV zi_sf
#define ZVL ZI_SFL
#define ZSPLAT ZI_SF(zi_splat)
#define ZRELU ZI_SF(zi_relu)
#define ZGATE ZI_SF(zi_gate)
#define ZMADD ZI_SF(zi_madd)
#define ZLOSS zi_loss_f
#define ZVLOSS ZI_SF(zi_loss)
#define ZSUF f
#include "zi_single.h"
#undef ZLOSS
#undef ZVLOSS
#undef ZT
#undef ZV
#undef ZVL
#undef ZSPLAT
#undef ZRELU
#undef ZGATE
#undef ZMADD
#undef ZSUF

/* ------------------------------------------------------------ block drivers */

/* Lanes per group for `rem` lanes left: 1 alone, else the smallest vector
 * group that holds them, at most the largest. */
static Py_ssize_t zi_group_lanes(Py_ssize_t rem, Py_ssize_t vl) {
    if (rem == 1)
        return 1;
    if (rem <= vl)
        return vl;
    if (rem <= 2 * vl)
        return 2 * vl;
    return 4 * vl;
}

/* The group at lane g0 of a block ending at `end`: its width in *G, and how
 * many of its lanes are real (the rest are padding). */
static Py_ssize_t zi_next_group(Py_ssize_t g0, Py_ssize_t end, Py_ssize_t vl, Py_ssize_t* G) {
    const Py_ssize_t gn = end - g0;
    *G = zi_group_lanes(gn, vl);
    return gn > *G ? *G : gn;
}

/* The per-model sums of lanes [g0, g0 + gn) into acc (loss) and acc + G
 * (counts), padding zeroed; and back. */
static void zi_sums_in(double* acc, Py_ssize_t G, Py_ssize_t gn, const double* loss_sum,
                       const double* n_correct) {
    Py_ssize_t k;
    for (k = 0; k < G; k++) {
        acc[k] = k < gn ? loss_sum[k] : 0;
        acc[G + k] = k < gn ? n_correct[k] : 0;
    }
}

static void zi_sums_out(const double* acc, Py_ssize_t G, Py_ssize_t gn, double* loss_sum,
                        double* n_correct) {
    Py_ssize_t k;
    for (k = 0; k < gn; k++) {
        loss_sum[k] = acc[k];
        n_correct[k] = acc[G + k];
    }
}

/* Copy lanes [g0, g0 + gn) of theta (P rows of stride B) into the packed
 * group buffer tl (P rows of G lanes, padding zeroed), and back. */
#define ZI_DEFINE_PACK(T, SUF)                                                                     \
    static void zi_pack_##SUF(const T* theta, Py_ssize_t B, Py_ssize_t P, Py_ssize_t g0,           \
                              Py_ssize_t gn, Py_ssize_t G, T* tl) {                                \
        Py_ssize_t p, k;                                                                           \
        for (p = 0; p < P; p++)                                                                    \
            for (k = 0; k < G; k++)                                                                \
                tl[p * G + k] = k < gn ? theta[p * B + g0 + k] : 0;                                \
    }                                                                                              \
    static void zi_unpack_##SUF(const T* tl, Py_ssize_t B, Py_ssize_t P, Py_ssize_t g0,            \
                                Py_ssize_t gn, Py_ssize_t G, T* theta) {                           \
        Py_ssize_t p, k;                                                                           \
        for (p = 0; p < P; p++)                                                                    \
            for (k = 0; k < gn; k++)                                                               \
                theta[p * B + g0 + k] = tl[p * G + k];                                             \
    }
ZI_DEFINE_PACK(double, d)
ZI_DEFINE_PACK(float, f)

/* FN's instantiation for a group of G lanes (1, VL, 2 VL or 4 VL: suffixes
 * G1, GA, GB, GC), called with the remaining arguments. */
#define ZI_BY_GROUP(G, VL, FN, G1, GA, GB, GC, ...)                                                \
    ((G) == 1            ? FN##_##G1(__VA_ARGS__)                                                  \
     : (G) == (VL)       ? FN##_##GA(__VA_ARGS__)                                                  \
     : (G) == 2 * (VL)   ? FN##_##GB(__VA_ARGS__)                                                  \
                         : FN##_##GC(__VA_ARGS__))

#define ZI_DEFINE_BLOCK(T, SUF, VL, G1, GA, GB, GC)                                                \
    static int zi_train_block_##SUF(const zi_net* net, const T* X, const T* y,                     \
                                    const Py_ssize_t* order, Py_ssize_t n_order, T* theta,         \
                                    Py_ssize_t b0, Py_ssize_t nb, int loss,                        \
                                    Py_ssize_t batch_size, const T* lr, int schedule,              \
                                    double power_t, long long t0, double* loss_sum,                \
                                    double* n_correct) {                                           \
        const Py_ssize_t P = net->P, U = net->U, GM = 4 * (VL);                                    \
        const size_t sizes[8] = {sizeof(T) * P * GM, sizeof(T) * U * GM, sizeof(T) * U * GM,       \
                                 sizeof(T) * U * GM, sizeof(T) * 2 * GM, sizeof(double) * 2 * GM,  \
                                 sizeof(T) * 2 * ZI_KEEP * GM,                                     \
                                 batch_size > 1 ? sizeof(T) * P * GM : 0};                         \
        void* buf[8];                                                                              \
        void* const arena = zi_arena(8, sizes, buf);                                               \
        T *const tl = (T*)buf[0], *const act0 = (T*)buf[1], *const act1 = (T*)buf[2];              \
        T *const delta = (T*)buf[3], *const eta = (T*)buf[4], *const keep = (T*)buf[6];            \
        double* const acc = (double*)buf[5];                                                       \
        T* const grad = batch_size > 1 ? (T*)buf[7] : NULL;                                        \
        T* lr_l;                                                                                   \
        Py_ssize_t g0, gn, G, k;                                                                   \
        if (!arena)                                                                                \
            return -1;                                                                             \
        lr_l = eta + GM;                                                                           \
        memset(act0, 0, sizeof(T) * U * GM);                                                       \
        memset(act1, 0, sizeof(T) * U * GM);                                                       \
        memset(delta, 0, sizeof(T) * U * GM);                                                      \
        for (g0 = b0; g0 < b0 + nb; g0 += gn) {                                                    \
            gn = zi_next_group(g0, b0 + nb, VL, &G);                                               \
            if (G == 1 && batch_size == 1 && net->L <= 2) {                                        \
                const int rc = (net->L == 1 ? zs_train_l1_##SUF : zs_train_l2_##SUF)(              \
                    net, X, y, order, n_order, theta + g0, net->B, loss, lr[g0], schedule,         \
                    power_t, t0, loss_sum + g0, n_correct + g0);                                   \
                if (rc != 0) {                                                                     \
                    free(arena);                                                                   \
                    return -1;                                                                     \
                }                                                                                  \
                continue;                                                                          \
            }                                                                                      \
            zi_pack_##SUF(theta, net->B, P, g0, gn, G, tl);                                        \
            zi_sums_in(acc, G, gn, loss_sum + g0, n_correct + g0);                                 \
            for (k = 0; k < G; k++)                                                                \
                lr_l[k] = k < gn ? lr[g0 + k] : 0;                                                 \
            ZI_BY_GROUP(G, VL, zk_train, G1, GA, GB, GC, net, X, y, order, n_order, tl, loss,      \
                        batch_size, lr_l, schedule, power_t, t0, acc, acc + G, act0, act1,         \
                        delta, eta, keep, grad);                                                   \
            zi_unpack_##SUF(tl, net->B, P, g0, gn, G, theta);                                      \
            zi_sums_out(acc, G, gn, loss_sum + g0, n_correct + g0);                                \
        }                                                                                          \
        free(arena);                                                                               \
        return 0;                                                                                  \
    }                                                                                              \
                                                                                                   \
    static int zi_forward_block_##SUF(const zi_net* net, const T* X, Py_ssize_t n,                 \
                                      const T* theta, Py_ssize_t b0, Py_ssize_t nb, T* z) {        \
        const Py_ssize_t P = net->P, GM = 4 * (VL);                                                \
        const size_t sizes[2] = {sizeof(T) * P * GM, sizeof(T) * net->U * GM};                     \
        void* buf[2];                                                                              \
        void* const arena = zi_arena(2, sizes, buf);                                               \
        T *const tl = (T*)buf[0], *const act = (T*)buf[1];                                         \
        Py_ssize_t g0, gn, G;                                                                      \
        if (!arena)                                                                                \
            return -1;                                                                             \
        for (g0 = b0; g0 < b0 + nb; g0 += gn) {                                                    \
            gn = zi_next_group(g0, b0 + nb, VL, &G);                                               \
            zi_pack_##SUF(theta, net->B, P, g0, gn, G, tl);                                        \
            ZI_BY_GROUP(G, VL, zk_outputs, G1, GA, GB, GC, net, X, n, tl, act, z + g0, net->B,    \
                        gn);                                                                       \
        }                                                                                          \
        free(arena);                                                                               \
        return 0;                                                                                  \
    }

/* Loss sums and correct counts of lanes [b0, b0 + nb) on the n rows of X,
 * added to loss_sum[b] and n_correct[b] (zk_evaluate). */
#define ZI_DEFINE_EVALUATE(T, SUF, VL, G1, GA, GB, GC)                                             \
    /* one model: its rows in the lanes of the widest group (zk_evaluate_rows) */                  \
    static int zi_evaluate_one_##SUF(const zi_net* net, int loss, const T* X, const T* y,          \
                                     Py_ssize_t n, const T* theta, Py_ssize_t b0,                  \
                                     double* loss_sum, double* n_correct) {                        \
        const size_t sizes[2] = {sizeof(T) * net->P,                                               \
                                 sizeof(T) * (net->d + net->U + 5) * 4 * (VL)};                    \
        void* buf[2];                                                                              \
        void* const arena = zi_arena(2, sizes, buf);                                               \
        if (!arena)                                                                                \
            return -1;                                                                             \
        zi_pack_##SUF(theta, net->B, net->P, b0, 1, 1, (T*)buf[0]);                                \
        zk_evaluate_rows_##GC(net, loss, X, y, n, (T*)buf[0], (T*)buf[1], loss_sum + b0,           \
                              n_correct + b0);                                                     \
        free(arena);                                                                               \
        return 0;                                                                                  \
    }                                                                                              \
    static int zi_evaluate_block_##SUF(const zi_net* net, int loss, const T* X, const T* y,        \
                                       Py_ssize_t n, const T* theta, Py_ssize_t b0,                \
                                       Py_ssize_t nb, double* loss_sum, double* n_correct) {       \
        const Py_ssize_t P = net->P, GM = 4 * (VL);                                                \
        const size_t sizes[5] = {sizeof(T) * P * GM, sizeof(T) * net->U * GM, sizeof(T) * GM,      \
                                 sizeof(T) * 2 * ZI_KEEP * GM, sizeof(double) * 2 * GM};           \
        void* buf[5];                                                                              \
        void* arena;                                                                               \
        T *tl, *act, *dout, *keep;                                                                 \
        double* acc;                                                                               \
        Py_ssize_t g0, gn, G;                                                                      \
        if (nb == 1)                                                                               \
            return zi_evaluate_one_##SUF(net, loss, X, y, n, theta, b0, loss_sum, n_correct);      \
        arena = zi_arena(5, sizes, buf);                                                           \
        if (!arena)                                                                                \
            return -1;                                                                             \
        tl = (T*)buf[0]; act = (T*)buf[1]; dout = (T*)buf[2]; keep = (T*)buf[3];                   \
        acc = (double*)buf[4];                                                                     \
        for (g0 = b0; g0 < b0 + nb; g0 += gn) {                                                    \
            gn = zi_next_group(g0, b0 + nb, VL, &G);                                               \
            zi_pack_##SUF(theta, net->B, P, g0, gn, G, tl);                                        \
            zi_sums_in(acc, G, gn, loss_sum + g0, n_correct + g0);                                 \
            ZI_BY_GROUP(G, VL, zk_evaluate, G1, GA, GB, GC, net, loss, X, y, n, tl, act, dout,     \
                        keep, acc, acc + G);                                                       \
            zi_sums_out(acc, G, gn, loss_sum + g0, n_correct + g0);                                \
        }                                                                                          \
        free(arena);                                                                               \
        return 0;                                                                                  \
    }

ZI_DEFINE_BLOCK(double, d, ZI_VDL, d1, dv1, dv2, dv4)
ZI_DEFINE_BLOCK(float, f, ZI_VFL, f1, fv1, fv2, fv4)
ZI_DEFINE_EVALUATE(double, d, ZI_VDL, d1, dv1, dv2, dv4)
ZI_DEFINE_EVALUATE(float, f, ZI_VFL, f1, fv1, fv2, fv4)

#endif
