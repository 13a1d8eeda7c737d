# The compiled core: per-sample (or mini-batch) SGD for B models of one
# architecture on one data set and one sample order, all at once.
#
# Layout and why: the parameters of all models are one array theta[P, B] with
# the model index innermost, so every inner loop runs across models (SIMD
# lanes) with unit stride, and one model is simply B = 1. Each unit of a layer
# is computed by the same sequence of floating-point operations (bias and the
# first half of the inputs, the second half, their sum; docs/choices.md), so
# units that start equal stay bit-for-bit
# equal, and a model's bits never depend on its lane or on B. Threads split
# the lanes, never the samples, so the thread count cannot change a result.
#
# The kernels are C (zi_kernel.h: block drivers; zi_kern.h: the group kernel,
# instantiated for one model and for 1, 2 and 4 native vectors of lanes;
# zi_simd.h: vector helpers, exp and log1p) called under `nogil`; the `def`
# wrappers below check every shape and index before entering them.

import numpy as np
from cython.parallel cimport prange
from libc.stdlib cimport malloc, free
from libc.math cimport sqrt

cdef extern from "zi_omp.h" nogil:
    int zi_omp_max_threads()
    int zi_has_openmp()

cdef extern from "zi_cpu.h":
    const char* ZI_CPU_NAMES
    int zi_cpu_flags()
    int zi_cpu_model(char* vendor, int* family, int* model)

cdef extern from "zi_kernel.h" nogil:
    int ZI_KEEP
    enum: ZI_LOSS_LOGISTIC
    ctypedef struct zi_net:
        Py_ssize_t L
        Py_ssize_t B
        Py_ssize_t d
        Py_ssize_t P
        Py_ssize_t U
        const Py_ssize_t* sizes
        const Py_ssize_t* off_w
        const Py_ssize_t* off_b
        const Py_ssize_t* off_a
        int has_bias
    int zi_train_block_d(const zi_net* net, const double* X, const double* y,
                         const Py_ssize_t* order, Py_ssize_t n_order, double* theta,
                         Py_ssize_t b0, Py_ssize_t nb, int loss, Py_ssize_t batch_size,
                         const double* lr, int schedule, double power_t, long long t0,
                         double* loss_sum, double* n_correct)
    int zi_train_block_f(const zi_net* net, const float* X, const float* y,
                         const Py_ssize_t* order, Py_ssize_t n_order, float* theta,
                         Py_ssize_t b0, Py_ssize_t nb, int loss, Py_ssize_t batch_size,
                         const float* lr, int schedule, double power_t, long long t0,
                         double* loss_sum, double* n_correct)
    int zi_forward_block_d(const zi_net* net, const double* X, Py_ssize_t n,
                           const double* theta, Py_ssize_t b0, Py_ssize_t nb, double* z)
    int zi_forward_block_f(const zi_net* net, const float* X, Py_ssize_t n,
                           const float* theta, Py_ssize_t b0, Py_ssize_t nb, float* z)
    int zi_evaluate_block_d(const zi_net* net, int loss, const double* X, const double* y,
                            Py_ssize_t n, const double* theta, Py_ssize_t b0, Py_ssize_t nb,
                            double* loss_sum, double* n_correct)
    int zi_evaluate_block_f(const zi_net* net, int loss, const float* X, const float* y,
                            Py_ssize_t n, const float* theta, Py_ssize_t b0, Py_ssize_t nb,
                            double* loss_sum, double* n_correct)

ctypedef fused floating:
    float
    double

# Lanes per thread task are rounded to this, so tasks never share a cache line.
DEF LANE_ALIGN = 16
# Lanes per task with several threads: one group of the build's widest kind,
# 4 vectors (AVX2: 16 float64 lanes, 32 float32; AVX-512: 32 and 64), at least
# LANE_ALIGN. Tasks are handed out as threads free up (dynamic schedule): the
# two cores are shared with other tenants, and a core slowed by them then takes
# fewer tasks instead of holding back the other (a model's bits never depend on
# its task). Tasks of one group, not two, halve the work left when one thread
# runs out of tasks; smaller groups than the widest cost more per model (each
# sample's chain is shared by fewer vectors: AVX-512, S_mlp on 2 threads, 16-lane
# tasks 8-10% slower than 32).
cdef extern from "zi_simd.h":
    int ZI_VDL
    int ZI_VFL
    int ZI_FMA
    int ZI_FMA_UPDATE


