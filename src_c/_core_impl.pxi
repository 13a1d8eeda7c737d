# The compiled core: per-sample (or mini-batch) SGD for B models of one
# architecture on one data set and one sample order, all at once.
#
# Layout and why: the parameters of all models are one array theta[P, B] with
# the model index innermost, so every inner loop runs across models (SIMD
# lanes) with unit stride, and one model is simply B = 1. Each unit of a layer
# is computed by the same sequence of floating-point operations (bias first,
# then inputs in index order), so units that start equal stay bit-for-bit
# equal, and a model's bits never depend on its lane or on B. Threads split
# the lanes, never the samples, so the thread count cannot change a result.
#
# The kernels are plain C loops over raw pointers under `nogil`; the `def`
# wrappers at the bottom check every shape and index before entering them.

import numpy as np
from cython.parallel cimport prange
from libc.math cimport exp, log1p, pow
from libc.stdlib cimport malloc, free

cdef extern from "zi_omp.h" nogil:
    int zi_omp_max_threads()
    int zi_has_openmp()

ctypedef fused floating:
    float
    double

# Loss codes shared with zi_core/engine.py (LOSS_CODES).
cdef enum:
    LOSS_PERCEPTRON = 0
    LOSS_SQUARED = 1
    LOSS_LOGISTIC = 2
    LOSS_HINGE = 3

# Learning-rate schedule codes (engine.SCHEDULE_CODES).
cdef enum:
    SCHEDULE_CONSTANT = 0
    SCHEDULE_INVSCALING = 1

# Models trained together in one packed group (two AVX2 vectors of doubles).
cdef enum:
    LANES = 8

# Lanes per thread block are rounded to this, so blocks never share a cache line.
_LANE_ALIGN = 8


cdef struct Net:
    Py_ssize_t L            # number of layers
    Py_ssize_t B            # lane stride of theta (total models)
    Py_ssize_t d            # features
    Py_ssize_t P            # parameters per model
    Py_ssize_t U            # units over all layers
    const Py_ssize_t* sizes # L + 1 widths, sizes[0] = d, sizes[L] = 1
    const Py_ssize_t* off_w # L offsets of W_l in theta rows
    const Py_ssize_t* off_b # L offsets of b_l (unused without bias)
    const Py_ssize_t* off_a # L offsets of layer l's units in act/delta rows
    bint has_bias


cdef inline void _forward(const Net* net, const floating* xs, const floating* theta,
                          Py_ssize_t S, Py_ssize_t nb, floating* act) noexcept nogil:
    """act[u, k] = activation of unit u for lane k; the last layer is linear.

    theta points at lane 0 of row 0; S is the distance between rows.
    """
    cdef Py_ssize_t li, j, i, k, n_in, n_out
    cdef const floating* w
    cdef const floating* bj
    cdef const floating* h
    cdef floating* o
    cdef floating xi
    for li in range(net.L):
        n_in = net.sizes[li]
        n_out = net.sizes[li + 1]
        for j in range(n_out):
            o = act + (net.off_a[li] + j) * nb
            if net.has_bias:
                bj = theta + (net.off_b[li] + j) * S
                for k in range(nb):
                    o[k] = bj[k]
            else:
                for k in range(nb):
                    o[k] = 0
            w = theta + (net.off_w[li] + j * n_in) * S
            if li == 0:
                for i in range(n_in):
                    xi = xs[i]
                    for k in range(nb):
                        o[k] = o[k] + w[i * S + k] * xi
            else:
                h = act + net.off_a[li - 1] * nb
                for i in range(n_in):
                    for k in range(nb):
                        o[k] = o[k] + w[i * S + k] * h[i * nb + k]
            if li < net.L - 1:
                for k in range(nb):
                    o[k] = o[k] if o[k] > 0 else 0


