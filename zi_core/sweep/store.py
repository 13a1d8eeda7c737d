"""The sweep store: one SQLite database (WAL mode) per sweep or family of sweeps.

Tables
------
``runs``      one row per run: ``key`` (hash of the run's canonical spec),
              ``spec`` (that canonical JSON), ``status`` (ok/diverged/error),
              ``diverged_epoch``, ``error`` (the message of a run that raised),
              ``final_loss``, ``final_accuracy``, ``converged``,
              ``distinct_units`` (JSON list, one count per hidden layer),
              ``n_epochs`` (history rows), ``wall_time`` (seconds, the run's share
              of its batch), ``weights`` (``np.save`` bytes of the flat final
              parameter vector, layer by layer: W_l row by row, then b_l).
``history``   one row per run: ``key``, ``n_epochs``, and the per-epoch ``loss``,
              ``accuracy``, ``mistakes``, ``update_norm`` as little-endian float64
              blobs of ``n_epochs`` values each (``unpack_history``). One row
              per run, not per epoch, keeps the store's share of a sweep small.
``manifest``  one row per config run into the store: its canonical JSON and the
              zi-core, NumPy and Python versions.
``meta``      store-wide facts: schema version, engine backend.

Every chunk of runs is written in one transaction, so a kill at any moment
leaves the store with whole runs only. Everything but ``wall_time`` is a
deterministic function of the run's spec.
"""
from __future__ import annotations

import io
import json
import os
import sqlite3
import time
import warnings

import numpy as np

SCHEMA_VERSION = 2
APPLICATION_ID = 0x7A690001  # "zi" + 1: marks a zi-core store
SQLITE_MAGIC = b"SQLite format 3\x00"

RUN_COLUMNS = ("key", "spec", "status", "diverged_epoch", "error", "final_loss",
               "final_accuracy", "converged", "distinct_units", "n_epochs",
               "wall_time", "weights")
HISTORY_COLUMNS = ("key", "n_epochs", "loss", "accuracy", "mistakes", "update_norm")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS manifest (
    config_hash     TEXT PRIMARY KEY,
    name            TEXT,
    config          TEXT NOT NULL,
    n_runs          INTEGER,
    zi_core_version TEXT,
    numpy_version   TEXT,
    python_version  TEXT,
    engine          TEXT,
    created         REAL,
    updated         REAL
);
CREATE TABLE IF NOT EXISTS runs (
    key            TEXT PRIMARY KEY,
    spec           TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('ok', 'diverged', 'error')),
    diverged_epoch INTEGER,
    error          TEXT,
    final_loss     REAL,
    final_accuracy REAL,
    converged      INTEGER,
    distinct_units TEXT,
    n_epochs       INTEGER,
    wall_time      REAL,
    weights        BLOB
);
CREATE TABLE IF NOT EXISTS history (
    key         TEXT PRIMARY KEY,
    n_epochs    INTEGER NOT NULL,
    loss        BLOB,
    accuracy    BLOB,
    mistakes    BLOB,
    update_norm BLOB
) WITHOUT ROWID;
"""


def pack_history(values):
    """A history column as stored: little-endian float64 bytes."""
    return np.ascontiguousarray(values, dtype="<f8").tobytes()


def unpack_history(blob):
    """The float64 array of a stored history column."""
    return np.frombuffer(blob, dtype="<f8")


class StoreError(RuntimeError):
    """The store cannot be used: not a zi-core store, corrupt, or wrong engine."""


class StoreLockedError(StoreError):
    """Another process holds the store's write lock for too long."""


def _versions():
    import platform
    try:
        from importlib.metadata import version
        zv = version("zi-core")
    except Exception:
        zv = None
    if not zv:
        try:
            import zi_core
            zv = getattr(zi_core, "__version__", None)
        except Exception:  # pragma: no cover
            zv = None
    return zv or "unknown", np.__version__, platform.python_version()