cdef inline int _train_block(const zi_net* net, const floating* X, const floating* y,
                             const Py_ssize_t* order, Py_ssize_t n_order, floating* theta,
                             Py_ssize_t b0, Py_ssize_t nb, int loss, Py_ssize_t batch_size,
                             const floating* lr, int schedule, double power_t, long long t0,
                             double* loss_sum, double* n_correct) noexcept nogil:
    if floating is double:
        return zi_train_block_d(net, X, y, order, n_order, theta, b0, nb, loss, batch_size,
                                lr, schedule, power_t, t0, loss_sum, n_correct)
    else:
        return zi_train_block_f(net, X, y, order, n_order, theta, b0, nb, loss, batch_size,
                                lr, schedule, power_t, t0, loss_sum, n_correct)


cdef inline int _forward_block(const zi_net* net, const floating* X, Py_ssize_t n,
                               const floating* theta, Py_ssize_t b0, Py_ssize_t nb,
                               floating* z) noexcept nogil:
    if floating is double:
        return zi_forward_block_d(net, X, n, theta, b0, nb, z)
    else:
        return zi_forward_block_f(net, X, n, theta, b0, nb, z)


cdef inline int _evaluate_block(const zi_net* net, int loss, const floating* X, const floating* y,
                                Py_ssize_t n, const floating* theta, Py_ssize_t b0, Py_ssize_t nb,
                                double* loss_sum, double* n_correct) noexcept nogil:
    if floating is double:
        return zi_evaluate_block_d(net, loss, X, y, n, theta, b0, nb, loss_sum, n_correct)
    else:
        return zi_evaluate_block_f(net, loss, X, y, n, theta, b0, nb, loss_sum, n_correct)


# ---------------------------------------------------------------- Python side

cdef class _Layout:
    """Validated architecture: widths and offsets (C arrays, no NumPy work)."""
    cdef Py_ssize_t* buf
    cdef zi_net net

    def __cinit__(self):
        self.buf = NULL

    def __init__(self, sizes, bint has_bias, Py_ssize_t B):
        cdef Py_ssize_t[::1] sz
        cdef Py_ssize_t L, l, P = 0, U = 0, n_in, n_out
        if not (isinstance(sizes, np.ndarray) and sizes.dtype == np.intp and sizes.ndim == 1
                and sizes.flags.c_contiguous):
            sizes = np.ascontiguousarray(sizes, dtype=np.intp)
        if sizes.ndim != 1 or sizes.shape[0] < 2:
            raise ValueError(f"sizes must be >= 2 positive widths ending in 1, got {sizes!r}")
        sz = sizes
        L = sz.shape[0] - 1
        for l in range(L + 1):
            if sz[l] < 1:
                raise ValueError(f"sizes must be >= 2 positive widths ending in 1, got {sizes!r}")
        if sz[L] != 1:
            raise ValueError(f"sizes must be >= 2 positive widths ending in 1, got {sizes!r}")
        if B < 1:
            raise ValueError(f"B must be >= 1, got {B}")
        self.buf = <Py_ssize_t*> malloc((5 * L + 1) * sizeof(Py_ssize_t))
        if self.buf == NULL:
            raise MemoryError()
        for l in range(L + 1):
            self.buf[l] = sz[l]
        for l in range(L):
            n_in = sz[l]
            n_out = sz[l + 1]
            self.buf[L + 1 + l] = P                       # off_w
            self.buf[2 * L + 1 + l] = P + n_out * n_in    # off_b
            self.buf[3 * L + 1 + l] = U                   # off_a
            P += n_out * n_in + (n_out if has_bias else 0)
            U += n_out
        self.net.L = L
        self.net.B = B
        self.net.d = sz[0]
        self.net.P = P
        self.net.U = U
        self.net.sizes = self.buf
        self.net.off_w = self.buf + L + 1
        self.net.off_b = self.buf + 2 * L + 1
        self.net.off_a = self.buf + 3 * L + 1
        self.net.has_bias = has_bias

    def __dealloc__(self):
        free(self.buf)

    @property
    def n_params(self):
        return self.net.P


