/* One instantiation of the group kernel: SGD for a group of GL = ZVL * ZNV
 * models held in a packed buffer tl[p * GL + k] (parameter p of lane k).
 *
 * Included by zi_kernel.h once per (element type, vector type, vectors per
 * group); the includer defines:
 *   ZT     element type (double or float)       ZV    vector of ZVL ZT (or ZT)
 *   ZVL    lanes per vector                     ZNV   vectors per group
 *   ZSUF   name suffix                          ZSPLAT, ZRELU, ZGATE, ZMADD  helpers
 *   DV, DVL, DSPLAT, DLOSS, DLOAD, DSTORE, DACC: the vector (or scalar) of ZT
 *          the loss is computed in, DVL lanes at a time; DACC adds it to the
 *          double accumulators.
 *
 * Operation order (the same for every lane, unit, vector width and group
 * size, so results never depend on them):
 *   forward   two halves, m = ZI_HALF(n_in) = ceil(n_in / 2):
 *             a_j = b_j (or 0); a_j = a_j + w_ji * h_i for i = 0 .. m-1;
 *             c_j = 0; c_j = c_j + w_ji * h_i for i = m .. n_in-1;
 *             z_j = a_j + c_j; relu (two chains of half the length: the
 *             latency of one model's step is this sum). A hidden unit's
 *             a_j + w_ji * h_i is one ZMADD (fused where the build has FMA);
 *             the output unit's is a multiply and an add (its sum is the
 *             latency chain of one model alone, and an FMA is slower on a
 *             chain than an add whose multiply went ahead).
 *             Fused hidden sums: S_mlp 7-9% faster on Intel (AVX2, AVX-512),
 *             0-5% on AMD Zen 3.
 *   backward  d_i = 0; d_i = d_i + w_ji * d_j for j = 0, 1, ...; gate by h_i > 0
 *   update    s_j = eta * d_j; w_ji = w_ji - s_j * h_i; b_j = b_j - s_j
 *             (computed as w_ji + (-eta d_j) h_i, which is the same bits:
 *             negation is exact and a - b is a + (-b) in IEEE arithmetic).
 *             Into a hidden unit, w_ji + (-eta d_j) h_i is one ZMADD in the
 *             avx512 build (ZI_FMA_UPDATE: S_mlp 5-6% faster on Intel), a
 *             multiply and an add in the others (fused, it was 12-18% slower
 *             on AMD Zen 3, whose adders are pipes of their own).
 * The update of one sample is fused with the forward pass of the next: each
 * weight is loaded once, updated, stored, and used for the next sample.
 * Losses and gradients are computed in ZT (float32 runs entirely in single
 * precision); loss sums and correct counts accumulate in double. Loss values
 * are computed up to ZI_KEEP samples late (zk_flush), off the chain from one
 * sample to the next, and still added in sample order; in training, the
 * logistic loss of each block of ZI_KEEP samples is one value (one log1p for
 * the block, ZI_DEFINE_LOGISTIC_BLOCK), so a call's loss sum depends on where
 * its blocks start: the engine cuts epochs into calls of whole blocks.
 */

#define ZCAT2(a, b) a##_##b
#define ZCAT(a, b) ZCAT2(a, b)
#define ZFN(name) ZCAT(name, ZSUF)
#define ZGL (ZVL * ZNV)
#define DLOSSV ZCAT(DLOSS, value)
/* acc + a * b: fused in a hidden unit's sum (hid), not in the output's */
#define ZSUM(hid, acc, a, b) ((hid) ? ZMADD((a), (b), (acc)) : (acc) + (a) * (b))
/* w + s * h, the update of a weight: fused into a hidden unit where the build
 * fuses updates (ZI_FMA_UPDATE, zi_simd.h) */
#define ZUPD(hid, w, s, h) ((ZI_FMA_UPDATE && (hid)) ? ZMADD((s), (h), (w)) : (w) + (s) * (h))
/* the input loops of the fused update run a few times a unit (n_in / 2):
 * unrolled, a sample takes 3% fewer instructions (loop counters) */
#ifndef ZI_UNROLL4
#define ZI_UNROLL4 _Pragma("GCC unroll 4")
#endif
/* vectors kept in registers at once in the inner loops */
#if ZNV < 4
#define ZNB ZNV
#else
#define ZNB 4
#endif