def _wrap(exc, path, what):
    """Turn an sqlite3 error into a StoreError with a clear message."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreLockedError(
            f"store {path} is locked by another process (another sweep writing to it, "
            f"or an open transaction) and stayed locked while {what}; wait for it to "
            "finish or use another --store")
    if "malformed" in text or "not a database" in text or "file is encrypted" in text \
            or "disk I/O" in text or "corrupt" in text:
        return StoreError(
            f"store {path} is corrupt or torn ({text}) while {what}; it cannot be used "
            "safely. Keep it for inspection and start a new store (or restore a copy)")
    return StoreError(f"store {path}: {text} (while {what})")


class Store:
    """A zi-core sweep store. ``mode="w"`` creates/opens for writing, ``"r"`` reads."""

    def __init__(self, path, mode="w", timeout=30.0, check=True):
        self.path = os.fspath(path)
        self.mode = mode
        self.timeout = float(timeout)
        if mode not in ("r", "w"):
            raise ValueError(f"mode must be 'r' or 'w', not {mode!r}")
        exists = os.path.exists(self.path)
        if mode == "r" and not exists:
            raise FileNotFoundError(f"store {self.path} does not exist")
        if exists:
            if os.path.isdir(self.path):
                raise StoreError(f"store {self.path} is a directory, not a SQLite file")
            size = os.path.getsize(self.path)
            if size > 0:
                with open(self.path, "rb") as f:
                    head = f.read(16)
                if head != SQLITE_MAGIC:
                    raise StoreError(f"store {self.path} is not a SQLite database (torn, "
                                     "truncated or another kind of file)")
                if size < 512:
                    raise StoreError(f"store {self.path} is truncated ({size} bytes)")
            elif mode == "r":
                raise StoreError(f"store {self.path} is empty (0 bytes): not a zi-core store")
        self._header = {}
        try:
            self.conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                        check_same_thread=False)
        except sqlite3.Error as exc:
            raise _wrap(exc, self.path, "opening it") from None
        try:
            self._open(check)
        except sqlite3.Error as exc:
            self.conn.close()
            raise _wrap(exc, self.path, "opening it") from None
        except BaseException:
            self.conn.close()
            raise

    # ------------------------------------------------------------------ open
    def _open(self, check):
        c = self.conn
        c.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        app_id = c.execute("PRAGMA application_id").fetchone()[0]
        n_tables = c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id != APPLICATION_ID:
            if n_tables or self.mode == "r":
                raise StoreError(f"{self.path} is a SQLite database but not a zi-core store "
                                 "(refusing to write into it)")
            # a new store: take the write lock, set WAL, create the schema
            c.execute("PRAGMA journal_mode = WAL")
            c.execute("BEGIN IMMEDIATE")
            for stmt in _SCHEMA.strip().split(";"):
                if stmt.strip():
                    c.execute(stmt)
            c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            c.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            c.execute("INSERT OR REPLACE INTO meta VALUES ('created', ?)", (repr(time.time()),))
            c.execute("COMMIT")
        else:
            version = c.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"store {self.path} has schema version {version}, newer than "
                                 f"this zi-core understands ({SCHEMA_VERSION}); upgrade zi-core")
            if version < SCHEMA_VERSION:
                raise StoreError(f"store {self.path} has schema version {version}, older than this "
                                 f"zi-core's ({SCHEMA_VERSION}); run the sweep into a new --store")
            if self.mode == "w":
                mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode.lower() != "wal":  # pragma: no cover
                    raise StoreError(f"store {self.path}: cannot switch to WAL mode ({mode})")
            if check:
                res = c.execute("PRAGMA quick_check").fetchall()
                if res != [("ok",)]:
                    msg = "; ".join(r[0] for r in res[:3])
                    raise StoreError(f"store {self.path} is corrupt (integrity check: {msg}); "
                                     "start a new store or restore a copy")
            for table, cols in (("runs", RUN_COLUMNS), ("history", HISTORY_COLUMNS)):
                have = [r[1] for r in c.execute(f"PRAGMA table_info({table})")]
                missing = [x for x in cols if x not in have]
                if missing:
                    raise StoreError(f"store {self.path}: table {table} lacks columns {missing}")
        c.execute("PRAGMA synchronous = NORMAL")
        c.execute("PRAGMA cache_size = -16384")  # 16 MiB: faster inserts, bounded memory
        if self.mode == "w":
            # checkpoint every 64 MiB of WAL rather than every 4 MiB: index pages
            # touched by many commits are copied back once (2x faster on large stores)
            c.execute("PRAGMA wal_autocheckpoint = 16384")
        self.meta = dict(c.execute("SELECT name, value FROM meta").fetchall())

    def close(self):
        try:
            self.conn.close()
        except sqlite3.Error:  # pragma: no cover
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ helpers
    def _execute(self, what, fn):
        try:
            return fn()
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                try:
                    self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise _wrap(exc, self.path, what) from None

    def _write(self, what, fn):
        """Run fn inside BEGIN IMMEDIATE ... COMMIT."""
        def body():
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                out = fn()
                self.conn.execute("COMMIT")
            except BaseException:
                # Ctrl-C/SIGTERM can land mid-transaction: undo it, so the
                # write that saves the finished chunks starts clean.
                if self.conn.in_transaction:
                    self.conn.rollback()
                raise
            return out
        return self._execute(what, body)

    # ------------------------------------------------------------------ manifest
    def _bound(self, name, value):
        """The store's meta value `name`, set to `value` by the first sweep that asks."""
        if self.meta.get(name) is None:
            self._write(f"recording the {name}", lambda: self.conn.execute(
                "INSERT OR IGNORE INTO meta VALUES (?, ?)", (name, value)))
            self.meta = dict(self.conn.execute("SELECT name, value FROM meta").fetchall())
        return self.meta.get(name)

    def check_engine(self, engine):
        """Bind the store to one engine backend: results differ (slightly) between them."""
        have = self._bound("engine", engine)
        if have != engine:
            raise StoreError(f"store {self.path} holds runs trained with the {have!r} engine; "
                             f"this sweep asks for {engine!r}. The engines agree to 1e-10, not bit "
                             "for bit, so they do not share a store: use another --store or "
                             f"engine = {have!r}")
        if engine == "cython":
            self._check_arithmetic()

    def _check_arithmetic(self):
        """Record the compiled core's arithmetic (where it fuses multiply-adds); warn on
        a change.

        Each build trains with its arithmetic: baseline (no FMA), avx2 (fused hidden
        sums), avx512 (fused hidden sums and updates). Builds of one arithmetic give
        each other's bits, others differ by about 1e-15: a sweep resumed on another
        kind of CPU still runs, but its new runs are not the bits one uninterrupted
        run would store."""
        from .. import _dispatch
        separate = "separate multiply and add"
        arith = _dispatch.core().ARITHMETIC
        # runs without a recorded arithmetic are zi-core 0.2's or older: no build fused
        old_runs = self.meta.get("arithmetic") is None and self.manifest()
        have = self._bound("arithmetic", separate if old_runs else arith)
        if have != arith:
            warnings.warn(
                f"store {self.path} was started by a compiled core with {have} arithmetic; this "
                f"one ({_dispatch.variant()}) has {arith}. New runs differ from what one "
                "uninterrupted run would store in the last bits (about 1e-15 relative). "
                "ZI_CORE_VARIANT picks a variant (docs/choices.md).", RuntimeWarning, stacklevel=3)

    def record_manifest(self, config_hash, name, config_json, n_runs, engine):
        zv, nv, pv = _versions()
        now = time.time()
        old = self._execute("reading the manifest", lambda: self.conn.execute(
            "SELECT zi_core_version, numpy_version FROM manifest WHERE config_hash = ?",
            (config_hash,)).fetchone())
        if old is not None and (old[0] != zv or old[1] != nv):
            warnings.warn(
                f"store {self.path} was started with zi-core {old[0]} / NumPy {old[1]}; this is "
                f"zi-core {zv} / NumPy {nv}. New runs may differ in the last bits from a "
                "single uninterrupted run.", RuntimeWarning, stacklevel=3)

        def body():
            if old is None:
                self.conn.execute(
                    "INSERT INTO manifest VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (config_hash, name, config_json, n_runs, zv, nv, pv, engine, now, now))
            else:
                self.conn.execute("UPDATE manifest SET updated = ? WHERE config_hash = ?",
                                  (now, config_hash))
        self._write("writing the manifest", body)

    def manifest(self):
        cur = self._execute("reading the manifest", lambda: self.conn.execute(
            "SELECT * FROM manifest ORDER BY created"))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    # ------------------------------------------------------------------ runs
    def existing(self, keys, statuses=None):
        """The subset of ``keys`` already stored (optionally only with these statuses)."""
        out = set()
        keys = list(keys)
        step = 900
        where = ""
        if statuses:
            where = " AND status IN (" + ",".join("?" * len(statuses)) + ")"
        for i in range(0, len(keys), step):
            part = keys[i:i + step]
            sql = f"SELECT key FROM runs WHERE key IN ({','.join('?' * len(part))}){where}"
            args = part + list(statuses or [])
            out.update(r[0] for r in self._execute(
                "reading run keys", lambda: self.conn.execute(sql, args).fetchall()))
        return out

    def delete(self, keys):
        keys = list(keys)

        def body():
            for i in range(0, len(keys), 900):
                part = keys[i:i + 900]
                marks = ",".join("?" * len(part))
                self.conn.execute(f"DELETE FROM history WHERE key IN ({marks})", part)
                self.conn.execute(f"DELETE FROM runs WHERE key IN ({marks})", part)
        self._write("deleting runs", body)

    def write(self, run_rows, history_rows):
        """Insert whole runs (and their history) in one transaction."""
        def body():
            self.conn.executemany(
                f"INSERT OR IGNORE INTO runs ({','.join(RUN_COLUMNS)}) VALUES "
                f"({','.join('?' * len(RUN_COLUMNS))})", run_rows)
            if history_rows:
                self.conn.executemany(
                    "INSERT OR IGNORE INTO history VALUES (?,?,?,?,?,?)", history_rows)
        self._write("writing results", body)

    def count(self):
        return self._execute("counting runs", lambda: self.conn.execute(
            "SELECT count(*) FROM runs").fetchone()[0])

    def status_counts(self, keys=None):
        if keys is None:
            rows = self._execute("counting runs", lambda: self.conn.execute(
                "SELECT status, count(*) FROM runs GROUP BY status").fetchall())
            return dict(rows)
        out = {}
        keys = list(keys)
        for i in range(0, len(keys), 900):
            part = keys[i:i + 900]
            for st, n in self._execute("counting runs", lambda: self.conn.execute(
                    f"SELECT status, count(*) FROM runs WHERE key IN ({','.join('?' * len(part))}) "
                    "GROUP BY status", part).fetchall()):
                out[st] = out.get(st, 0) + n
        return out

    def query(self, sql, args=()):
        cur = self._execute("reading", lambda: self.conn.execute(sql, args))
        return cur


# ---------------------------------------------------------------------- blobs

_HEADERS = {}


def npy_header(dtype, n):
    """The bytes np.save writes before the data of a 1-D array of n items."""
    key = (np.dtype(dtype).str, int(n))
    h = _HEADERS.get(key)
    if h is None:
        buf = io.BytesIO()
        np.save(buf, np.zeros(n, dtype=dtype))
        data = buf.getvalue()
        h = data[:len(data) - np.dtype(dtype).itemsize * n]
        if len(_HEADERS) > 256:
            _HEADERS.clear()
        _HEADERS[key] = h
    return h


def decode_weights(blob):
    """The flat parameter vector from a weights blob (None stays None)."""
    if blob is None:
        return None
    return np.load(io.BytesIO(blob), allow_pickle=False)


def unflatten(theta, sizes, bias):
    """Split a flat parameter vector into ([W_1..W_L], [b_1..b_L] or None)."""
    from ..engine import offsets, unpack  # the one place that knows the layout

    n_params = offsets(sizes, bias)[1]
    if theta.size != n_params:
        raise ValueError(f"weights have {theta.size} values, the architecture {n_params}")
    Ws, bs = unpack(theta.reshape(n_params, 1), sizes, bias)
    return [W[0] for W in Ws], ([b[0].copy() for b in bs] if bias else None)


def spec_sizes(spec, n_params):
    """Layer sizes of a run from its spec and parameter count (n_features inferred)."""
    m = spec["model"]
    hidden = list(m.get("hidden") or []) if m.get("model") == "mlp" else []
    bias = bool(m.get("bias", True))
    # P = sum_l out_l * (in_l + bias); only in_0 = n_features is unknown
    first_out = hidden[0] if hidden else 1
    rest, prev = 0, first_out
    for h in hidden[1:] + [1]:
        rest += h * (prev + bias)
        prev = h
    d = (n_params - rest) / first_out - bias
    if d != int(d) or d < 1:
        raise ValueError("cannot infer the layer sizes from the spec")
    return [int(d)] + hidden + [1], bias


def to_json(obj):
    return json.dumps(obj, separators=(",", ":"))


def snapshot(path):
    """Every deterministic field of a store, sorted: (runs rows, history rows).

    Two stores of the same runs compare equal (bit for bit: weights blobs and
    floats exactly) whatever the threads, chunking, order or interruptions
    that produced them. ``wall_time`` and the manifest are left out.
    """
    cols = [c for c in RUN_COLUMNS if c != "wall_time"]
    with Store(path, mode="r", check=False) as st:
        runs = st.query(f"SELECT {', '.join(cols)} FROM runs ORDER BY key").fetchall()
        hist = st.query("SELECT * FROM history ORDER BY key").fetchall()
    return runs, hist