cdef _check(bint ok, str message):
    if not ok:
        raise ValueError(message)


cdef _Layout _model(sizes, bint has_bias, Py_ssize_t B, Py_ssize_t n_features, Py_ssize_t n_rows,
                    Py_ssize_t n_y, Py_ssize_t n_params):
    """The validated layout of B models, checked against X's shape, y's length
    (n_y < 0: no y) and theta's rows."""
    cdef _Layout lay = _Layout(sizes, has_bias, B)
    _check(n_features == lay.net.d, f"X has {n_features} features, the model {lay.net.d}")
    if n_y >= 0:
        _check(n_y == n_rows, f"y has {n_y} entries, X {n_rows} rows")
    _check(n_params == lay.net.P, f"theta has {n_params} rows, the model {lay.net.P} parameters")
    return lay


cdef _check_step(int loss, int schedule, Py_ssize_t batch_size, long long t0):
    """The training constants: loss and schedule codes, batch size, update count."""
    _check(0 <= loss <= 3, f"unknown loss code {loss}")
    _check(0 <= schedule <= 1, f"unknown schedule code {schedule}")
    _check(batch_size >= 1, f"batch_size must be >= 1, got {batch_size}")
    _check(t0 >= 0, f"t0 must be >= 0, got {t0}")


cdef Py_ssize_t _first_not_sign(const floating* y, const Py_ssize_t* rows, Py_ssize_t m) noexcept nogil:
    """Position i < m of the first y[rows[i]] (y[i] without rows) that is not -1 or +1, or -1."""
    cdef Py_ssize_t i
    cdef floating v
    for i in range(m):
        v = y[rows[i]] if rows != NULL else y[i]
        if not (v == 1 or v == -1):
            return i
    return -1


cdef _check_labels(const floating[::1] y, int loss, const Py_ssize_t* rows, Py_ssize_t m):
    """The logistic loss takes -1/+1 labels: the core computes e^-|y z| as e^-|z|
    (the multiply off the chain from one sample to the next), exact only then.
    Checks the rows a call reads: rows[0:m] (valid indices), or y[0:m] without rows
    (train_chunk is called once per chunk of an epoch: its order, not all of y)."""
    cdef Py_ssize_t bad, r
    if loss != ZI_LOSS_LOGISTIC or m == 0:
        return
    with nogil:
        bad = _first_not_sign(&y[0], rows, m)
    if bad >= 0:
        r = rows[bad] if rows != NULL else bad
        raise ValueError(f"y[{r}] = {y[r]}: the logistic loss takes labels -1 or +1")


cdef Py_ssize_t _first_outside(const Py_ssize_t* idx, Py_ssize_t m, Py_ssize_t n) noexcept nogil:
    """Position of the first of idx[0:m] outside [0, n), or -1: the kernel reads rows unchecked."""
    cdef Py_ssize_t i
    for i in range(m):
        if not (0 <= idx[i] < n):
            return i
    return -1


cdef Py_ssize_t _block_size(Py_ssize_t B, int n_threads, bint f64) noexcept:
    """Lanes per task: all of B for one thread; else B split over n_threads, aligned to
    LANE_ALIGN and at most the dtype's task lanes, so there are tasks to share out as
    threads free up."""
    cdef Py_ssize_t per
    cdef Py_ssize_t task_lanes = 4 * (ZI_VDL if f64 else ZI_VFL)
    if task_lanes < LANE_ALIGN:
        task_lanes = LANE_ALIGN
    if n_threads <= 1 or B <= LANE_ALIGN:
        return B if B > 0 else 1
    per = (B + n_threads - 1) // n_threads
    per = (per + LANE_ALIGN - 1) // LANE_ALIGN * LANE_ALIGN
    return per if per < task_lanes else task_lanes


