"""Sweep configuration: parse a TOML file or a dict, validate it, expand it.

A configuration has these tables (all but ``model`` and ``dataset`` optional)::

    name = "he-vs-glorot"                  # free text, kept in the manifest
    description = "..."

    [model]                                 # fixed parameters of engine.ModelSpec
    model = "mlp"
    hidden = [10]
    lr = 0.05
    epochs = 20
    init = "normal(0, 0.1)"

    [grid]                                  # axes: every combination is run
    init = ["he_normal", "glorot_uniform"]
    init_scale = [0.5, 1.0, 2.0]            # weights from scaled(init, factor)
    lr = [0.01, 0.05]
    "dataset.n_samples" = [500, 2000]       # dataset parameters too

    [seeds]
    init_seed = {start = 0, stop = 256}     # int, list, {start, stop[, step]},
    data_seed = [0, 1]                      # {start, count} or "0:256"
    shuffle_seed = 0

    [dataset]
    name = "teacher_mlp"
    n_samples = 2000
    n_features = 10

    [run]                                   # how to run (never part of a run's key)
    engine = "cython"                       # or "numpy" (the reference)
    chunk_size = 1024

``grid`` may also be an array of tables (``[[grid]]``): their products are
concatenated. Everything is checked before any run starts; an error names the
key (``grid.lr[2]``, ``model.init`` ...) and the problem.

A *run* is one point of the grid with one ``(data_seed, shuffle_seed,
init_seed)``. Its canonical specification (every ModelSpec field with defaults
filled in, ``init_scale``, the dataset name with every parameter, the three
seeds) is serialised as sorted, compact JSON; the run's key is the SHA-256 of
that text (first 32 hex digits). Runs that differ only in ``init_seed`` form a
*group*, trained together by ``engine.train_many``.
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import inspect
import itertools
import json
import math
import os
import re
from dataclasses import dataclass, field

try:  # Python >= 3.11
    import tomllib as _toml
except ModuleNotFoundError:  # pragma: no cover - Python 3.9/3.10
    try:
        import tomli as _toml
    except ModuleNotFoundError:
        _toml = None


class ConfigError(ValueError):
    """An invalid sweep configuration; the message names the key."""

    def __init__(self, key, problem):
        self.key = key
        self.problem = problem
        super().__init__(f"{key}: {problem}" if key else problem)


TOP_KEYS = {"name", "description", "model", "grid", "seeds", "dataset", "run"}
SEED_KEYS = ("init_seed", "data_seed", "shuffle_seed")
RUN_KEYS = {"engine", "chunk_size", "jobs", "threads_per_chunk"}
ENGINES = ("cython", "numpy")
MODELS = ("perceptron", "linear", "logistic", "mlp")
LOSSES = ("logistic", "squared", "hinge")
SCHEDULES = ("constant", "invscaling")
DTYPES = ("float64", "float32")
TASKS = ("classification", "regression")

# Types of ModelSpec fields, used to canonicalise values (1 and 1.0 are one lr)
# and to check them. Fields ModelSpec has that are not listed here are passed
# through unchecked (ModelSpec itself still validates them).
_FLOAT = {"lr", "power_t", "tol", "init_scale"}
_INT = {"epochs", "batch_size"}
_BOOL = {"bias", "shuffle", "fit_intercept"}
_CHOICE = {"model": MODELS, "loss": LOSSES, "lr_schedule": SCHEDULES,
           "dtype": DTYPES, "task": TASKS}
_INIT = {"init", "bias_init"}

# The fallback field list (ARCHITECTURE.md) if ModelSpec is not a dataclass.
_FALLBACK_FIELDS = {
    "model": "mlp", "hidden": (), "loss": None, "bias": True, "lr": 0.01,
    "epochs": 10, "batch_size": 1, "lr_schedule": "constant", "power_t": 0.5,
    "tol": 1e-4, "init": "zeros", "bias_init": "zeros", "shuffle": False,
    "dtype": "float64", "task": None,
}
_SEED_PLACEHOLDER = '"__zi_init_seed__"'


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------

def load_config(source) -> dict:
    """Return the raw config dict from a TOML path, TOML text or a dict."""
    if isinstance(source, SweepConfig):
        return copy.deepcopy(source.raw)
    if isinstance(source, dict):
        return copy.deepcopy(source)
    if isinstance(source, (str, os.PathLike)):
        text = None
        path = os.fspath(source)
        if "\n" not in path and os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ConfigError(None, f"{path}: not UTF-8 text ({exc})") from None
        elif "\n" in path or "=" in path:
            text = path
            path = "<string>"
        else:
            raise FileNotFoundError(f"sweep config {path!r} does not exist")
        if _toml is None:  # pragma: no cover
            raise ImportError("reading TOML needs Python >= 3.11 or `pip install tomli`")
        try:
            return _toml.loads(text)
        except _toml.TOMLDecodeError as exc:
            raise ConfigError(None, f"{path}: invalid TOML: {exc}") from None
    raise TypeError(f"a sweep config is a TOML path or a dict, not {type(source).__name__}")


# --------------------------------------------------------------------------
# Helpers reaching the rest of zi_core (imported lazily: they may be absent)
# --------------------------------------------------------------------------

def _engine():
    from .. import engine
    return engine


def model_fields() -> dict:
    """ModelSpec's field names and defaults."""
    try:
        spec_cls = _engine().ModelSpec
    except ImportError:
        return dict(_FALLBACK_FIELDS)
    if dataclasses.is_dataclass(spec_cls):
        out = {}
        for f in dataclasses.fields(spec_cls):
            if not f.init:
                continue
            if f.default is not dataclasses.MISSING:
                out[f.name] = f.default
            elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
                out[f.name] = f.default_factory()  # type: ignore[misc]
            else:
                out[f.name] = None
        return out
    sig = inspect.signature(spec_cls)
    return {n: (p.default if p.default is not inspect.Parameter.empty else None)
            for n, p in sig.parameters.items() if n not in ("self",)}