/* Forward pass of one sample: act[(off_a[l] + j) * GL + k]. */
ZI_INLINE void ZFN(zk_forward)(const zi_net* net, const ZT* restrict xs,
                               const ZT* restrict tl, ZT* restrict act) {
    Py_ssize_t li, j, i, vb, v;
    for (li = 0; li < net->L; li++) {
        const Py_ssize_t n_in = net->sizes[li], n_out = net->sizes[li + 1];
        const Py_ssize_t half = ZI_HALF(n_in);
        const int hidden = li < net->L - 1;
        const ZV* hin = (const ZV*)(act + (li > 0 ? net->off_a[li - 1] : 0) * ZGL);
        for (j = 0; j < n_out; j++) {
            const ZV* w = (const ZV*)(tl + (net->off_w[li] + j * n_in) * ZGL);
            const ZV* b = (const ZV*)(tl + (net->off_b[li] + j) * ZGL);
            ZV* o = (ZV*)(act + (net->off_a[li] + j) * ZGL);
            for (vb = 0; vb < ZNV; vb += ZNB) {
                ZV acc[ZNB], acc2[ZNB];
                for (v = 0; v < ZNB; v++) {
                    acc[v] = net->has_bias ? b[vb + v] : ZSPLAT(0);
                    acc2[v] = ZSPLAT(0);
                }
                if (li == 0) {
                    for (i = 0; i < half; i++) {
                        const ZV x = ZSPLAT(xs[i]);
                        for (v = 0; v < ZNB; v++)
                            acc[v] = ZSUM(hidden, acc[v], w[i * ZNV + vb + v], x);
                    }
                    for (i = half; i < n_in; i++) {
                        const ZV x = ZSPLAT(xs[i]);
                        for (v = 0; v < ZNB; v++)
                            acc2[v] = ZSUM(hidden, acc2[v], w[i * ZNV + vb + v], x);
                    }
                } else {
                    for (i = 0; i < half; i++)
                        for (v = 0; v < ZNB; v++)
                            acc[v] = ZSUM(hidden, acc[v], w[i * ZNV + vb + v], hin[i * ZNV + vb + v]);
                    for (i = half; i < n_in; i++)
                        for (v = 0; v < ZNB; v++)
                            acc2[v] = ZSUM(hidden, acc2[v], w[i * ZNV + vb + v], hin[i * ZNV + vb + v]);
                }
                for (v = 0; v < ZNB; v++) {
                    const ZV a = acc[v] + acc2[v];
                    o[vb + v] = hidden ? ZRELU(a) : a;
                }
            }
        }
    }
}

/* Correct count and d loss / d z of the output lanes (computed in ZT); what
 * the loss value needs is kept in k1/k2 (GL lanes each) for zk_flush. */
ZI_INLINE void ZFN(zk_loss)(int loss, const ZT* restrict out, double yy, ZT* restrict dout,
                            double* restrict cacc, ZT* restrict k1, ZT* restrict k2) {
    Py_ssize_t c;
    const DV y = DSPLAT((ZT)yy);
    /* correct when (z >= 0) == (y > 0); no branch on the label */
    const double ypos = (double)(yy > 0);
    const DV cpos = DSPLAT(ypos), cneg = DSPLAT(1.0 - ypos);
    for (c = 0; c < ZGL; c += DVL) {
        DV g, corr, a, b;
        DLOSS(loss, DLOAD(out + c), y, cpos, cneg, &g, &corr, &a, &b);
        DACC(cacc + c, corr);   /* counts stay in double */
        DSTORE(dout + c, g);
        DSTORE(k1 + c, a);
        DSTORE(k2 + c, b);
    }
}

/* lacc += the loss values of n kept samples, in sample order (in double); in
 * training (blocks), the logistic loss's as one value for the n
 * (ZI_DEFINE_LOGISTIC_BLOCK: one log1p, not n). */
ZI_INLINE void ZFN(zk_flush)(int loss, int blocks, Py_ssize_t n, const ZT* restrict k1,
                          const ZT* restrict k2, double* restrict lacc) {
    Py_ssize_t q, c;
    if (blocks && loss == ZI_LOSS_LOGISTIC) {
        for (c = 0; c < ZGL; c += DVL)
            DACC(lacc + c, ZCAT(DLOSS, block)(n, k1 + c, k2 + c, ZGL));
        return;
    }
    for (q = 0; q < n; q++)
        for (c = 0; c < ZGL; c += DVL)
            DACC(lacc + c, DLOSSV(loss, DLOAD(k1 + q * ZGL + c), DLOAD(k2 + q * ZGL + c)));
}

