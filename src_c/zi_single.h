/* Fast paths for one model trained alone, per-sample SGD, L = 1 or L = 2.
 *
 * One model is bound by the latency of its update chain, not by flops, so
 * these keep the chain in registers: the output z, the loss gradient and the
 * steps never go through memory. They compute exactly the operation sequence
 * of zi_kern.h (see there: every sum in two halves, loss values ZI_KEEP
 * samples late, the logistic loss one value a block), so results are
 * bit-identical to a lane of any group:
 *   L = 1: scalar; a sample whose step is exactly +0 (perceptron or hinge,
 *          correct with margin) skips its update, which leaves every
 *          parameter bit-identical when no weight is -0 (checked per chunk:
 *          w - (+-0) = w for w != -0, and -0 never arises from updates) and
 *          the sample's row is finite (implied by a finite z).
 *   L = 2: the hidden units in SIMD lanes (W_1 stored transposed, units
 *          padded to whole vectors with zeros); each unit still gets
 *          its bias first, then its inputs in the two halves. The output
 *          unit is a scalar sum over the hidden units in the two halves.
 *
 * Included by zi_kernel.h once per element type with ZT, ZV, ZVL, ZSPLAT,
 * ZRELU, ZGATE, ZMADD, ZLOSS (scalar), ZVLOSS (vector), ZSUF defined (ZV the
 * widest vector of ZT). A hidden unit's sum takes one ZMADD an input, as in
 * zi_kern.h, and so does the update of its weights where the build fuses
 * updates (ZI_FMA_UPDATE: w - s x as w + (-s) x, negation being exact); the
 * output's sum and update, a multiply and an add.
 */

#define ZCAT2(a, b) a##_##b
#define ZCAT(a, b) ZCAT2(a, b)
#define ZFN(name) ZCAT(name, ZSUF)

ZI_INLINE ZT ZFN(zs_eta)(int schedule, ZT lr, long long t, double power_t) {
    if (schedule == ZI_SCHEDULE_INVSCALING)
        return (ZT)(lr / pow((double)t, power_t));
    return lr;
}

/* init + w[0:n] . x[0:n] in the two halves of zi_kern.h */
ZI_INLINE ZT ZFN(zs_dot)(ZT init, const ZT* restrict w, const ZT* restrict x, Py_ssize_t n) {
    ZT a = init, c = 0;
    Py_ssize_t i;
    for (i = 0; i < ZI_HALF(n); i++)
        a = a + w[i] * x[i];
    for (i = ZI_HALF(n); i < n; i++)
        c = c + w[i] * x[i];
    return a + c;
}

/* lsum + the loss values of the n kept samples, in sample order; a full
 * block computes them ZVL samples at a time (the same bits per lane). */
ZI_INLINE double ZFN(zs_flush)(int loss, Py_ssize_t n, const ZT* restrict k1,
                               const ZT* restrict k2, double lsum) {
    ZT l[ZI_KEEP];
    Py_ssize_t q;
    if (loss == ZI_LOSS_LOGISTIC) /* one value a block, as zk_flush */
        return lsum + (double)ZCAT(ZLOSS, block)(n, k1, k2, 1);
    if (n == ZI_KEEP) {
        for (q = 0; q < ZI_KEEP; q += ZVL) {
            ZV a, b, v;
            memcpy(&a, k1 + q, sizeof a);
            memcpy(&b, k2 + q, sizeof b);
            v = ZCAT(ZVLOSS, value)(loss, a, b);
            memcpy(l + q, &v, sizeof v);
        }
    } else {
        for (q = 0; q < n; q++)
            l[q] = ZCAT(ZLOSS, value)(loss, k1[q], k2[q]);
    }
    for (q = 0; q < n; q++)
        lsum = lsum + (double)l[q];
    return lsum;
}

/* One model's running loss and correct sums (in double) and the loss values
 * kept for zs_flush. */
typedef struct {
    ZT k1[ZI_KEEP], k2[ZI_KEEP];
    Py_ssize_t n;
    double lsum;
    long long correct; /* added to n_correct at the end: the sum of the 0/1
                          counts, exact in double, with an integer add a sample */
} ZFN(zs_sums);

