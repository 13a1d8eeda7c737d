"""The NumPy reference: the same math as the compiled core, one model at a time.

Each function mirrors a step of the compiled core (``src_c/zi_kern.h``: forward
pass, loss and its derivative, backward pass, per-sample step, mini-batch
accumulation, the chunk loop) but works on natural shapes (``W_l`` of shape ``(out, in)``) and lets NumPy do
the arithmetic. It is written to be read, not to be fast; tests and benchmarks
use it to check the core (SPEC section 4).
"""
import numpy as np

# Codes shared with the compiled core.
LOSS_CODES = {"perceptron": 0, "squared": 1, "logistic": 2, "hinge": 3}
SCHEDULE_CODES = {"constant": 0, "invscaling": 1}


def forward(Ws, bs, x):
    """Activations of every layer for one sample; the last layer is linear."""
    acts = []
    h = x
    for l, W in enumerate(Ws):
        a = W @ h
        if bs is not None:
            a = a + bs[l]
        if l < len(Ws) - 1:
            a = np.maximum(a, 0)
        acts.append(a)
        h = a
    return acts


def loss_grad(loss, z, y):
    """Loss of one sample and its derivative with respect to the output z."""
    if loss == "squared":
        return 0.5 * (z - y) ** 2, z - y
    if loss == "logistic":
        m = y * z
        if m > 0:
            e = np.exp(-m)
            return np.log1p(e), -y * e / (1.0 + e)
        e = np.exp(m)
        return -m + np.log1p(e), -y / (1.0 + e)
    if loss == "hinge":
        m = y * z
        return (1.0 - m, -y) if m < 1.0 else (0.0, 0.0)
    if loss == "perceptron":
        yhat = 1.0 if z >= 0 else -1.0
        return (0.0 if yhat == y else 1.0), yhat - y
    raise ValueError(f"unknown loss {loss!r}")


def backward(Ws, acts, g):
    """Deltas (d loss / d pre-activation) of every layer, from the old weights."""
    deltas = [None] * len(Ws)
    deltas[-1] = np.array([g])
    for l in range(len(Ws) - 1, 0, -1):
        deltas[l - 1] = (Ws[l].T @ deltas[l]) * (acts[l - 1] > 0)
    return deltas


def sgd_step(Ws, bs, x, acts, deltas, eta):
    """Per-sample update of every parameter, in place."""
    inputs = [x] + acts[:-1]
    for l in range(len(Ws)):
        step = eta * deltas[l]
        Ws[l] -= np.outer(step, inputs[l])
        if bs is not None:
            bs[l] -= step


def accumulate(gWs, gbs, x, acts, deltas):
    """Add one sample's gradient to the mini-batch sums, in place."""
    inputs = [x] + acts[:-1]
    for l in range(len(gWs)):
        gWs[l] += np.outer(deltas[l], inputs[l])
        if gbs is not None:
            gbs[l] += deltas[l]


def train_block(Ws, bs, X, y, order, loss, batch_size, lr, schedule, power_t, t0):
    """Train one model in place on X[order]; returns (loss sum, correct count, updates).

    Same contract as ``_core.train_chunk`` for B = 1.
    """
    loss_sum = 0.0
    n_correct = 0
    t = t0
    n = len(order)
    for start in range(0, n, batch_size):
        batch = order[start:start + batch_size]
        t += 1
        eta = lr / t ** power_t if schedule == "invscaling" else lr
        if batch_size > 1:
            gWs = [np.zeros_like(W) for W in Ws]
            gbs = None if bs is None else [np.zeros_like(b) for b in bs]
        for s in batch:
            x = X[s]
            acts = forward(Ws, bs, x)
            z = acts[-1][0]
            l_s, g = loss_grad(loss, z, y[s])
            loss_sum += l_s
            n_correct += (z >= 0) == (y[s] > 0)
            deltas = backward(Ws, acts, g)
            if batch_size == 1:
                sgd_step(Ws, bs, x, acts, deltas, eta)
            else:
                accumulate(gWs, gbs, x, acts, deltas)
        if batch_size > 1:
            m = len(batch)
            for l in range(len(Ws)):
                Ws[l] -= eta * (gWs[l] / m)
                if bs is not None:
                    bs[l] -= eta * (gbs[l] / m)
    return loss_sum, float(n_correct), t - t0


def predict_raw(Ws, bs, X):
    """Outputs z of one model on every row of X (vectorized forward pass)."""
    H = X
    for l, W in enumerate(Ws):
        H = H @ W.T
        if bs is not None:
            H = H + bs[l]
        if l < len(Ws) - 1:
            H = np.maximum(H, 0)
    return H[:, 0]