cdef inline int _team(Py_ssize_t nblk, int n_threads) noexcept nogil:
    return <int>nblk if nblk < n_threads else n_threads


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
    cdef Py_ssize_t i, nblk, per, bad
    cdef int failed = 0, st
    cdef _Layout lay = _model(sizes, has_bias, B, X.shape[1], n, y.shape[0], theta.shape[0])
    _check(lr.shape[0] == B and loss_sum.shape[0] == B and n_correct.shape[0] == B,
           "lr, loss_sum and n_correct need one entry per model")
    _check_step(loss, schedule, batch_size, t0)
    if n_order == 0:
        return 0
    with nogil:
        bad = _first_outside(&order[0], n_order, n)
    if bad >= 0:
        raise ValueError(f"order[{bad}] = {order[bad]} is outside [0, {n})")
    _check_labels(y, loss, &order[0], n_order)
    per = _block_size(B, n_threads, floating is double)
    nblk = (B + per - 1) // per
    cdef const zi_net* net = &lay.net
    with nogil:
        if nblk == 1:
            failed = _train_block(net, &X[0, 0], &y[0], &order[0], n_order, &theta[0, 0],
                                  0, B, loss, batch_size, &lr[0], schedule, power_t, t0,
                                  &loss_sum[0], &n_correct[0])
        else:
            for i in prange(nblk, schedule="dynamic", chunksize=1, num_threads=_team(nblk, n_threads)):
                st = _train_block(net, &X[0, 0], &y[0], &order[0], n_order, &theta[0, 0],
                                  i * per, min(B, i * per + per) - i * per, loss, batch_size,
                                  &lr[0], schedule, power_t, t0, &loss_sum[0], &n_correct[0])
                failed += st != 0   # a reduction: every block's status counts
    if failed != 0:
        raise MemoryError("zi-core could not allocate the training scratch buffers")
    return (n_order + batch_size - 1) // batch_size


cdef inline void _sq_norms(const double* before, Py_ssize_t bs, const floating* theta, Py_ssize_t ts,
                           Py_ssize_t P, Py_ssize_t nb, double* out) noexcept nogil:
    """out[k] = ||before[:, k] - theta[:, k]||, each lane's squares summed in row order."""
    cdef Py_ssize_t p, k
    cdef double dlt
    for k in range(nb):
        out[k] = 0
    for p in range(P):
        for k in range(nb):
            dlt = before[p * bs + k] - <double>theta[p * ts + k]
            out[k] = out[k] + dlt * dlt
    for k in range(nb):
        out[k] = sqrt(out[k])


def update_norms(const double[:, ::1] before, const floating[:, ::1] theta, double[::1] out):
    """out[b] = ||before[:, b] - theta[:, b]|| (the epoch's update norm), as train_epochs computes it."""
    _check(before.shape[0] == theta.shape[0] and before.shape[1] == theta.shape[1]
           and out.shape[0] == theta.shape[1], "before, theta and out must have matching shapes")
    if theta.shape[1] == 0:
        return
    if theta.shape[0] == 0:
        out[:] = 0
        return
    with nogil:
        _sq_norms(&before[0, 0], before.shape[1], &theta[0, 0], theta.shape[1],
                  theta.shape[0], theta.shape[1], &out[0])


cdef int _epochs_block(const zi_net* net, const floating* X, const floating* y,
                       const Py_ssize_t* orders, Py_ssize_t n_rows, Py_ssize_t n_order,
                       floating* theta, Py_ssize_t b0, Py_ssize_t nb, int loss, Py_ssize_t batch_size,
                       const floating* lr, int schedule, double power_t, long long t0,
                       Py_ssize_t E, double* loss_hist, double* correct_hist,
                       double* norm_hist) noexcept nogil:
    """Epochs 0..E-1 of lanes [b0, b0 + nb): rows e of the histories are written for these lanes."""
    cdef Py_ssize_t P = net.P, B = net.B, e, p, k
    cdef long long per_epoch = (n_order + batch_size - 1) // batch_size
    cdef double* before = <double*> malloc(P * nb * sizeof(double) + 1)
    cdef int st = 0
    if before == NULL:
        return -1
    for e in range(E):
        for p in range(P):
            for k in range(nb):
                before[p * nb + k] = theta[p * B + b0 + k]
        for k in range(nb):
            loss_hist[e * B + b0 + k] = 0
            correct_hist[e * B + b0 + k] = 0
        st = _train_block(net, X, y, orders + (e % n_rows) * n_order, n_order, theta, b0, nb,
                          loss, batch_size, lr, schedule, power_t, t0 + e * per_epoch,
                          loss_hist + e * B, correct_hist + e * B)
        if st != 0:
            break
        _sq_norms(before, nb, theta + b0, B, P, nb, norm_hist + e * B + b0)
    free(before)
    return st