/* The gradient of one sample's loss at output z; counts it and keeps its loss. */
ZI_INLINE ZT ZFN(zs_loss)(int loss, ZT z, double yy, ZFN(zs_sums)* restrict a) {
    const double ypos = (double)(yy > 0);
    ZT g, corr;
    ZLOSS(loss, z, (ZT)yy, (ZT)ypos, (ZT)(1.0 - ypos), &g, &corr, a->k1 + a->n, a->k2 + a->n);
    if (++a->n == ZI_KEEP) {
        a->lsum = ZFN(zs_flush)(loss, a->n, a->k1, a->k2, a->lsum);
        a->n = 0;
    }
    /* corr as ZLOSS computes it, SEL(z >= 0, (y > 0), (y <= 0)), in integers
     * (the three blends it takes in floating point are a tenth of the
     * instructions of a W_lin sample) */
    (void)corr;
    a->correct += (z >= 0) == (yy > 0);
    return g;
}

/* L = 1. th points at the model's parameters with stride S. (No vectorizer:
 * it would turn the in-order sum into a fold-left reduction with shuffles on
 * the latency chain.) */
#define ZS_NOVEC __attribute__((optimize("no-tree-vectorize")))
ZS_NOVEC ZI_INLINE int ZFN(zs_train_l1_body)(const zi_net* net, const ZT* restrict X, const ZT* restrict y,
                            const Py_ssize_t* restrict order, Py_ssize_t n_order,
                            ZT* restrict th, Py_ssize_t S, int loss, ZT lr, int schedule,
                            double power_t, long long t0, double* loss_sum, double* n_correct) {
    const Py_ssize_t d = net->d, half = ZI_HALF(d);
    const int has_bias = net->has_bias;
    ZT* w = (ZT*)zi_alloc(sizeof(ZT) * (d + 1));
    ZT b = 0, z;
    ZFN(zs_sums) sums = {.n = 0, .lsum = *loss_sum, .correct = 0};
    int may_skip = (loss == ZI_LOSS_PERCEPTRON || loss == ZI_LOSS_HINGE);
    long long t = t0;
    Py_ssize_t s, i;
    if (!w)
        return -1;
    for (i = 0; i < d; i++) {
        w[i] = th[(net->off_w[0] + i) * S];
        if (w[i] == 0 && signbit(w[i]))
            may_skip = 0;
    }
    if (has_bias)
        b = th[net->off_b[0] * S];
    z = ZFN(zs_dot)(has_bias ? b : (ZT)0, w, X + order[0] * d, d);
    for (s = 0; s < n_order; s++) {
        const Py_ssize_t r = order[s];
        const ZT* restrict x = X + r * d;
        const ZT* restrict xn = X + order[s + 1 < n_order ? s + 1 : s] * d;
        ZT st, acc, acc2 = 0;
        const ZT eta = ZFN(zs_eta)(schedule, lr, ++t, power_t);
        st = eta * ZFN(zs_loss)(loss, z, (double)y[r], &sums);
        if (may_skip && st == 0 && !signbit(st) && isfinite(z)) {
            z = ZFN(zs_dot)(has_bias ? b : (ZT)0, w, xn, d);
            continue;
        }
        if (has_bias) {
            b = b - st;
            acc = b;
        } else {
            acc = 0;
        }
        /* unrolled: the loop's own counter, compare and branch took a third of
         * the instructions of a 10-input sample (W_perc 9%, W_lin 5-8% faster) */
        _Pragma("GCC unroll 8") for (i = 0; i < half; i++) {
            const ZT wn = w[i] - st * x[i];
            w[i] = wn;
            acc = acc + wn * xn[i];
        }
        _Pragma("GCC unroll 8") for (i = half; i < d; i++) {
            const ZT wn = w[i] - st * x[i];
            w[i] = wn;
            acc2 = acc2 + wn * xn[i];
        }
        z = acc + acc2;
    }
    for (i = 0; i < d; i++)
        th[(net->off_w[0] + i) * S] = w[i];
    if (has_bias)
        th[net->off_b[0] * S] = b;
    *loss_sum = ZFN(zs_flush)(loss, sums.n, sums.k1, sums.k2, sums.lsum);
    *n_correct = *n_correct + (double)sums.correct;
    free(w);
    return 0;
}