cdef inline double _loss_grad(int loss, double z, double y, double* g) noexcept nogil:
    """Loss of one sample and d loss / d z (the perceptron rule as a 'gradient')."""
    cdef double m, e
    if loss == LOSS_SQUARED:
        g[0] = z - y
        return 0.5 * (z - y) * (z - y)
    if loss == LOSS_LOGISTIC:
        # log(1 + exp(-m)) and its derivative without overflow for any m.
        m = y * z
        if m > 0:
            e = exp(-m)
            g[0] = -y * e / (1.0 + e)
            return log1p(e)
        e = exp(m)
        g[0] = -y / (1.0 + e)
        return -m + log1p(e)
    if loss == LOSS_HINGE:
        m = y * z
        if m < 1.0:
            g[0] = -y
            return 1.0 - m
        g[0] = 0.0
        return 0.0
    # Perceptron: w += eta (y - yhat) x, written as w -= eta (yhat - y) x.
    e = 1.0 if z >= 0 else -1.0
    g[0] = e - y
    return 0.0 if e == y else 1.0


cdef inline void _backward(const Net* net, const floating* theta, Py_ssize_t S,
                           Py_ssize_t nb, const floating* act, floating* delta) noexcept nogil:
    """delta[u, k] = d loss / d pre-activation of unit u, from the output's delta.

    Uses the weights as they are (before this step's update); relu'(0) = 0.
    """
    cdef Py_ssize_t li, j, i, k, n_in, n_out
    cdef const floating* w
    cdef const floating* dj
    cdef const floating* h
    cdef floating* dp
    for li in range(net.L - 1, 0, -1):
        n_in = net.sizes[li]
        n_out = net.sizes[li + 1]
        dp = delta + net.off_a[li - 1] * nb
        for i in range(n_in * nb):
            dp[i] = 0
        for j in range(n_out):
            dj = delta + (net.off_a[li] + j) * nb
            w = theta + (net.off_w[li] + j * n_in) * S
            for i in range(n_in):
                for k in range(nb):
                    dp[i * nb + k] = dp[i * nb + k] + w[i * S + k] * dj[k]
        h = act + net.off_a[li - 1] * nb
        for i in range(n_in * nb):
            dp[i] = dp[i] if h[i] > 0 else 0


cdef inline void _sgd_step(const Net* net, const floating* xs, floating* theta, Py_ssize_t S,
                           Py_ssize_t nb, const floating* act, const floating* delta,
                           const floating* eta, floating* step) noexcept nogil:
    """Per-sample update: p -= (eta * delta_j) * input_i for every weight."""
    cdef Py_ssize_t li, j, i, k, n_in, n_out
    cdef floating* w
    cdef floating* bj
    cdef const floating* dj
    cdef const floating* h
    cdef floating xi
    for li in range(net.L):
        n_in = net.sizes[li]
        n_out = net.sizes[li + 1]
        for j in range(n_out):
            dj = delta + (net.off_a[li] + j) * nb
            for k in range(nb):
                step[k] = eta[k] * dj[k]
            w = theta + (net.off_w[li] + j * n_in) * S
            if li == 0:
                for i in range(n_in):
                    xi = xs[i]
                    for k in range(nb):
                        w[i * S + k] = w[i * S + k] - step[k] * xi
            else:
                h = act + net.off_a[li - 1] * nb
                for i in range(n_in):
                    for k in range(nb):
                        w[i * S + k] = w[i * S + k] - step[k] * h[i * nb + k]
            if net.has_bias:
                bj = theta + (net.off_b[li] + j) * S
                for k in range(nb):
                    bj[k] = bj[k] - step[k]


cdef inline void _accumulate(const Net* net, const floating* xs, Py_ssize_t nb,
                             const floating* act, const floating* delta,
                             floating* grad) noexcept nogil:
    """grad[p, k] += d loss / d p for one sample (mini-batch path)."""
    cdef Py_ssize_t li, j, i, k, n_in, n_out
    cdef floating* gw
    cdef floating* gb
    cdef const floating* dj
    cdef const floating* h
    cdef floating xi
    for li in range(net.L):
        n_in = net.sizes[li]
        n_out = net.sizes[li + 1]
        for j in range(n_out):
            dj = delta + (net.off_a[li] + j) * nb
            gw = grad + (net.off_w[li] + j * n_in) * nb
            if li == 0:
                for i in range(n_in):
                    xi = xs[i]
                    for k in range(nb):
                        gw[i * nb + k] = gw[i * nb + k] + dj[k] * xi
            else:
                h = act + net.off_a[li - 1] * nb
                for i in range(n_in):
                    for k in range(nb):
                        gw[i * nb + k] = gw[i * nb + k] + dj[k] * h[i * nb + k]
            if net.has_bias:
                gb = grad + (net.off_b[li] + j) * nb
                for k in range(nb):
                    gb[k] = gb[k] + dj[k]