def dataset_function(name, key="dataset.name"):
    from .. import datasets
    try:
        fn = datasets.get(name)
    except (KeyError, ValueError) as exc:
        raise ConfigError(key, f"unknown dataset {name!r} ({_msg(exc)})") from None
    return fn


def _msg(exc):
    return exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)


def check_init(value, key):
    """Check an initializer spec (or a per-layer list); return its canonical form.

    The canonical form is the initializer's ``repr`` (which ``zi_core.init.get``
    parses back), without ``()`` when it has no parameters: "normal(0, 0.1)",
    "normal(0,0.1)" and "normal(std=0.1)" are one run, "xavier_uniform" is
    "glorot_uniform".
    """
    from .. import init as zinit
    if isinstance(value, list):
        if not value:
            raise ConfigError(key, "an empty list of initializers")
        return [check_init(v, f"{key}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str):
        raise ConfigError(key, f"an initializer is a name or a string like "
                               f"'normal(0, 0.1)', not {value!r}")
    try:
        text = repr(zinit.get(value))
    except (KeyError, ValueError, TypeError) as exc:
        raise ConfigError(key, f"unknown or invalid initializer {value!r} ({_msg(exc)})") from None
    return text[:-2] if text.endswith("()") else text


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------

def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_model_value(name, value, key):
    """Canonicalise and check one model parameter; returns the value."""
    if name in _FLOAT:
        if not _is_num(value) or not math.isfinite(value):
            raise ConfigError(key, f"expected a finite number, got {value!r}")
        value = float(value)
        if name == "lr" and value <= 0:
            raise ConfigError(key, f"must be > 0, got {value!r}")
        if name in ("tol", "power_t", "init_scale") and value < 0:
            raise ConfigError(key, f"must be >= 0, got {value!r}")
        return value
    if name in _INT:
        if not _is_int(value):
            raise ConfigError(key, f"expected an integer, got {value!r}")
        if value < 1:
            raise ConfigError(key, f"must be >= 1, got {value!r}")
        return int(value)
    if name in _BOOL:
        if not isinstance(value, bool):
            raise ConfigError(key, f"expected true or false, got {value!r}")
        return value
    if name in _CHOICE:
        if value is None and name in ("loss", "task"):
            return None
        if value not in _CHOICE[name]:
            raise ConfigError(key, f"{value!r} is not one of {', '.join(_CHOICE[name])}")
        return value
    if name == "hidden":
        if _is_int(value):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(_is_int(h) for h in value):
            raise ConfigError(key, f"expected a list of layer widths like [10] or [10, 10], got {value!r}")
        if any(h < 1 for h in value):
            raise ConfigError(key, f"layer widths must be >= 1, got {list(value)!r}")
        return [int(h) for h in value]
    if name in _INIT:
        return check_init(value, key)
    # other ModelSpec fields: only require JSON-able plain values
    _check_plain(value, key)
    return value


def _check_plain(value, key):
    if isinstance(value, (str, bool, int)) or value is None:
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(key, f"expected a finite number, got {value!r}")
        return
    if isinstance(value, list):
        for i, v in enumerate(value):
            _check_plain(v, f"{key}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _check_plain(v, f"{key}.{k}")
        return
    raise ConfigError(key, f"unsupported value {value!r}")


def parse_seeds(value, key):
    """An int, a list of ints, {start, stop[, step]}, {start, count} or "a:b"."""
    if _is_int(value):
        seeds = [value]
    elif isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+)\s*(?::|\.\.)\s*(\d+)\s*", value)
        if not m:
            raise ConfigError(key, f"expected 'start:stop' (stop excluded), got {value!r}")
        seeds = list(range(int(m.group(1)), int(m.group(2))))
    elif isinstance(value, list):
        for i, s in enumerate(value):
            if not _is_int(s):
                raise ConfigError(f"{key}[{i}]", f"a seed is an integer, got {s!r}")
        seeds = list(value)
    elif isinstance(value, dict):
        extra = set(value) - {"start", "stop", "step", "count"}
        if extra:
            raise ConfigError(f"{key}.{sorted(extra)[0]}", "unknown key (use start, stop, step or count)")
        for k, v in value.items():
            if not _is_int(v):
                raise ConfigError(f"{key}.{k}", f"expected an integer, got {v!r}")
        start = value.get("start", 0)
        step = value.get("step", 1)
        if step < 1:
            raise ConfigError(f"{key}.step", f"must be >= 1, got {step}")
        if ("stop" in value) == ("count" in value):
            raise ConfigError(key, "give exactly one of 'stop' and 'count'")
        stop = value["stop"] if "stop" in value else start + step * value["count"]
        seeds = list(range(start, stop, step))
    else:
        raise ConfigError(key, f"expected an integer, a list, {{start, stop}} or 'a:b', got {value!r}")
    if not seeds:
        raise ConfigError(key, "no seeds (empty range or list)")
    seen = set()
    for s in seeds:
        if s < 0:
            raise ConfigError(key, f"seeds must be >= 0, got {s}")
        if s >= 2 ** 63:
            raise ConfigError(key, f"seed {s} is too large (max 2**63 - 1)")
        if s in seen:
            raise ConfigError(key, f"duplicate seed {s}")
        seen.add(s)
    return seeds


# --------------------------------------------------------------------------
# The parsed configuration
# --------------------------------------------------------------------------

@dataclass
class Group:
    """Runs that differ only in init_seed: one (group spec, init seeds)."""

    spec: dict           # canonical spec without init_seed
    init_seeds: list
    label: dict          # the grid values of this point (for summaries)

    def __post_init__(self):
        text = json.dumps(dict(self.spec, init_seed="__zi_init_seed__"),
                          sort_keys=True, separators=(",", ":"), allow_nan=False)
        self._template = text
        self.group_key = hashlib.sha256(
            json.dumps(self.spec, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]

    def spec_json(self, init_seed: int) -> str:
        return self._template.replace(_SEED_PLACEHOLDER, str(int(init_seed)), 1)

    def key(self, init_seed: int) -> str:
        return run_key(self.spec_json(init_seed))


def run_key(spec_json: str) -> str:
    return hashlib.sha256(spec_json.encode("utf-8")).hexdigest()[:32]


def canonical_json(spec: dict) -> str:
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), allow_nan=False)


@dataclass
class SweepConfig:
    raw: dict
    name: str
    model: dict                    # fixed model parameters (canonical)
    grids: list                    # list of dicts axis -> list of values
    seeds: dict                    # init_seed / data_seed / shuffle_seed -> list
    dataset_name: str
    dataset_params: dict           # fixed dataset parameters (defaults filled)
    run: dict = field(default_factory=dict)
    _fields: dict = field(default_factory=dict, repr=False)

    # -- size ---------------------------------------------------------------
    @property
    def n_points(self) -> int:
        return sum(math.prod(len(v) for v in g.values()) for g in self.grids)

    @property
    def n_groups(self) -> int:
        return self.n_points * len(self.seeds["data_seed"]) * len(self.seeds["shuffle_seed"])

    @property
    def n_runs(self) -> int:
        return self.n_groups * len(self.seeds["init_seed"])

    @property
    def axes(self) -> list:
        out = []
        for g in self.grids:
            for k in g:
                if k not in out:
                    out.append(k)
        return out

    def canonical(self) -> str:
        """The raw config as canonical JSON (stored in the manifest)."""
        return json.dumps(self.raw, sort_keys=True, separators=(",", ":"), default=str)

    @property
    def config_hash(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()[:16]

    # -- expansion ----------------------------------------------------------
    def points(self):
        """Yield (label, model params, init_scale, dataset params) per grid point."""
        for grid in self.grids:
            names = list(grid)
            for combo in itertools.product(*(grid[n] for n in names)):
                label = dict(zip(names, combo))
                model = dict(self.model)
                ds = dict(self.dataset_params)
                scale = model.pop("init_scale", 1.0)
                for n, v in label.items():
                    if n == "init_scale":
                        scale = v
                    elif n.startswith("dataset."):
                        ds[n[len("dataset."):]] = v
                    else:
                        model[n] = v
                if model.get("model") != "mlp" and "hidden" in self._fields:
                    model["hidden"] = []  # only MLPs have hidden layers
                if "task" in self._fields and model.get("task") is None:
                    model["task"] = default_task(model, self.dataset_name)
                yield label, model, scale, ds

    def groups(self):
        """Yield every Group (the runs of one grid point, data seed and shuffle seed)."""
        for label, model, scale, ds in self.points():
            mspec = canonical_model(model, self._fields)
            dspec = {"name": self.dataset_name, "params": ds}
            for data_seed in self.seeds["data_seed"]:
                for shuffle_seed in self.seeds["shuffle_seed"]:
                    spec = {"model": mspec, "init_scale": scale, "dataset": dspec,
                            "data_seed": int(data_seed), "shuffle_seed": int(shuffle_seed)}
                    lab = dict(label)
                    if len(self.seeds["data_seed"]) > 1:
                        lab["data_seed"] = data_seed
                    if len(self.seeds["shuffle_seed"]) > 1:
                        lab["shuffle_seed"] = shuffle_seed
                    yield Group(spec=spec, init_seeds=self.seeds["init_seed"], label=lab)


def default_task(model: dict, dataset_name: str | None = None):
    """Regression for the linear model or a regression data set, else classification."""
    if model.get("model") == "linear":
        return "regression"
    if dataset_name is not None:
        try:
            from .. import datasets
            return getattr(datasets, "TASKS", {}).get(dataset_name, "classification")
        except ImportError:  # pragma: no cover
            pass
    return "classification"


def canonical_model(params: dict, fields: dict | None = None) -> dict:
    """Every ModelSpec field, defaults filled in, values canonical (JSON types)."""
    fields = fields if fields is not None else model_fields()
    out = {}
    for name, default in fields.items():
        v = params.get(name, default)
        if isinstance(v, tuple):
            v = list(v)
        out[name] = v
    if "hidden" in out and out["hidden"] is not None:
        out["hidden"] = [int(h) for h in out["hidden"]]
    return out


def parse(source) -> SweepConfig:
    """Parse and validate a config (TOML path/text or dict). Raises ConfigError."""
    raw = load_config(source)
    if not isinstance(raw, dict):
        raise ConfigError(None, "a sweep config is a table (dict)")
    for k in raw:
        if k not in TOP_KEYS:
            raise ConfigError(k, f"unknown key (expected one of {', '.join(sorted(TOP_KEYS))})")
    name = raw.get("name", "")
    if not isinstance(name, str):
        raise ConfigError("name", f"expected a string, got {name!r}")
    if "model" not in raw:
        raise ConfigError("model", "missing: the model table (e.g. model = \"mlp\") is required")
    if "dataset" not in raw:
        raise ConfigError("dataset", "missing: the dataset table (with its name) is required")
    for t in ("model", "seeds", "dataset", "run"):
        if t in raw and not isinstance(raw[t], dict):
            raise ConfigError(t, f"expected a table, got {raw[t]!r}")

    fields = model_fields()
    allowed_model = set(fields) | {"init_scale"}

    # model (fixed parameters)
    model = {}
    for k, v in raw["model"].items():
        if k not in allowed_model:
            raise ConfigError(f"model.{k}", _unknown(k, allowed_model, "model parameter"))
        model[k] = check_model_value(k, v, f"model.{k}")
    if "model" not in model:
        raise ConfigError("model.model", f"missing: which model to train ({', '.join(MODELS)})")

    # dataset
    ds = dict(raw["dataset"])
    dname = ds.pop("name", None)
    if not isinstance(dname, str):
        raise ConfigError("dataset.name", "missing: the dataset's name (e.g. \"teacher_mlp\")")
    fn = dataset_function(dname)
    dname = dname.strip().lower().replace("-", "_")
    ds_fields = _dataset_params(fn)
    for k, v in ds.items():
        if k == "data_seed":
            raise ConfigError("dataset.data_seed", "data seeds go in [seeds] data_seed")
        if ds_fields is not None and k not in ds_fields:
            raise ConfigError(f"dataset.{k}", _unknown(k, set(ds_fields), f"parameter of dataset {dname!r}"))
        _check_plain(v, f"dataset.{k}")

    # grid
    graw = raw.get("grid", {})
    if isinstance(graw, dict):
        graw_list, prefix = [graw], lambda i: "grid"
    elif isinstance(graw, list) and graw and all(isinstance(g, dict) for g in graw):
        graw_list, prefix = graw, lambda i: f"grid[{i}]"
    else:
        raise ConfigError("grid", "expected a table of axes or a non-empty array of tables")
    grids = []
    for gi, g in enumerate(graw_list):
        axes = {}
        for k, values in g.items():
            key = f"{prefix(gi)}.{k}"
            if not isinstance(values, list):
                raise ConfigError(key, f"a grid axis is a list of values, got {values!r}")
            if not values:
                raise ConfigError(key, "empty axis (give at least one value)")
            if k.startswith("dataset."):
                p = k[len("dataset."):]
                if p in ("name", "data_seed") or (ds_fields is not None and p not in ds_fields):
                    raise ConfigError(key, _unknown(p, set(ds_fields or ()), f"parameter of dataset {dname!r}"))
                for i, v in enumerate(values):
                    _check_plain(v, f"{key}[{i}]")
                checked = list(values)
            elif k in SEED_KEYS:
                raise ConfigError(key, "seeds go in the [seeds] table")
            elif k not in allowed_model:
                raise ConfigError(key, _unknown(k, allowed_model, "grid axis (a model parameter, "
                                                "init_scale or dataset.<param>)"))
            else:
                checked = [check_model_value(k, v, f"{key}[{i}]") for i, v in enumerate(values)]
            seen = []
            for i, v in enumerate(checked):
                if v in seen:
                    raise ConfigError(f"{key}[{i}]", f"duplicate value {values[i]!r}")
                seen.append(v)
            axes[k] = checked
        grids.append(axes)

    # seeds
    sraw = raw.get("seeds", {})
    for k in sraw:
        if k not in SEED_KEYS:
            raise ConfigError(f"seeds.{k}", _unknown(k, set(SEED_KEYS), "seed"))
    seeds = {k: parse_seeds(sraw.get(k, 0), f"seeds.{k}") for k in SEED_KEYS}

    # run options
    run = dict(raw.get("run", {}))
    for k, v in run.items():
        if k not in RUN_KEYS:
            raise ConfigError(f"run.{k}", _unknown(k, RUN_KEYS, "run option"))
    if "engine" in run and run["engine"] not in ENGINES:
        raise ConfigError("run.engine", f"{run['engine']!r} is not one of {', '.join(ENGINES)}")
    for k in ("chunk_size", "jobs", "threads_per_chunk"):
        if k in run and (not _is_int(run[k]) or run[k] < 1):
            raise ConfigError(f"run.{k}", f"expected an integer >= 1, got {run[k]!r}")

    # fill dataset defaults so the run key covers the whole data specification
    ds_full = {}
    if ds_fields is not None:
        for k, d in ds_fields.items():
            if d is not _REQUIRED:
                ds_full[k] = list(d) if isinstance(d, tuple) else d
    ds_full.update(ds)
    for k, d in ds_full.items():
        try:
            json.dumps(d, allow_nan=False)
        except (TypeError, ValueError):
            raise ConfigError(f"dataset.{k}", f"default {d!r} cannot be part of a run key; "
                                              "set it explicitly") from None

    cfg = SweepConfig(raw=raw, name=name, model=model, grids=grids, seeds=seeds,
                      dataset_name=dname, dataset_params=ds_full, run=run, _fields=fields)
    _validate_points(cfg, fn, ds_fields)
    return cfg


class _Required:
    def __repr__(self):
        return "<required>"


_REQUIRED = _Required()


def _dataset_params(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    out = {}
    for n, p in sig.parameters.items():
        if p.kind in (p.VAR_KEYWORD,):
            return None if not out else {**out}
        if p.kind == p.VAR_POSITIONAL or n in ("data_seed", "return_teacher"):
            continue
        out[n] = p.default if p.default is not inspect.Parameter.empty else _REQUIRED
    return out


def _unknown(name, allowed, what):
    import difflib
    close = difflib.get_close_matches(name, sorted(allowed), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {name!r}{hint}"


def _validate_points(cfg: SweepConfig, fn, ds_fields):
    """Check every grid point: its ModelSpec draws initial weights for the first
    init seed, and each distinct data set generates for the first data seed."""
    from .runner import dataset_for
    eng = None
    try:
        eng = _engine()
    except ImportError:
        pass
    if cfg.n_runs == 0:
        raise ConfigError("grid", "the sweep has no runs")
    shapes = {}
    seed0 = cfg.seeds["init_seed"][0]
    for label, model, scale, ds in cfg.points():
        where = _where(label)
        if ds_fields is not None:
            for k, d in ds_fields.items():
                if d is _REQUIRED and k not in ds:
                    raise ConfigError(f"dataset.{k}", "missing (required by dataset "
                                                      f"{cfg.dataset_name!r})")
        dkey = canonical_json(ds)
        if dkey not in shapes:
            try:
                X, _ = dataset_for({"dataset": {"name": cfg.dataset_name, "params": ds},
                                    "data_seed": cfg.seeds["data_seed"][0]})
            except (ValueError, TypeError, KeyError) as exc:
                raise ConfigError(_guess_key(exc, label, "dataset"),
                                  f"dataset {cfg.dataset_name!r} rejects its parameters: "
                                  f"{_msg(exc)}{where}") from None
            shapes[dkey] = X.shape
        if eng is not None:
            try:
                mspec = build_model_spec(model, scale)
                eng.initial_theta(mspec, shapes[dkey][1], [seed0])
            except (ValueError, TypeError, KeyError) as exc:
                raise ConfigError(_guess_key(exc, label, "model"), f"{_msg(exc)}{where}") from None


def _where(label):
    if not label:
        return ""
    return " (at " + ", ".join(f"{k}={v!r}" for k, v in label.items()) + ")"


def _guess_key(exc, label, table):
    text = str(exc)
    for k in label:
        if k.split(".")[-1] in text:
            return f"grid.{k}"
    return table


# --------------------------------------------------------------------------
# From a canonical spec to engine objects
# --------------------------------------------------------------------------

def build_model_spec(model: dict, init_scale: float = 1.0):
    """An engine.ModelSpec from canonical model params (+ the init scale)."""
    eng = _engine()
    params = dict(model)
    if "hidden" in params and params["hidden"] is not None:
        params["hidden"] = tuple(params["hidden"])
    if params.get("task", "x") is None:
        params["task"] = default_task(params)
    if init_scale != 1.0:
        from .. import init as zinit
        init = params.get("init", "zeros")
        if isinstance(init, list):
            params["init"] = [zinit.scaled(zinit.get(i), init_scale) for i in init]
        else:
            params["init"] = zinit.scaled(zinit.get(init), init_scale)
    if isinstance(params.get("init"), list):
        params["init"] = list(params["init"])
    return eng.ModelSpec(**params)


def make_dataset(name: str, params: dict, data_seed: int):
    from .. import datasets
    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in params.items()}
    return datasets.get(name)(**kwargs, data_seed=int(data_seed))
