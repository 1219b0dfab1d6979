"""What every benchmark shares: options, threads, models, records, output.

A benchmark script holds its scenario (its data, its models, its tables); the
steps every scenario takes are here, written once, and each script imports
this module as a sibling (``python benchmarks/bench_x.py`` puts the script's
folder first on ``sys.path``).

The measurements and the statistics are the main job's, so that a figure of
a benchmark can be compared with the same figure of ``skdistill compare``:
one timer (:func:`skdistill.cli._evaluation.latency`: one untimed call, then
timed calls with native thread pools held), one way to count a model's size,
one mean ± sd and one paired interval (:mod:`skdistill.cli._stats`).
"""

import argparse
import json
import math
import os
import re
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def default_data_dir():
    """``$SKDISTILL_DATA``, else ``$SKDISTILL_DATA_DIR``, else ``../shared/data``.

    The last is beside the checkout (relative to the repository's root, not
    to the working directory), where CI keeps its copy of ``shared/``.
    """
    env = os.environ.get("SKDISTILL_DATA") or os.environ.get("SKDISTILL_DATA_DIR")
    return env or str(REPO.parent / "shared" / "data")


def log(text):
    print(text, flush=True)


def log_err(text):
    print(text, file=sys.stderr, flush=True)


# Options


def make_parser(doc, *, quick, json_default=None, threads=False, data_dir=False):
    """The parser of a benchmark with the options every benchmark shares.

    ``quick`` is the help of ``--quick``: small data, seconds, what CI runs.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--json", default=json_default, help="write the figures here")
    if threads:
        parser.add_argument(
            "--threads",
            type=int,
            default=1,
            help="threads of OpenMP, BLAS and TensorFlow (0: their defaults)",
        )
    if data_dir:
        parser.add_argument(
            "--data-dir",
            default=default_data_dir(),
            help="the real tables' folder (default: ../shared/data beside the "
            "checkout, or $SKDISTILL_DATA, or $SKDISTILL_DATA_DIR)",
        )
    return parser


def parse(parser, argv, quick_settings):
    """Parsed options; with ``--quick``, ``quick_settings`` replace theirs."""
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in quick_settings.items():
            setattr(args, name, value)
    return args


def config_of(args):
    """The options as the JSON's ``config``: everything but the output file."""
    return {k: v for k, v in vars(args).items() if k != "json"}


def limit_threads(n, need_keras, file=None):
    """Hold OpenMP, BLAS (and TensorFlow's pools) to ``n`` threads; 0: leave them.

    Returns the limiter, to keep alive for the run.
    """
    if n <= 0:
        return None
    # threadpoolctl limits only the libraries loaded so far: load scikit-learn's
    # OpenMP runtime and SciPy's BLAS first.
    import scipy.linalg  # noqa: F401
    import sklearn.ensemble  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    from threadpoolctl import threadpool_info, threadpool_limits

    if need_keras:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)
    limiter = threadpool_limits(limits=n)
    pools = sorted(
        {f"{p['internal_api']}={p['num_threads']}" for p in threadpool_info()}
    )
    print(f"threads: {', '.join(pools)}", file=file or sys.stdout, flush=True)
    return limiter


def import_keras_timed(log=log):
    """Import Keras and its backend once, and say how long it took."""
    from skdistill.utils._keras import import_keras

    start = time.perf_counter()
    keras = import_keras()
    log(f"importing Keras and TensorFlow: {time.perf_counter() - start:.1f} s")
    return keras


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def write_json(path, payload):
    """``payload`` as indented JSON; NumPy values as numbers, the rest as text."""
    Path(path).write_text(json.dumps(payload, indent=2, default=_plain) + "\n")


# Models


def _task(regression):
    return "regression" if regression else "classification"


def make_teacher(name, seed, *, regression=False, **params):
    """The main job's teacher preset ``name`` (``skdistill compare
    --teacher-model``) with the benchmarks' settings: ``"rf"``, 300 trees
    grown to leaves of one row; ``"hgb"``, 300 boosting iterations, no early
    stopping. ``params`` override those settings."""
    from skdistill.cli._engine._models import make_teacher as preset

    teacher = preset(name, _task(regression), seed, frame=False)
    if name == "rf":
        return teacher.set_params(min_samples_leaf=1, **params)
    settings = {"max_iter": 300, "early_stopping": False}
    return teacher.set_params(**{**settings, **params})