cdef inline void _train_lanes(const Net* net, const floating* X, const floating* y,
                              const Py_ssize_t* order, Py_ssize_t n_order, floating* theta,
                              Py_ssize_t nb, int loss, Py_ssize_t batch_size, const floating* lr,
                              int schedule, double power_t, long long t0, double* loss_sum,
                              double* n_correct, floating* act, floating* delta, floating* eta,
                              floating* grad) noexcept nogil:
    """SGD for nb lanes packed with stride nb (theta[p * nb + k]) over order[0:n_order].

    Called with a literal nb (1 or LANES) so the compiler can specialize the
    lane loops; ``grad`` is NULL for per-sample updates.
    """
    cdef Py_ssize_t s, k, p, m, start, stop, P = net.P
    cdef long long t = t0
    cdef const floating* xs
    cdef floating yy, zk
    cdef double g, tp
    cdef floating* step = eta + nb
    cdef floating* out = act + net.off_a[net.L - 1] * nb
    cdef floating* dout = delta + net.off_a[net.L - 1] * nb
    start = 0
    while start < n_order:
        stop = start + batch_size
        if stop > n_order:
            stop = n_order
        t += 1
        if schedule == SCHEDULE_INVSCALING:
            tp = pow(<double> t, power_t)
            for k in range(nb):
                eta[k] = <floating> (lr[k] / tp)
        else:
            for k in range(nb):
                eta[k] = lr[k]
        if grad != NULL:
            for p in range(P * nb):
                grad[p] = 0
        for s in range(start, stop):
            xs = X + order[s] * net.d
            yy = y[order[s]]
            _forward(net, xs, theta, nb, nb, act)
            for k in range(nb):
                zk = out[k]
                loss_sum[k] += _loss_grad(loss, zk, yy, &g)
                if (zk >= 0) == (yy > 0):
                    n_correct[k] += 1
                dout[k] = <floating> g
            _backward(net, theta, nb, nb, act, delta)
            if grad == NULL:
                _sgd_step(net, xs, theta, nb, nb, act, delta, eta, step)
            else:
                _accumulate(net, xs, nb, act, delta, grad)
        if grad != NULL:
            m = stop - start
            for p in range(P):
                for k in range(nb):
                    theta[p * nb + k] = theta[p * nb + k] - eta[k] * (grad[p * nb + k] / m)
        start = stop


cdef int _train_block(const Net* net, const floating* X, const floating* y,
                      const Py_ssize_t* order, Py_ssize_t n_order, floating* theta,
                      Py_ssize_t b0, Py_ssize_t nb, int loss, Py_ssize_t batch_size,
                      const floating* lr, int schedule, double power_t, long long t0,
                      double* loss_sum, double* n_correct) noexcept nogil:
    """Train lanes [b0, b0 + nb) of theta on order[0:n_order]; 0, or -1 if out of memory.

    Lanes are processed LANES at a time: their parameters are copied into a
    packed buffer that stays in L1 for the whole chunk (one model: no copy
    beyond P values). A short last group is padded with idle lanes (zero
    parameters, zero step) whose results are discarded.
    """
    cdef Py_ssize_t G = 1 if nb == 1 else LANES
    cdef Py_ssize_t P = net.P, g0, gn, k, p
    cdef floating* tl = <floating*> malloc(P * G * sizeof(floating))
    cdef floating* act = <floating*> malloc(net.U * G * sizeof(floating))
    cdef floating* delta = <floating*> malloc(net.U * G * sizeof(floating))
    cdef floating* eta = <floating*> malloc(3 * G * sizeof(floating))
    cdef double* acc = <double*> malloc(2 * G * sizeof(double))
    cdef floating* grad = NULL
    cdef floating* lr_l
    if batch_size > 1:
        grad = <floating*> malloc(P * G * sizeof(floating))
    if (tl == NULL or act == NULL or delta == NULL or eta == NULL or acc == NULL
            or (batch_size > 1 and grad == NULL)):
        free(tl); free(act); free(delta); free(eta); free(acc); free(grad)
        return -1
    lr_l = eta + 2 * G
    g0 = b0
    while g0 < b0 + nb:
        gn = b0 + nb - g0
        if gn > G:
            gn = G
        for p in range(P):
            for k in range(gn):
                tl[p * G + k] = theta[p * net.B + g0 + k]
            for k in range(gn, G):
                tl[p * G + k] = 0
        for k in range(G):
            lr_l[k] = lr[g0 + k] if k < gn else 0
            acc[k] = 0
            acc[G + k] = 0
        if G == 1:
            _train_lanes(net, X, y, order, n_order, tl, 1, loss, batch_size, lr_l, schedule,
                         power_t, t0, acc, acc + G, act, delta, eta, grad)
        else:
            _train_lanes(net, X, y, order, n_order, tl, LANES, loss, batch_size, lr_l, schedule,
                         power_t, t0, acc, acc + G, act, delta, eta, grad)
        for p in range(P):
            for k in range(gn):
                theta[p * net.B + g0 + k] = tl[p * G + k]
        for k in range(gn):
            loss_sum[g0 + k] += acc[k]
            n_correct[g0 + k] += acc[G + k]
        g0 += G
    free(tl); free(act); free(delta); free(eta); free(acc); free(grad)
    return 0