/* zk_loss with the loss values kept in slot *nk of keep (ZI_KEEP slots of k1,
 * then of k2); a full block is added to lacc. zk_flush_kept adds what is left. */
ZI_INLINE void ZFN(zk_loss_kept)(int loss, int blocks, const ZT* restrict out, double yy,
                                 ZT* restrict dout, double* restrict lacc, double* restrict cacc,
                                 ZT* restrict keep, Py_ssize_t* nk) {
    ZFN(zk_loss)(loss, out, yy, dout, cacc, keep + *nk * ZGL, keep + (ZI_KEEP + *nk) * ZGL);
    if (++*nk == ZI_KEEP) {
        ZFN(zk_flush)(loss, blocks, *nk, keep, keep + ZI_KEEP * ZGL, lacc);
        *nk = 0;
    }
}

ZI_INLINE void ZFN(zk_flush_kept)(int loss, int blocks, const ZT* restrict keep, Py_ssize_t nk,
                                  double* restrict lacc) {
    ZFN(zk_flush)(loss, blocks, nk, keep, keep + ZI_KEEP * ZGL, lacc);
}

/* eta[k] at update t: lr[k] (constant) or lr[k] / t^power_t (invscaling). */
ZI_INLINE void ZFN(zk_eta)(int schedule, const ZT* restrict lr, long long t, double power_t,
                           ZT* restrict eta) {
    Py_ssize_t k;
    if (schedule == ZI_SCHEDULE_INVSCALING) {
        const double tp = pow((double)t, power_t);
        for (k = 0; k < ZGL; k++)
            eta[k] = (ZT)(lr[k] / tp);
    } else {
        for (k = 0; k < ZGL; k++)
            eta[k] = lr[k];
    }
}

/* Deltas of the hidden layers from the output's, with the weights before the update. */
ZI_INLINE void ZFN(zk_backward)(const zi_net* net, const ZT* restrict tl,
                                const ZT* restrict act, ZT* restrict delta) {
    Py_ssize_t li, j, i, vb, v;
    for (li = net->L - 1; li > 0; li--) {
        const Py_ssize_t n_in = net->sizes[li], n_out = net->sizes[li + 1];
        const ZV* w = (const ZV*)(tl + net->off_w[li] * ZGL);
        const ZV* dn = (const ZV*)(delta + net->off_a[li] * ZGL);
        const ZV* h = (const ZV*)(act + net->off_a[li - 1] * ZGL);
        ZV* dp = (ZV*)(delta + net->off_a[li - 1] * ZGL);
        if (n_out == 1) {
            /* a single unit above (every net's output layer): the same
             * 0 + w_i d sums without the per-i loop over j (callgrind: 370 ->
             * 125 instructions a group-sample on S_mlp) */
            ZV d0[ZNV];
            for (v = 0; v < ZNV; v++)
                d0[v] = dn[v];
            for (i = 0; i < n_in; i++)
                for (v = 0; v < ZNV; v++)
                    dp[i * ZNV + v] = ZGATE(ZSPLAT(0) + w[i * ZNV + v] * d0[v], h[i * ZNV + v]);
            continue;
        }
        for (i = 0; i < n_in; i++) {
            for (vb = 0; vb < ZNV; vb += ZNB) {
                ZV acc[ZNB];
                for (v = 0; v < ZNB; v++)
                    acc[v] = ZSPLAT(0);
                for (j = 0; j < n_out; j++)
                    for (v = 0; v < ZNB; v++)
                        acc[v] = acc[v] + w[(j * n_in + i) * ZNV + vb + v] * dn[j * ZNV + vb + v];
                for (v = 0; v < ZNB; v++)
                    dp[i * ZNV + vb + v] = ZGATE(acc[v], h[i * ZNV + vb + v]);
            }
        }
    }
}


#if defined(__AVX512F__) && ZNV % 2 == 0
/* Layer 0, hidden, of a net with few inputs (n_in <= ZI_NAMED_MAX): the same
 * operations as zk_update_forward's (the same bits), with n_in a compile-time
 * constant N, so the 2 N broadcasts of the two samples' inputs are named
 * variables that stay in registers across the units (AVX-512 has 32; two
 * vectors a block leave room for them). Each weight then costs a load, a
 * store and two FMAs, and no broadcast: S_mlp 3-4% faster (with the fused
 * update, the loop is bound by its L1 accesses, no longer by its FP ops). */