/* Hidden units [o, o + nv * ZVL) of the fused layer-1 step: deltas from the
 * old w2, update of b1 and W1 with sample x, forward of sample xn into hn.
 * Called with a constant nv (1..4) so the accumulators stay in registers. */
ZI_INLINE void ZFN(zs_l1_block)(Py_ssize_t o, const int nv, Py_ssize_t d, Py_ssize_t HP,
                                int has_bias, ZV etav, ZV g2v, const ZT* restrict x,
                                const ZT* restrict xn, ZT* restrict w1t, ZT* restrict b1,
                                const ZT* restrict w2, const ZT* restrict hc, ZT* restrict hn) {
    ZV st[4], acc[4], acc2[4];
    const Py_ssize_t half = ZI_HALF(d);
    Py_ssize_t i;
    int v;
    for (v = 0; v < nv; v++) {
        acc2[v] = ZSPLAT(0);
        const Py_ssize_t ov = o + v * ZVL;
        const ZV dv = ZGATE(ZSPLAT(0) + *(const ZV*)(w2 + ov) * g2v, *(const ZV*)(hc + ov));
        st[v] = etav * dv;
        if (has_bias) {
            const ZV bn = *(ZV*)(b1 + ov) - st[v];
            *(ZV*)(b1 + ov) = bn;
            acc[v] = bn;
        } else {
            acc[v] = ZSPLAT(0);
        }
    }
    for (i = 0; i < half; i++) {
        const ZV xo = ZSPLAT(x[i]), xv = ZSPLAT(xn[i]);
        for (v = 0; v < nv; v++) {
            ZV* wp = (ZV*)(w1t + i * HP + o + v * ZVL);
            const ZV wn = ZI_FMA_UPDATE ? ZMADD(-st[v], xo, *wp) : *wp - st[v] * xo;
            *wp = wn;
            acc[v] = ZMADD(wn, xv, acc[v]);
        }
    }
    for (i = half; i < d; i++) {
        const ZV xo = ZSPLAT(x[i]), xv = ZSPLAT(xn[i]);
        for (v = 0; v < nv; v++) {
            ZV* wp = (ZV*)(w1t + i * HP + o + v * ZVL);
            const ZV wn = ZI_FMA_UPDATE ? ZMADD(-st[v], xo, *wp) : *wp - st[v] * xo;
            *wp = wn;
            acc2[v] = ZMADD(wn, xv, acc2[v]);
        }
    }
    for (v = 0; v < nv; v++)
        *(ZV*)(hn + o + v * ZVL) = ZRELU(acc[v] + acc2[v]);
}