cdef int _forward_block(const Net* net, const floating* X, Py_ssize_t n,
                        const floating* theta, Py_ssize_t b0, Py_ssize_t nb,
                        floating* z) noexcept nogil:
    """z[s, b0 + k] = output of lane k on sample s; 0 or -1 (no memory)."""
    cdef Py_ssize_t s, k
    cdef floating* act = <floating*> malloc(net.U * nb * sizeof(floating))
    cdef floating* out
    if act == NULL:
        return -1
    out = act + net.off_a[net.L - 1] * nb
    for s in range(n):
        _forward(net, X + s * net.d, theta + b0, net.B, nb, act)
        for k in range(nb):
            z[s * net.B + b0 + k] = out[k]
    free(act)
    return 0


# ---------------------------------------------------------------- Python side

cdef class _Layout:
    """Validated architecture: widths, offsets, and the lane blocks per thread."""
    cdef Py_ssize_t[::1] sizes, off_w, off_b, off_a
    cdef Net net

    def __init__(self, sizes, bint has_bias, Py_ssize_t B):
        import numpy as np
        sizes = np.ascontiguousarray(sizes, dtype=np.intp)
        if sizes.ndim != 1 or sizes.shape[0] < 2 or (sizes < 1).any() or sizes[sizes.shape[0] - 1] != 1:
            raise ValueError(f"sizes must be >= 2 positive widths ending in 1, got {sizes!r}")
        if B < 1:
            raise ValueError(f"B must be >= 1, got {B}")
        L = sizes.shape[0] - 1
        n_in, n_out = sizes[:L], sizes[1:]
        fan = n_out * n_in + (n_out if has_bias else 0)
        starts = (np.cumsum(fan) - fan).astype(np.intp)
        self.sizes = sizes
        self.off_w = starts
        self.off_b = (starts + n_out * n_in).astype(np.intp)
        self.off_a = (np.cumsum(n_out) - n_out).astype(np.intp)
        self.net.L = L
        self.net.B = B
        self.net.d = sizes[0]
        self.net.P = int(fan.sum())
        self.net.U = int(sizes[1:].sum())
        self.net.sizes = &self.sizes[0]
        self.net.off_w = &self.off_w[0]
        self.net.off_b = &self.off_b[0]
        self.net.off_a = &self.off_a[0]
        self.net.has_bias = has_bias

    @property
    def n_params(self):
        return self.net.P


cdef _check(bint ok, str message):
    if not ok:
        raise ValueError(message)