def train_epochs(const floating[:, ::1] X, const floating[::1] y,
                 const Py_ssize_t[:, ::1] orders, floating[:, ::1] theta,
                 sizes, bint has_bias, int loss, Py_ssize_t batch_size,
                 const floating[::1] lr, int schedule, double power_t, long long t0,
                 double[:, ::1] loss_hist, double[:, ::1] correct_hist, double[:, ::1] norm_hist,
                 int n_threads=1):
    """Train E = loss_hist.shape[0] whole epochs in one call; epoch e visits ``orders[e % R]``.

    Writes row e of ``loss_hist``, ``correct_hist`` and ``norm_hist`` (each
    (E, B)): every model's summed loss, correct count and update norm of the
    epoch (``update_norms``' arithmetic). No divergence handling: the caller
    checks the results and redoes the epochs one by one if anything is not
    finite. Returns the number of updates made.
    """
    cdef Py_ssize_t n = X.shape[0], B = theta.shape[1], R = orders.shape[0], n_order = orders.shape[1]
    cdef Py_ssize_t E = loss_hist.shape[0], i, nblk, per, bad
    cdef int failed = 0, st
    cdef _Layout lay = _model(sizes, has_bias, B, X.shape[1], n, y.shape[0], theta.shape[0])
    _check(lr.shape[0] == B, "lr needs one entry per model")
    _check(correct_hist.shape[0] == E and norm_hist.shape[0] == E and loss_hist.shape[1] == B
           and correct_hist.shape[1] == B and norm_hist.shape[1] == B,
           "loss_hist, correct_hist and norm_hist must have shape (epochs, n_models)")
    _check(R >= 1 and n_order >= 1, "orders must have at least one row and one entry")
    _check_step(loss, schedule, batch_size, t0)
    _check_labels(y, loss, NULL, y.shape[0])
    with nogil:
        bad = _first_outside(&orders[0, 0], R * n_order, n)
    if bad >= 0:
        raise ValueError(f"orders[{bad // n_order}, {bad % n_order}] = "
                         f"{orders[bad // n_order, bad % n_order]} is outside [0, {n})")
    if E == 0 or B == 0:
        return 0
    per = _block_size(B, n_threads, floating is double)
    nblk = (B + per - 1) // per
    cdef const zi_net* net = &lay.net
    with nogil:
        if nblk == 1:
            failed = _epochs_block(net, &X[0, 0], &y[0], &orders[0, 0], R, n_order, &theta[0, 0], 0, B,
                                   loss, batch_size, &lr[0], schedule, power_t, t0, E, &loss_hist[0, 0],
                                   &correct_hist[0, 0], &norm_hist[0, 0])
        else:
            for i in prange(nblk, schedule="dynamic", chunksize=1, num_threads=_team(nblk, n_threads)):
                st = _epochs_block(net, &X[0, 0], &y[0], &orders[0, 0], R, n_order, &theta[0, 0],
                                   i * per, min(B, i * per + per) - i * per, loss, batch_size, &lr[0],
                                   schedule, power_t, t0, E, &loss_hist[0, 0], &correct_hist[0, 0],
                                   &norm_hist[0, 0])
                failed += st != 0   # a reduction: every block's status counts
    if failed != 0:
        raise MemoryError("zi-core could not allocate the training scratch buffers")
    return E * ((n_order + batch_size - 1) // batch_size)


def forward(const floating[:, ::1] X, const floating[:, ::1] theta, sizes, bint has_bias,
            floating[:, ::1] z, int n_threads=1):
    """Outputs of the B models in ``theta`` on every row of X, written into z (n, B)."""
    cdef Py_ssize_t n = X.shape[0], B = theta.shape[1], i, nblk, per
    cdef int failed = 0, st
    cdef _Layout lay = _model(sizes, has_bias, B, X.shape[1], n, -1, theta.shape[0])
    _check(z.shape[0] == n and z.shape[1] == B, "z must have shape (n_samples, n_models)")
    if n == 0:
        return
    per = _block_size(B, n_threads, floating is double)
    nblk = (B + per - 1) // per
    cdef const zi_net* net = &lay.net
    with nogil:
        if nblk == 1:
            failed = _forward_block(net, &X[0, 0], n, &theta[0, 0], 0, B, &z[0, 0])
        else:
            for i in prange(nblk, schedule="dynamic", chunksize=1, num_threads=_team(nblk, n_threads)):
                st = _forward_block(net, &X[0, 0], n, &theta[0, 0], i * per,
                                    min(B, i * per + per) - i * per, &z[0, 0])
                failed += st != 0   # a reduction: every block's status counts
    if failed != 0:
        raise MemoryError("zi-core could not allocate the forward scratch buffer")


def evaluate(const floating[:, ::1] X, const floating[::1] y, const floating[:, ::1] theta,
             sizes, bint has_bias, int loss, double[::1] loss_sum, double[::1] n_correct,
             int n_threads=1):
    """Add each model's summed loss and correct count on every row of X (no update).

    The same loss functions as training, summed in row order in double, so
    a model's sums never depend on B or the thread count.
    """
    cdef Py_ssize_t n = X.shape[0], B = theta.shape[1], i, nblk, per
    cdef int failed = 0, st
    cdef _Layout lay = _model(sizes, has_bias, B, X.shape[1], n, y.shape[0], theta.shape[0])
    _check(loss_sum.shape[0] == B and n_correct.shape[0] == B,
           "loss_sum and n_correct need one entry per model")
    _check(0 <= loss <= 3, f"unknown loss code {loss}")
    _check_labels(y, loss, NULL, y.shape[0])
    if n == 0:
        return
    per = _block_size(B, n_threads, floating is double)
    nblk = (B + per - 1) // per
    cdef const zi_net* net = &lay.net
    with nogil:
        if nblk == 1:
            failed = _evaluate_block(net, loss, &X[0, 0], &y[0], n, &theta[0, 0], 0, B,
                                     &loss_sum[0], &n_correct[0])
        else:
            for i in prange(nblk, schedule="dynamic", chunksize=1, num_threads=_team(nblk, n_threads)):
                st = _evaluate_block(net, loss, &X[0, 0], &y[0], n, &theta[0, 0], i * per,
                                     min(B, i * per + per) - i * per, &loss_sum[0], &n_correct[0])
                failed += st != 0   # a reduction: every block's status counts
    if failed != 0:
        raise MemoryError("zi-core could not allocate the evaluation scratch buffers")


#: Samples per block of the logistic loss's value: the recorded loss sum of a
#: call depends on where its blocks start, so the engine cuts an epoch into
#: calls of whole blocks (train_chunk's orders; train_epochs cuts at epochs).
LOSS_BLOCK = ZI_KEEP

#: True where this build sums a hidden unit's inputs with fused multiply-adds
#: (avx2, avx512); a build without FMA (baseline) rounds each term twice.
FMA = bool(ZI_FMA)
#: True where this build also updates the weights into hidden units with one
#: fused multiply-add per weight and sample (avx512).
FMA_UPDATE = bool(ZI_FMA_UPDATE)
#: The arithmetic this build trains with. Builds of one arithmetic give each
#: other's bits; builds of different ones differ in the last bits, within SPEC
#: 4's tolerance (docs/choices.md, "Instruction sets"). Evaluation sums depend
#: on FMA alone.
ARITHMETIC = ("fma, hidden updates fused" if FMA_UPDATE else
              "fma" if FMA else "separate multiply and add")


def cpu_flags():
    """The instruction sets the dispatch asks about that this CPU and OS run, by cpuid
    and xgetbv (a set of /proc/cpuinfo flag names), or None where this build cannot tell."""
    cdef int mask = zi_cpu_flags()
    if mask < 0:
        return None
    names = ZI_CPU_NAMES.decode().split()
    return {name for k, name in enumerate(names) if mask & (1 << k)}


def cpu_model():
    """(vendor, family, model) of this CPU by cpuid, e.g. ("AuthenticAMD", 25, 17) for an
    AMD Zen 4, or None where this build cannot tell."""
    cdef char vendor[13]
    cdef int family = 0, model = 0
    if zi_cpu_model(vendor, &family, &model) < 0:
        return None
    return vendor.decode("ascii", "replace"), family, model


def openmp_enabled():
    """True when the extension was compiled with OpenMP."""
    return bool(zi_has_openmp())


def max_threads():
    """Threads OpenMP would use by default (1 without OpenMP)."""
    return zi_omp_max_threads()