/* L = 2, H hidden units in lanes. */
ZI_INLINE int ZFN(zs_train_l2_body)(const zi_net* net, const ZT* restrict X, const ZT* restrict y,
                            const Py_ssize_t* restrict order, Py_ssize_t n_order,
                            ZT* restrict th, Py_ssize_t S, int loss, ZT lr, int schedule,
                            double power_t, long long t0, double* loss_sum, double* n_correct) {
    const Py_ssize_t d = net->d, H = net->sizes[1];
    const Py_ssize_t HP = (H + ZVL - 1) / ZVL * ZVL, NVEC = HP / ZVL;
    const int has_bias = net->has_bias;
    /* w1t[i * HP + j] = W1[j, i]; b1[j]; w2[j]; h0/h1: hidden activations of
     * the current and the next sample; d1: hidden deltas; p: products */
    ZT* buf = (ZT*)zi_alloc(sizeof(ZT) * HP * (d + 6));
    ZT *w1t, *b1, *w2, *hc, *hn, *d1, *pr;
    ZT b2 = 0, z;
    ZFN(zs_sums) sums = {.n = 0, .lsum = *loss_sum, .correct = 0};
    long long t = t0;
    Py_ssize_t s, i, j, k;
    if (!buf)
        return -1;
    memset(buf, 0, sizeof(ZT) * HP * (d + 6));
    w1t = buf;
    b1 = w1t + HP * d;
    w2 = b1 + HP;
    hc = w2 + HP;
    hn = hc + HP;
    d1 = hn + HP;
    pr = d1 + HP;
    for (j = 0; j < H; j++) {
        for (i = 0; i < d; i++)
            w1t[i * HP + j] = th[(net->off_w[0] + j * d + i) * S];
        if (has_bias)
            b1[j] = th[(net->off_b[0] + j) * S];
        w2[j] = th[(net->off_w[1] + j) * S];
    }
    if (has_bias)
        b2 = th[net->off_b[1] * S];

    /* forward of the first sample */
    {
        const ZT* x = X + order[0] * d;
        for (k = 0; k < NVEC; k++) {
            ZV acc = has_bias ? *(ZV*)(b1 + k * ZVL) : ZSPLAT(0), acc2 = ZSPLAT(0);
            for (i = 0; i < ZI_HALF(d); i++)
                acc = ZMADD(*(ZV*)(w1t + i * HP + k * ZVL), ZSPLAT(x[i]), acc);
            for (i = ZI_HALF(d); i < d; i++)
                acc2 = ZMADD(*(ZV*)(w1t + i * HP + k * ZVL), ZSPLAT(x[i]), acc2);
            *(ZV*)(hc + k * ZVL) = ZRELU(acc + acc2);
        }
        z = ZFN(zs_dot)(has_bias ? b2 : (ZT)0, w2, hc, H);
    }

    for (s = 0; s < n_order; s++) {
        const Py_ssize_t r = order[s];
        const ZT* restrict x = X + r * d;
        const ZT* restrict xn = X + order[s + 1 < n_order ? s + 1 : s] * d;
        ZT g2, st2, acc2, acc3 = 0;
        ZT* tmp;
        const ZT eta = ZFN(zs_eta)(schedule, lr, ++t, power_t);
        const ZV etav = ZSPLAT(eta);
        g2 = ZFN(zs_loss)(loss, z, (double)y[r], &sums);
        st2 = eta * g2;
        /* hidden deltas (old w2) and the fused layer-1 update + next forward */
        {
            const ZV g2v = ZSPLAT(g2);
            for (k = 0; k + 4 <= NVEC; k += 4)
                ZFN(zs_l1_block)(k * ZVL, 4, d, HP, has_bias, etav, g2v, x, xn, w1t, b1, w2, hc, hn);
            switch (NVEC - k) {
            case 3:
                ZFN(zs_l1_block)(k * ZVL, 3, d, HP, has_bias, etav, g2v, x, xn, w1t, b1, w2, hc, hn);
                break;
            case 2:
                ZFN(zs_l1_block)(k * ZVL, 2, d, HP, has_bias, etav, g2v, x, xn, w1t, b1, w2, hc, hn);
                break;
            case 1:
                ZFN(zs_l1_block)(k * ZVL, 1, d, HP, has_bias, etav, g2v, x, xn, w1t, b1, w2, hc, hn);
                break;
            default:
                break;
            }
        }
        /* layer 2: update with the old activations, forward with the new */
        {
            const ZV st2v = ZSPLAT(st2);
            for (k = 0; k < NVEC; k++) {
                const Py_ssize_t o = k * ZVL;
                const ZV wn = *(ZV*)(w2 + o) - st2v * *(ZV*)(hc + o);
                *(ZV*)(w2 + o) = wn;
                *(ZV*)(pr + o) = wn * *(ZV*)(hn + o);
            }
            if (has_bias) {
                b2 = b2 - st2;
                acc2 = b2;
            } else {
                acc2 = 0;
            }
            for (j = 0; j < ZI_HALF(H); j++)
                acc2 = acc2 + pr[j];
            for (j = ZI_HALF(H); j < H; j++)
                acc3 = acc3 + pr[j];
            z = acc2 + acc3;
        }
        tmp = hc; hc = hn; hn = tmp;
    }
    for (j = 0; j < H; j++) {
        for (i = 0; i < d; i++)
            th[(net->off_w[0] + j * d + i) * S] = w1t[i * HP + j];
        if (has_bias)
            th[(net->off_b[0] + j) * S] = b1[j];
        th[(net->off_w[1] + j) * S] = w2[j];
    }
    if (has_bias)
        th[net->off_b[1] * S] = b2;
    *loss_sum = ZFN(zs_flush)(loss, sums.n, sums.k1, sums.k2, sums.lsum);
    *n_correct = *n_correct + (double)sums.correct;
    free(buf);
    return 0;
}