def make_student(name, seed, *, regression=False, **params):
    """A scikit-learn student by name, or None (a Keras student is the caller's).

    The main job's presets (``skdistill compare --students``) without their
    preprocessing: ``tree<depth>``; ``hgb<iterations>``, the ``hgb``
    teacher preset with that many iterations, never stopping early (with
    the default, fits on more than 10,000 rows would stop early and fits on
    the labels alone would not); ``logreg`` and ``ridge``, the ``linear``
    preset.
    """
    from skdistill.cli._engine._models import make_student as preset
    from skdistill.cli._engine._models import make_teacher as teacher_preset

    task = _task(regression)
    if name.startswith("tree"):
        student = preset(name, task, seed=seed, units=None, frame=False)[0]
        return student.set_params(**params)
    if name.startswith("hgb"):
        settings = {"max_iter": int(name[3:]), "early_stopping": False}
        student = teacher_preset("hgb", task, seed, frame=False)
        return student.set_params(**settings, **params)
    if name in ("logreg", "ridge"):
        return preset("linear", task, seed=seed, units=None, frame=False)[0].set_params(
            **params
        )
    return None


def size(model):
    """The main job's size of a fitted model: tree nodes (trees, for
    gradient boosting), weights or coefficients.

    A distiller counts its student; a Pipeline its last step. -1 if unknown.
    """
    from skdistill.cli._evaluation import model_size

    if not hasattr(model, "student_model_"):
        model = getattr(model, "student_", model)
    if hasattr(model, "steps"):
        model = model.steps[-1][1]
    found = model_size(model)
    return -1 if found is None else found["count"]


def predict_ms(model, X, repeats=7):
    """Median ms of ``model.predict`` on 1,000 rows of ``X``: the main job's timer."""
    from skdistill.cli._evaluation import latency

    return latency(model.predict, X, repeats=repeats)["median"]


def without_teacher(model):
    """What ships: a fitted distiller without its teacher (a shallow copy)."""
    import copy

    if not hasattr(model, "teacher_"):
        return model
    light = copy.copy(model)
    light.teacher = None
    light.teacher_ = None
    return light


def make_munge(data, config):
    """Munge for a run: ``munge_size`` rows per labeled row (default: as many as
    unlabeled rows); categorical columns swapped for the neighbour's."""
    from skdistill import Munge

    n_labeled, n_unlabeled = len(data["labeled"][1]), len(data["unlabeled"])
    size = config["munge_size"] or max(1.0, n_unlabeled / n_labeled)
    categorical = np.nonzero(data["categorical"])[0]
    return Munge(
        size=size, categorical_features=categorical if len(categorical) else None
    )


def warm_up_keras(X, y, log=log, **params):
    """One untimed epoch of a tiny network, so that the first timed fit does not
    pay for TensorFlow's start."""
    from skdistill import DistilledClassifier, MLPStudent

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tiny = MLPStudent(hidden_units=(4,))
        model = DistilledClassifier(student=tiny, alpha=1.0, epochs=1, **params)
        model.fit(X, y).predict(X[:10])
    log(f"Keras warm-up: {time.perf_counter() - start:.1f} s")