def _blocks(Py_ssize_t B, int n_threads):
    """Split lanes into at most n_threads contiguous blocks aligned to 8 lanes."""
    n_threads = max(1, min(n_threads, (B + _LANE_ALIGN - 1) // _LANE_ALIGN))
    per = -(-B // n_threads)
    per = -(-per // _LANE_ALIGN) * _LANE_ALIGN
    starts = np.arange(0, B, per, dtype=np.intp)
    stops = np.minimum(starts + per, B).astype(np.intp)
    return starts, stops


def train_chunk(const floating[:, ::1] X, const floating[::1] y,
                const Py_ssize_t[::1] order, floating[:, ::1] theta,
                sizes, bint has_bias, int loss, Py_ssize_t batch_size,
                const floating[::1] lr, int schedule, double power_t, long long t0,
                double[::1] loss_sum, double[::1] n_correct, int n_threads=1):
    """Train the B models in ``theta`` (shape (P, B)) on ``X[order]``, in place.

    Batches are consecutive runs of ``batch_size`` entries of ``order`` (the
    last may be shorter); ``t0`` is the number of updates made before this
    chunk. Adds each model's summed loss and correct count to ``loss_sum`` and
    ``n_correct``. Returns the number of updates made.
    """
    cdef Py_ssize_t n = X.shape[0], B = theta.shape[1], n_order = order.shape[0]
    cdef Py_ssize_t i, nblk
    cdef _Layout lay = _Layout(sizes, has_bias, B)
    _check(X.shape[1] == lay.net.d, f"X has {X.shape[1]} features, the model {lay.net.d}")
    _check(y.shape[0] == n, f"y has {y.shape[0]} entries, X {n} rows")
    _check(theta.shape[0] == lay.net.P, f"theta has {theta.shape[0]} rows, the model {lay.net.P} parameters")
    _check(lr.shape[0] == B and loss_sum.shape[0] == B and n_correct.shape[0] == B,
           "lr, loss_sum and n_correct need one entry per model")
    _check(0 <= loss <= 3, f"unknown loss code {loss}")
    _check(0 <= schedule <= 1, f"unknown schedule code {schedule}")
    _check(batch_size >= 1, f"batch_size must be >= 1, got {batch_size}")
    _check(t0 >= 0, f"t0 must be >= 0, got {t0}")
    for i in range(n_order):
        _check(0 <= order[i] < n, f"order[{i}] = {order[i]} is outside [0, {n})")
    if n_order == 0:
        return 0
    starts, stops = _blocks(B, n_threads)
    cdef Py_ssize_t[::1] b_start = starts, b_stop = stops
    cdef int[::1] status = np.zeros(len(starts), dtype=np.intc)
    nblk = b_start.shape[0]
    cdef const Net* net = &lay.net
    with nogil:
        for i in prange(nblk, schedule="static", num_threads=nblk):
            status[i] = _train_block(net, &X[0, 0], &y[0], &order[0], n_order, &theta[0, 0],
                                     b_start[i], b_stop[i] - b_start[i], loss, batch_size,
                                     &lr[0], schedule, power_t, t0, &loss_sum[0], &n_correct[0])
    for i in range(nblk):
        if status[i] != 0:
            raise MemoryError("zi-core could not allocate the training scratch buffers")
    return (n_order + batch_size - 1) // batch_size


def forward(const floating[:, ::1] X, const floating[:, ::1] theta, sizes, bint has_bias,
            floating[:, ::1] z, int n_threads=1):
    """Outputs of the B models in ``theta`` on every row of X, written into z (n, B)."""
    cdef Py_ssize_t n = X.shape[0], B = theta.shape[1], i, nblk
    cdef _Layout lay = _Layout(sizes, has_bias, B)
    _check(X.shape[1] == lay.net.d, f"X has {X.shape[1]} features, the model {lay.net.d}")
    _check(theta.shape[0] == lay.net.P, f"theta has {theta.shape[0]} rows, the model {lay.net.P} parameters")
    _check(z.shape[0] == n and z.shape[1] == B, "z must have shape (n_samples, n_models)")
    if n == 0:
        return
    starts, stops = _blocks(B, n_threads)
    cdef Py_ssize_t[::1] b_start = starts, b_stop = stops
    cdef int[::1] status = np.zeros(len(starts), dtype=np.intc)
    nblk = b_start.shape[0]
    cdef const Net* net = &lay.net
    with nogil:
        for i in prange(nblk, schedule="static", num_threads=nblk):
            status[i] = _forward_block(net, &X[0, 0], n, &theta[0, 0], b_start[i],
                                       b_stop[i] - b_start[i], &z[0, 0])
    for i in range(nblk):
        if status[i] != 0:
            raise MemoryError("zi-core could not allocate the forward scratch buffer")


def openmp_enabled():
    """True when the extension was compiled with OpenMP."""
    return bool(zi_has_openmp())


def max_threads():
    """Threads OpenMP would use by default (1 without OpenMP)."""
    return zi_omp_max_threads()