#define ZI_NAMED_MAX 12
#define ZX12(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11)
ZI_INLINE void ZFN(zk_l0_named)(const zi_net* net, const ZT* restrict xcur,
                                const ZT* restrict xnext, ZT* restrict tl, ZT* restrict anext,
                                const ZT* restrict delta, const ZV* restrict net_, const int N) {
    const Py_ssize_t n_out = net->sizes[1], half = ZI_HALF(N);
    Py_ssize_t j, vb;
    int v;
#define ZB(i) const ZV xo##i = ZSPLAT(xcur[(i) < N ? (i) : 0]), xn##i = ZSPLAT(xnext[(i) < N ? (i) : 0]);
    ZX12(ZB)
#undef ZB
    for (j = 0; j < n_out; j++) {
        ZV* w = (ZV*)(tl + (net->off_w[0] + j * N) * ZGL);
        ZV* b = (ZV*)(tl + (net->off_b[0] + j) * ZGL);
        const ZV* dj = (const ZV*)(delta + (net->off_a[0] + j) * ZGL);
        ZV* o = (ZV*)(anext + (net->off_a[0] + j) * ZGL);
        for (vb = 0; vb < ZNV; vb += 2) {
            ZV ns[2], acc[2], acc2[2];
            for (v = 0; v < 2; v++) {
                ns[v] = net_[vb + v] * dj[vb + v];
                acc2[v] = ZSPLAT(0);
            }
            if (net->has_bias) {
                for (v = 0; v < 2; v++) {
                    const ZV bn = b[vb + v] + ns[v];
                    b[vb + v] = bn;
                    acc[v] = bn;
                }
            } else {
                for (v = 0; v < 2; v++)
                    acc[v] = ZSPLAT(0);
            }
#define ZSTEP(i)                                                              \
    if ((i) < N)                                                              \
        for (v = 0; v < 2; v++) {                                             \
            const ZV wn = ZUPD(1, w[(i) * ZNV + vb + v], ns[v], xo##i);       \
            w[(i) * ZNV + vb + v] = wn;                                       \
            if ((i) < half)                                                   \
                acc[v] = ZMADD(wn, xn##i, acc[v]);                            \
            else                                                              \
                acc2[v] = ZMADD(wn, xn##i, acc2[v]);                          \
        }
            ZX12(ZSTEP)
#undef ZSTEP
            for (v = 0; v < 2; v++)
                o[vb + v] = ZRELU(acc[v] + acc2[v]);
        }
    }
}

/* zk_l0_named with N = n_in (1 .. ZI_NAMED_MAX): one copy per width, called
 * once a sample (not inlined: 12 copies in each of the five train bodies
 * would be 4x the code) */
__attribute__((noinline)) static void ZFN(zk_l0_fixed)(const zi_net* net, const ZT* restrict xcur,
                                                       const ZT* restrict xnext, ZT* restrict tl,
                                                       ZT* restrict anext, const ZT* restrict delta,
                                                       const ZV* restrict net_) {
    switch (net->sizes[0]) {
#define ZCASE(i) case (i) + 1: ZFN(zk_l0_named)(net, xcur, xnext, tl, anext, delta, net_, (i) + 1); break;
    ZX12(ZCASE)
#undef ZCASE
    default:
        break;
    }
}
#undef ZX12
#endif

/* Per-sample update with the activations acur of sample xcur, fused with the
 * forward pass of sample xnext into anext. */
ZI_INLINE void ZFN(zk_update_forward)(const zi_net* net, const ZT* restrict xcur,
                                      const ZT* restrict xnext, ZT* restrict tl,
                                      const ZT* restrict acur, ZT* restrict anext,
                                      const ZT* restrict delta, const ZT* restrict eta) {
    Py_ssize_t li, j, i, vb, v;
    ZV net_[ZNV];
    for (v = 0; v < ZNV; v++)
        net_[v] = -((const ZV*)eta)[v];
    for (li = 0; li < net->L; li++) {
        const Py_ssize_t n_in = net->sizes[li], n_out = net->sizes[li + 1];
        const Py_ssize_t half = ZI_HALF(n_in);
        const int hidden = li < net->L - 1;
        const ZV* hold = (const ZV*)(acur + (li > 0 ? net->off_a[li - 1] : 0) * ZGL);
        const ZV* hnew = (const ZV*)(anext + (li > 0 ? net->off_a[li - 1] : 0) * ZGL);
#ifdef ZI_NAMED_MAX
        if (li == 0 && hidden && n_in <= ZI_NAMED_MAX) {
            ZFN(zk_l0_fixed)(net, xcur, xnext, tl, anext, delta, net_);
            continue;
        }
#endif
        for (j = 0; j < n_out; j++) {
            ZV* w = (ZV*)(tl + (net->off_w[li] + j * n_in) * ZGL);
            ZV* b = (ZV*)(tl + (net->off_b[li] + j) * ZGL);
            const ZV* dj = (const ZV*)(delta + (net->off_a[li] + j) * ZGL);
            ZV* o = (ZV*)(anext + (net->off_a[li] + j) * ZGL);
            for (vb = 0; vb < ZNV; vb += ZNB) {
                /* ns = -(eta d_j); w + ns h is bit-identical to w - (eta d_j) h
                 * (negation is exact) and lets the load of w fold into the add */
                ZV ns[ZNB], acc[ZNB], acc2[ZNB];
                for (v = 0; v < ZNB; v++) {
                    ns[v] = net_[vb + v] * dj[vb + v];
                    acc2[v] = ZSPLAT(0);
                }
                if (net->has_bias) {
                    for (v = 0; v < ZNB; v++) {
                        const ZV bn = b[vb + v] + ns[v];
                        b[vb + v] = bn;
                        acc[v] = bn;
                    }
                } else {
                    for (v = 0; v < ZNB; v++)
                        acc[v] = ZSPLAT(0);
                }
                if (li == 0) {
                    ZI_UNROLL4 for (i = 0; i < half; i++) {
                        const ZV xo = ZSPLAT(xcur[i]), xn = ZSPLAT(xnext[i]);
                        for (v = 0; v < ZNB; v++) {
                            const ZV wn = ZUPD(hidden, w[i * ZNV + vb + v], ns[v], xo);
                            w[i * ZNV + vb + v] = wn;
                            acc[v] = ZSUM(hidden, acc[v], wn, xn);
                        }
                    }
                    ZI_UNROLL4 for (i = half; i < n_in; i++) {
                        const ZV xo = ZSPLAT(xcur[i]), xn = ZSPLAT(xnext[i]);
                        for (v = 0; v < ZNB; v++) {
                            const ZV wn = ZUPD(hidden, w[i * ZNV + vb + v], ns[v], xo);
                            w[i * ZNV + vb + v] = wn;
                            acc2[v] = ZSUM(hidden, acc2[v], wn, xn);
                        }
                    }
                } else {
                    ZI_UNROLL4 for (i = 0; i < half; i++) {
                        for (v = 0; v < ZNB; v++) {
                            const ZV wn = ZUPD(hidden, w[i * ZNV + vb + v], ns[v], hold[i * ZNV + vb + v]);
                            w[i * ZNV + vb + v] = wn;
                            acc[v] = ZSUM(hidden, acc[v], wn, hnew[i * ZNV + vb + v]);
                        }
                    }
                    ZI_UNROLL4 for (i = half; i < n_in; i++) {
                        for (v = 0; v < ZNB; v++) {
                            const ZV wn = ZUPD(hidden, w[i * ZNV + vb + v], ns[v], hold[i * ZNV + vb + v]);
                            w[i * ZNV + vb + v] = wn;
                            acc2[v] = ZSUM(hidden, acc2[v], wn, hnew[i * ZNV + vb + v]);
                        }
                    }
                }
                for (v = 0; v < ZNB; v++) {
                    const ZV a = acc[v] + acc2[v];
                    o[vb + v] = hidden ? ZRELU(a) : a;
                }
            }
        }
    }
}

/* grad += d loss / d theta of one sample (mini-batch path). */
ZI_INLINE void ZFN(zk_accumulate)(const zi_net* net, const ZT* restrict xs,
                                  const ZT* restrict act, const ZT* restrict delta,
                                  ZT* restrict grad) {
    Py_ssize_t li, j, i, v;
    for (li = 0; li < net->L; li++) {
        const Py_ssize_t n_in = net->sizes[li], n_out = net->sizes[li + 1];
        const ZV* h = (const ZV*)(act + (li > 0 ? net->off_a[li - 1] : 0) * ZGL);
        for (j = 0; j < n_out; j++) {
            const ZV* dj = (const ZV*)(delta + (net->off_a[li] + j) * ZGL);
            ZV* gw = (ZV*)(grad + (net->off_w[li] + j * n_in) * ZGL);
            ZV* gb = (ZV*)(grad + (net->off_b[li] + j) * ZGL);
            for (i = 0; i < n_in; i++) {
                if (li == 0) {
                    const ZV x = ZSPLAT(xs[i]);
                    for (v = 0; v < ZNV; v++)
                        gw[i * ZNV + v] = gw[i * ZNV + v] + dj[v] * x;
                } else {
                    for (v = 0; v < ZNV; v++)
                        gw[i * ZNV + v] = gw[i * ZNV + v] + dj[v] * h[i * ZNV + v];
                }
            }
            if (net->has_bias)
                for (v = 0; v < ZNV; v++)
                    gb[v] = gb[v] + dj[v];
        }
    }
}

/* Train the group in tl on order[0:n_order]. lr, lacc, cacc have GL entries;
 * lacc/cacc accumulate loss and correct counts. Scratch: act0, act1, delta
 * (U * GL each), eta (GL), keep (2 * ZI_KEEP * GL), grad (P * GL,
 * batch_size > 1 only). */
#define ZK_TRAIN_PARAMS                                                                     \
    const zi_net *net, const ZT *restrict X, const ZT *restrict y,                          \
        const Py_ssize_t *restrict order, Py_ssize_t n_order, ZT *restrict tl, int loss,    \
        Py_ssize_t batch_size, const ZT *restrict lr, int schedule, double power_t,         \
        long long t0, double *restrict lacc, double *restrict cacc, ZT *act0, ZT *act1,     \
        ZT *restrict delta, ZT *restrict eta, ZT *restrict keep, ZT *restrict grad
ZI_INLINE void ZFN(zk_train_body)(ZK_TRAIN_PARAMS) {
    Py_ssize_t nk = 0;
    const Py_ssize_t d = net->d, P = net->P;
    const Py_ssize_t oout = net->off_a[net->L - 1] * ZGL;
    long long t = t0;
    Py_ssize_t s, k, p, start, stop;
    ZT* acur = act0;
    ZT* anext = act1;

    if (batch_size == 1) {
        ZFN(zk_forward)(net, X + order[0] * d, tl, acur);
        if (schedule == ZI_SCHEDULE_CONSTANT) /* the same step every sample */
            ZFN(zk_eta)(schedule, lr, t, power_t, eta);
        for (s = 0; s < n_order; s++) {
            const Py_ssize_t r = order[s];
            const Py_ssize_t rn = order[s + 1 < n_order ? s + 1 : s];
            ZT* tmp;
            ++t;
            if (schedule != ZI_SCHEDULE_CONSTANT)
                ZFN(zk_eta)(schedule, lr, t, power_t, eta);
            ZFN(zk_loss_kept)(loss, 1, acur + oout, (double)y[r], delta + oout, lacc, cacc, keep,
                              &nk);
            ZFN(zk_backward)(net, tl, acur, delta);
            ZFN(zk_update_forward)(net, X + r * d, X + rn * d, tl, acur, anext, delta, eta);
            tmp = acur; acur = anext; anext = tmp;
        }
        ZFN(zk_flush_kept)(loss, 1, keep, nk, lacc);
        return;
    }
    start = 0;
    while (start < n_order) {
        stop = start + batch_size;
        if (stop > n_order)
            stop = n_order;
        ZFN(zk_eta)(schedule, lr, ++t, power_t, eta);
        for (p = 0; p < P * ZGL; p++)
            grad[p] = 0;
        for (s = start; s < stop; s++) {
            const ZT* xs = X + order[s] * d;
            ZFN(zk_forward)(net, xs, tl, acur);
            ZFN(zk_loss_kept)(loss, 1, acur + oout, (double)y[order[s]], delta + oout, lacc, cacc,
                              keep, &nk);
            ZFN(zk_backward)(net, tl, acur, delta);
            ZFN(zk_accumulate)(net, xs, acur, delta, grad);
        }
        {
            const Py_ssize_t m = stop - start;
            for (p = 0; p < P; p++)
                for (k = 0; k < ZGL; k++)
                    tl[p * ZGL + k] = tl[p * ZGL + k] - eta[k] * (grad[p * ZGL + k] / m);
        }
        start = stop;
    }
    ZFN(zk_flush_kept)(loss, 1, keep, nk, lacc);
}

/* zk_train_body with the loss, batch size and schedule of a group's usual run
 * (per-sample SGD, constant step) fixed at compile time: one function per
 * loss, its branches folded (each a function of its own: one function
 * holding every copy compiles worse). */
#define ZK_DEFINE_FIXED(NAME, LOSS)                                                               \
    __attribute__((noinline)) static void ZFN(NAME)(                                              \
        const zi_net* net, const ZT* restrict X, const ZT* restrict y,                            \
        const Py_ssize_t* restrict order, Py_ssize_t n_order, ZT* restrict tl,                    \
        const ZT* restrict lr, long long t0, double* restrict lacc, double* restrict cacc,        \
        ZT* act0, ZT* act1, ZT* restrict delta, ZT* restrict eta, ZT* restrict keep) {            \
        ZFN(zk_train_body)(net, X, y, order, n_order, tl, LOSS, 1, lr, ZI_SCHEDULE_CONSTANT, 0.0, \
                           t0, lacc, cacc, act0, act1, delta, eta, keep, NULL);                   \
    }
#if ZGL > 1
ZK_DEFINE_FIXED(zk_train_logistic, ZI_LOSS_LOGISTIC)
ZK_DEFINE_FIXED(zk_train_squared, ZI_LOSS_SQUARED)
ZK_DEFINE_FIXED(zk_train_hinge, ZI_LOSS_HINGE)
ZK_DEFINE_FIXED(zk_train_perceptron, ZI_LOSS_PERCEPTRON)
#endif
#undef ZK_DEFINE_FIXED

static void ZFN(zk_train)(ZK_TRAIN_PARAMS) {
#if ZGL > 1
    if (batch_size == 1 && schedule == ZI_SCHEDULE_CONSTANT) {
        void (*fixed)(const zi_net*, const ZT*, const ZT*, const Py_ssize_t*, Py_ssize_t, ZT*,
                      const ZT*, long long, double*, double*, ZT*, ZT*, ZT*, ZT*, ZT*) =
            loss == ZI_LOSS_LOGISTIC ? ZFN(zk_train_logistic)
            : loss == ZI_LOSS_SQUARED ? ZFN(zk_train_squared)
            : loss == ZI_LOSS_HINGE ? ZFN(zk_train_hinge)
            : ZFN(zk_train_perceptron);
        fixed(net, X, y, order, n_order, tl, lr, t0, lacc, cacc, act0, act1, delta, eta, keep);
        return;
    }
#endif
    ZFN(zk_train_body)(net, X, y, order, n_order, tl, loss, batch_size, lr, schedule, power_t, t0,
                       lacc, cacc, act0, act1, delta, eta, keep, grad);
}
#undef ZK_TRAIN_PARAMS

/* Outputs of the group on rows [0, n) of X: z[s * zs + k] for k < gn. */
static void ZFN(zk_outputs)(const zi_net* net, const ZT* restrict X, Py_ssize_t n,
                            const ZT* restrict tl, ZT* restrict act, ZT* restrict z,
                            Py_ssize_t zs, Py_ssize_t gn) {
    const Py_ssize_t oout = net->off_a[net->L - 1] * ZGL;
    Py_ssize_t s, k;
    for (s = 0; s < n; s++) {
        ZFN(zk_forward)(net, X + s * net->d, tl, act);
        for (k = 0; k < gn; k++)
            z[s * zs + k] = act[oout + k];
    }
}

/* Loss and correct counts of the group on rows [0, n) of X, added to lacc
 * and cacc (GL lanes each) in row order: the training loss of the final
 * weights, by the same functions. Scratch: act (U * GL), dout (GL), keep. */
static void ZFN(zk_evaluate)(const zi_net* net, int loss, const ZT* restrict X,
                             const ZT* restrict y, Py_ssize_t n, const ZT* restrict tl,
                             ZT* restrict act, ZT* restrict dout, ZT* restrict keep,
                             double* restrict lacc, double* restrict cacc) {
    const Py_ssize_t oout = net->off_a[net->L - 1] * ZGL;
    Py_ssize_t s, nk = 0;
    for (s = 0; s < n; s++) {
        ZFN(zk_forward)(net, X + s * net->d, tl, act);
        ZFN(zk_loss_kept)(loss, 0, act + oout, (double)y[s], dout, lacc, cacc, keep, &nk);
    }
    ZFN(zk_flush_kept)(loss, 0, keep, nk, lacc);
}

/* One model's loss and correct sums on the n rows of X, with the rows in the
 * lanes: ZGL rows at a time, the same weights in every lane. Each row's output
 * takes zk_forward's operation sequence (bias, then the two halves) and its
 * loss the same function, so the sums get the bits a group's lane gets (one
 * row after another in the lanes of a group of one, the weights stream from
 * memory for every row; here a block of rows shares each weight load). th:
 * the model's P parameters, contiguous; buf: (d + U + 5) ZGL values. */
__attribute__((unused)) static void ZFN(zk_evaluate_rows)(const zi_net* net, int loss, const ZT* restrict X,
                                  const ZT* restrict y, Py_ssize_t n, const ZT* restrict th,
                                  ZT* restrict buf, double* restrict lsum, double* restrict csum) {
    const Py_ssize_t d = net->d, L = net->L;
    ZT* restrict xt = buf;                         /* the block's rows, transposed: d x ZGL */
    ZT* restrict act = buf + d * ZGL;              /* U x ZGL */
    ZT* restrict yv = act + net->U * ZGL;          /* labels */
    ZT* restrict cp = yv + ZGL;                    /* the count if z >= 0, and if z < 0 */
    ZT* restrict cn = cp + ZGL;
    ZT* restrict lv = cn + ZGL;                    /* loss values, correct counts */
    ZT* restrict cv = lv + ZGL;
    const ZT* restrict out = act + net->off_a[L - 1] * ZGL;
    double ls = *lsum, cs = *csum;
    Py_ssize_t r0, r, nr, li, j, i, c;
    int v;
    for (r0 = 0; r0 < n; r0 += ZGL) {
        nr = n - r0 < ZGL ? n - r0 : ZGL;
        for (r = 0; r < ZGL; r++) {
            const Py_ssize_t row = r0 + (r < nr ? r : 0); /* padding lanes repeat a row */
            const double yy = (double)y[row], ypos = (double)(yy > 0);
            for (i = 0; i < d; i++)
                xt[i * ZGL + r] = X[row * d + i];
            yv[r] = (ZT)yy;
            cp[r] = (ZT)ypos;
            cn[r] = (ZT)(1.0 - ypos);
        }
        for (li = 0; li < L; li++) {
            const Py_ssize_t n_in = net->sizes[li], n_out = net->sizes[li + 1];
            const Py_ssize_t half = ZI_HALF(n_in);
            const int hidden = li < L - 1;
            const ZV* hin = (const ZV*)(li > 0 ? act + net->off_a[li - 1] * ZGL : xt);
            for (j = 0; j < n_out; j++) {
                const ZT* w = th + net->off_w[li] + j * n_in;
                const ZV bias = ZSPLAT(net->has_bias ? th[net->off_b[li] + j] : (ZT)0);
                ZV* o = (ZV*)(act + (net->off_a[li] + j) * ZGL);
                ZV acc[ZNV], acc2[ZNV];
                for (v = 0; v < ZNV; v++) {
                    acc[v] = net->has_bias ? bias : ZSPLAT(0);
                    acc2[v] = ZSPLAT(0);
                }
                for (i = 0; i < half; i++) {
                    const ZV wv = ZSPLAT(w[i]);
                    for (v = 0; v < ZNV; v++)
                        acc[v] = ZSUM(hidden, acc[v], wv, hin[i * ZNV + v]);
                }
                for (i = half; i < n_in; i++) {
                    const ZV wv = ZSPLAT(w[i]);
                    for (v = 0; v < ZNV; v++)
                        acc2[v] = ZSUM(hidden, acc2[v], wv, hin[i * ZNV + v]);
                }
                for (v = 0; v < ZNV; v++) {
                    const ZV a = acc[v] + acc2[v];
                    o[v] = hidden ? ZRELU(a) : a;
                }
            }
        }
        for (c = 0; c < ZGL; c += DVL) {
            DV g, corr, k1, k2;
            DLOSS(loss, DLOAD(out + c), DLOAD(yv + c), DLOAD(cp + c), DLOAD(cn + c), &g, &corr,
                  &k1, &k2);
            DSTORE(lv + c, DLOSSV(loss, k1, k2));
            DSTORE(cv + c, corr);
        }
        for (r = 0; r < nr; r++) {  /* in row order, in double */
            ls = ls + (double)lv[r];
            cs = cs + (double)cv[r];
        }
    }
    *lsum = ls;
    *csum = cs;
}

#undef ZNB
#undef ZSUM
#undef ZUPD
#undef ZI_NAMED_MAX
#undef DLOSSV
#undef ZGL
#undef ZFN
#undef ZCAT
#undef ZCAT2