def timed_fit(model, X, y, **fit_params):
    """Seconds of ``model.fit`` and the warnings it raised."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y, **fit_params)
    return time.perf_counter() - start, caught


def warning_texts(caught):
    return sorted({f"{type(w.message).__name__}: {w.message}" for w in caught})


class Run:
    """One data set and seed of a scenario: the records of its fits.

    ``tags`` (data set, seed, ...) head every record; a scenario's subclass
    fits its teacher and its students and calls :meth:`tag` on each figure.
    """

    def __init__(self, tags, config, log=log):
        self.tags, self.config, self.log = dict(tags), config, log

    def tag(self, record):
        return {**self.tags, **record}

    @property
    def where(self):
        """``[nass seed 0]``: the tags, as the log lines begin."""
        words = (f"seed {v}" if k == "seed" else str(v) for k, v in self.tags.items())
        return f"[{' '.join(words)}]"


def status_kib(*fields):
    """Fields of this process's ``/proc/self/status`` (``VmRSS``, ``VmHWM``),
    in KiB."""
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in fields:
                values[name] = int(rest.split()[0])
    return values


def local_cluster(n_workers=2, **params):
    """A ``distributed.LocalCluster`` of worker processes with one thread
    each, on loopback and without a dashboard; ``params`` go to it."""
    import distributed

    return distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        **params,
    )


# Statistics


def spread(values, population=False):
    """Mean and sd (``mean_sd``) of the values that are not None; None if none.

    ``population``: the sd of the values themselves (``ddof=0``), the figure
    some docs pages quote, from the sample sd.
    """
    from skdistill.cli._stats import mean_sd

    values = [v for v in values if v is not None]
    if not values:
        return None
    found = mean_sd(values)
    n = len(values)
    sd = found["sd"] * math.sqrt((n - 1) / n) if population else found["sd"]
    return found["mean"], sd


def summarize(records, keys, figures, *, population=False, single_sd=0.0):
    """Mean and sd over seeds of each group of records with equal ``keys``."""
    groups = {}
    for r in records:
        groups.setdefault(tuple(r.get(k) for k in keys), []).append(r)
    summary = []
    for key, rows in groups.items():
        entry = dict(zip(keys, key, strict=True))
        entry["seeds"] = [r["seed"] for r in rows]
        for figure in figures:
            found = spread([r.get(figure) for r in rows], population)
            if found is not None:
                n = sum(r.get(figure) is not None for r in rows)
                entry[f"{figure}_mean"] = found[0]
                entry[f"{figure}_sd"] = found[1] if n > 1 else single_sd
        summary.append(entry)
    return summary


def paired(rows_a, rows_b, metrics):
    """Paired differences ``a - b`` (rows matched by seed) and 95% t-intervals."""
    from skdistill.cli._stats import paired_interval

    out = {}
    for metric in metrics:
        diffs = [a[metric] - b[metric] for a, b in zip(rows_a, rows_b, strict=True)]
        found = paired_interval(diffs)
        low, high = found["ci95"]
        out[metric] = {
            "per_seed": diffs,
            "mean": found["mean"],
            "ci95": [low, high],
            "detectable": bool(low > 0 or high < 0),
        }
    return out


def has_interval(difference):
    """Whether a :func:`paired` entry has an interval (two seeds or more)."""
    return all(math.isfinite(v) for v in difference["ci95"])


# Output


def markdown(header, rows, align=None):
    """A markdown table; ``align`` a letter a column (l, r, c), or numbers right."""
    if align is None:
        columns = list(zip(*rows, strict=True))
        align = [
            "r" if any(str(c)[:1].isdigit() for c in col) else "l" for col in columns
        ]
    rule = {"l": "---", "r": "---:", "c": ":---:"}
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(rule[a] for a in align) + "|",
    ]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(lines)


def print_warnings(records, where):
    """One line per kind of warning in the records (numbers as #), with the
    fits, named by ``where(record)``, that raised it."""
    caught = {}
    for r in records:
        for w in r.get("warnings", ()):
            key = re.sub(r"\d[\d.e+-]*", "#", w)
            caught.setdefault(key, []).append(where(r))
    if caught:
        print("\nWarnings raised in the timed fits (# stands for numbers):")
    for w, fits in sorted(caught.items()):
        print(f"- {w[:160]} ({len(fits)} fits; {', '.join(sorted(set(fits)))})")


def finish(args, started, payload, log=log):
    """Print the total time and write the JSON (with the elapsed seconds)."""
    elapsed = time.perf_counter() - started
    print(f"\ntotal time {elapsed:.0f} s")
    if args.json:
        write_json(args.json, {"elapsed_seconds": elapsed, **payload})
        log(f"wrote {args.json}")
    return 0