/* zs_train_l1/l2: with a constant step, one compiled function per loss (its
 * branches folded, as for the groups' zk_train; W_perc 100 -> 80 us); any
 * other run takes the general body. Not the logistic loss: one model is
 * latency-bound, and its folded copy ran slower (W_log 320 -> 370 us). */
/* Each starts on a cache line: one model is a short latency-bound loop whose
 * speed depends on where the loop falls against the 64-byte lines of the
 * front end, and unaligned, that place moved with any edit of the rest of
 * the file (W_lin 83 -> 92 us after a change elsewhere in the kernel). */
#define ZS_ALIGN __attribute__((aligned(64)))
#define ZS_DEFINE_FIXED(ATTR, BODY, NAME, LOSS)                                                    \
    ATTR __attribute__((noinline)) ZS_ALIGN static int ZFN(NAME)(                                  \
        const zi_net* net, const ZT* restrict X, const ZT* restrict y,                             \
        const Py_ssize_t* restrict order, Py_ssize_t n_order, ZT* restrict th, Py_ssize_t S,       \
        ZT lr, long long t0, double* loss_sum, double* n_correct) {                                \
        return ZFN(BODY)(net, X, y, order, n_order, th, S, LOSS, lr, ZI_SCHEDULE_CONSTANT, 0.0,    \
                         t0, loss_sum, n_correct);                                                 \
    }
#define ZS_DEFINE_DISPATCH(ATTR, BODY, NAME)                                                       \
    ZS_DEFINE_FIXED(ATTR, BODY, NAME##_squared, ZI_LOSS_SQUARED)                                   \
    ZS_DEFINE_FIXED(ATTR, BODY, NAME##_hinge, ZI_LOSS_HINGE)                                       \
    ZS_DEFINE_FIXED(ATTR, BODY, NAME##_perceptron, ZI_LOSS_PERCEPTRON)                             \
    ATTR ZS_ALIGN static int ZFN(NAME)(const zi_net* net, const ZT* restrict X,                  \
                                       const ZT* restrict y, const Py_ssize_t* restrict order,     \
                                       Py_ssize_t n_order, ZT* restrict th, Py_ssize_t S,          \
                                       int loss, ZT lr, int schedule, double power_t, long long t0, \
                                       double* loss_sum, double* n_correct) {                      \
        if (schedule == ZI_SCHEDULE_CONSTANT && loss != ZI_LOSS_LOGISTIC)                          \
            return (loss == ZI_LOSS_SQUARED ? ZFN(NAME##_squared)                                  \
                    : loss == ZI_LOSS_HINGE   ? ZFN(NAME##_hinge)                                  \
                                              : ZFN(NAME##_perceptron))(                           \
                net, X, y, order, n_order, th, S, lr, t0, loss_sum, n_correct);                    \
        return ZFN(BODY)(net, X, y, order, n_order, th, S, loss, lr, schedule, power_t, t0,        \
                         loss_sum, n_correct);                                                     \
    }
ZS_DEFINE_DISPATCH(ZS_NOVEC, zs_train_l1_body, zs_train_l1)
ZS_DEFINE_DISPATCH(, zs_train_l2_body, zs_train_l2)
#undef ZS_DEFINE_DISPATCH
#undef ZS_DEFINE_FIXED
#undef ZS_ALIGN
#undef ZS_NOVEC

#undef ZFN
#undef ZCAT
#undef ZCAT2
