"""Real tables as pandas frames: distilling into students that read them raw.

Two real, imbalanced binary tables (``../shared/data``): NASS car-crash
occupants (``nass_cds.csv.gz``, target ``dead``; ``injSeverity`` and
``caseid`` leak or identify the outcome and are dropped) and Lending Club
loans (``lending_club.csv.gz``, target ``Class``, positive class ``bad``),
read with pandas: string columns become ``category`` columns and missing
values stay NaN.

Per seed each table is split, stratified by the target, into test rows
(25%), teacher rows (40%), the owner's labeled rows (1,000) and, of the rest,
at most 8,000 unlabeled transfer rows. The teacher is
``HistGradientBoostingClassifier(categorical_features="from_dtype",
early_stopping=True)`` fitted on the teacher rows' raw frame. Early stopping
is scikit-learn's default above 10,000 rows, so on NASS (10,487 teacher
rows) this is the default teacher; on Lending Club's 3,943 the default runs
all 100 iterations and its test log-loss (0.27 to 0.28 over three seeds) is
worse than predicting the base rate (0.21), so early stopping is asked for
(``--teacher-early-stopping auto`` restores the default). Three students,
each trained two ways:

* ``labels``: on the owner's labels alone, the user's real alternative: the
  scikit-learn student's own ``fit``, or for the network
  ``DistilledClassifier(teacher=None, alpha=1)``;
* ``distilled``: ``DistilledClassifier(teacher=..., alpha=0.1)`` on the
  labeled rows with the unlabeled rows as ``X_unlabeled``.

The students:

* ``tree``: ``make_pipeline(ColumnTransformer(one-hot, impute + scale),
  DecisionTreeClassifier(max_depth=6))``;
* ``hgb20``: ``HistGradientBoostingClassifier(categorical_features=
  "from_dtype", max_iter=20, early_stopping=False)``, the frame's categories
  read natively (``early_stopping=False``: with the default ``"auto"``, an
  expanded fit of more than 10,000 entries would stop early and a fit on the
  labels alone would not);
* ``mlp``: ``MLPStudent(hidden_units=(64,))`` with ``preprocessor=`` the same
  ColumnTransformer (``OneHotEncoder(handle_unknown="ignore")`` on the
  categorical columns, ``SimpleImputer`` and ``StandardScaler`` on the
  numbers), the library's default training (at most 200 epochs, early
  stopping).

Each runs on two paths over the same rows: ``frame``, the raw frame into the
teacher and the student as above; and ``onehot``, the path before frames
were taken: one ColumnTransformer (the same one) fitted on the teacher's
rows, its float matrices into a teacher of the same settings fitted on them
(no native categories), into ``DistilledClassifier`` and into the students
(the tree and ``hgb20`` without the pipeline or native categories, the
network without a preprocessor). On the ``frame`` path the students'
encoders (the tree's pipeline step, the network's ``preprocessor``) are
fitted on the rows each student trains on: the labeled rows alone, or with
the unlabeled rows, which can show categories the labeled rows lack (hence a
few more network weights when distilled). Baselines, on the owner's labels:
``HistGradientBoostingClassifier(categorical_features="from_dtype")``
(``hgb``, 100 iterations) and ``make_pipeline(ColumnTransformer,
MLPClassifier((64,)))`` (``mlp_sklearn``).

Figures, mean ± sd (``ddof=1``) over seeds: test ROC AUC, log-loss and
accuracy; the pickled bytes of what predicts from the raw rows (the fitted
``DistilledClassifier`` without its teacher, which a plain pickle carries
along, see the teachers' rows; on the ``onehot`` path with the outer
ColumnTransformer); tree nodes, boosting nodes or network weights; predict
time per 1,000 raw rows (median of 7 calls after two warm-up calls; on the
``onehot`` path including the outer encoding); fit time. Paired differences
over seeds, with 95% t-intervals: distilled − labels for each student and
path, and frame − onehot for each student and method; an interval that
covers 0 reads "no difference detectable".

The scikit-learn students are distilled at ``temperature=1`` (``--temperature``):
such a student predicts the probabilities it was fitted on, so a temperature
above 1 softens what it predicts, not only what it learns (the user guide's
students page); the network at the library's default, 4
(``--keras-temperature``). Fit times exclude the teacher's pass: its outputs
on the owner's rows are computed once per seed and path before the timed fits
and the library's teacher cache serves them (the pass's time is logged and
kept in the JSON). By default numerical libraries run on one thread
(``--threads``).

Run::

    python benchmarks/bench_tables.py --json bench_tables.json

``--quick`` runs one seed with at most 50 epochs. Tables go to stdout,
progress to stderr. The data are read from ``--data-dir`` (default
``$SKDISTILL_DATA``, else ``$SKDISTILL_DATA_DIR``, else ``../shared/data``
beside the checkout).
"""

import argparse
import contextlib
import copy
import math
import os
import pickle
import re
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from bench_regression import paired_interval  # noqa: E402
from bench_students import (  # noqa: E402
    _limit_threads,
    _split_rows,
    write_json,  # noqa: E402
)
from bench_students import model_size as _fitted_size  # noqa: E402
from bench_transfer import predict_ms_per_1000  # noqa: E402

ROOT = BENCH_DIR.parent

TABLES = {
    "nass": {
        "file": "nass_cds.csv.gz",
        "target": "dead",
        "positive": "dead",
        # injSeverity is the injury outcome; caseid identifies the crash.
        "drop": ["injSeverity", "caseid"],
    },
    "lending": {
        "file": "lending_club.csv.gz",
        "target": "Class",
        "positive": "bad",
        "drop": [],
    },
}
PATHS = ("frame", "onehot")
STUDENTS = ("tree", "hgb20", "mlp")
BASELINES = ("hgb", "mlp_sklearn")
METHODS = ("labels", "distilled")
METRICS = ("roc_auc", "log_loss", "accuracy")
FIGURES = (*METRICS, "pickled_bytes", "size", "predict_ms_per_1000", "fit_seconds")


# ---------------------------------------------------------------------------
# Data


def load_table(name, data_dir):
    """The table as a frame (strings as categories, NaN kept) and a 0/1 target."""
    import pandas as pd

    spec = TABLES[name]
    frame = pd.read_csv(Path(data_dir) / spec["file"])
    y = (frame.pop(spec["target"]) == spec["positive"]).to_numpy().astype(np.int64)
    frame = frame.drop(columns=spec["drop"])
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].astype("category")
    return frame, y


def split(frame, y, config, seed):
    """Stratified test, teacher, labeled and unlabeled rows (frames and targets)."""
    n = len(y)
    test, teacher, labeled, rest = _split_rows(
        y,
        [
            int(round(config["test_share"] * n)),
            int(round(config["teacher_share"] * n)),
            config["n_labeled"],
        ],
        seed,
    )
    if len(rest) > config["max_unlabeled"]:
        rest = rest[_split_rows(y[rest], [config["max_unlabeled"]], seed)[0]]

    def rows(index):
        return frame.iloc[index].reset_index(drop=True), y[index]

    X_u, _ = rows(rest)
    return {
        "teacher": rows(teacher),
        "labeled": rows(labeled),
        "unlabeled": X_u,
        "test": rows(test),
    }


def make_encoder(frame):
    """One-hot categorical columns; impute and scale the numbers."""
    import pandas as pd
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    categorical = [
        c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)
    ]
    return make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
        remainder=make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
    )


# ---------------------------------------------------------------------------
# Models and figures


def make_teacher(seed, early_stopping):
    """The teacher of both paths.

    On the one-hot matrix, which has no category columns, ``"from_dtype"``
    finds none.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        categorical_features="from_dtype",
        early_stopping=True if early_stopping == "on" else "auto",
        random_state=seed,
    )


def make_student(name, path, encoder, seed):
    """The unfitted scikit-learn student, or None for the network."""
    from sklearn.base import clone
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.tree import DecisionTreeClassifier

    if name == "tree":
        tree = DecisionTreeClassifier(max_depth=6, random_state=seed)
        return make_pipeline(clone(encoder), tree) if path == "frame" else tree
    if name == "hgb20":
        return HistGradientBoostingClassifier(
            categorical_features="from_dtype",
            max_iter=20,
            early_stopping=False,
            random_state=seed,
        )
    return None


def make_baseline(name, encoder, seed):
    from sklearn.base import clone
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline

    if name == "hgb":
        return HistGradientBoostingClassifier(
            categorical_features="from_dtype", random_state=seed
        )
    return make_pipeline(
        clone(encoder), MLPClassifier(hidden_layer_sizes=(64,), random_state=seed)
    )


def shippable(model):
    """What predicts: a fitted ``DistilledClassifier`` without its teacher."""
    from skdistill import DistilledClassifier

    if not isinstance(model, DistilledClassifier):
        return model
    light = copy.copy(model)
    light.teacher = None
    light.teacher_ = None
    return light


def model_size(model):
    """Tree nodes, boosting nodes or network weights of a fitted model."""
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline

    from skdistill import DistilledClassifier

    if isinstance(model, DistilledClassifier):
        if hasattr(model, "student_model_"):
            return int(model.student_model_.count_params())
        model = model.student_
    if isinstance(model, Pipeline):
        model = model[-1]
    if isinstance(model, MLPClassifier):
        return int(sum(w.size for w in (*model.coefs_, *model.intercepts_)))
    return _fitted_size(model)


def scores(model, X_test, y_test):
    from sklearn.metrics import log_loss, roc_auc_score

    proba = np.asarray(model.predict_proba(X_test), dtype=np.float64)
    # Rows renormalized: a network's float32 outputs sum to 1 within ~1e-7.
    proba /= proba.sum(axis=1, keepdims=True)
    positive = proba[:, list(model.classes_).index(1)]
    return {
        "roc_auc": float(roc_auc_score(y_test, positive)),
        "log_loss": float(log_loss(y_test, proba, labels=model.classes_)),
        "accuracy": float(np.mean(model.classes_[proba.argmax(axis=1)] == y_test)),
    }


class Run:
    """One (table, seed): the rows, both teachers, every fit's record."""

    def __init__(self, dataset, seed, data, config, log):
        from sklearn.base import clone

        self.dataset, self.seed, self.data = dataset, seed, data
        self.config, self.log = config, log
        X_t, y_t = data["teacher"]
        self.encoder = make_encoder(X_t)
        self.outer = clone(self.encoder).fit(X_t)
        self.encoded = {
            "teacher": (self.outer.transform(X_t).astype(np.float32), y_t),
            "labeled": (
                self.outer.transform(data["labeled"][0]).astype(np.float32),
                data["labeled"][1],
            ),
            "unlabeled": self.outer.transform(data["unlabeled"]).astype(np.float32),
            "test": (
                self.outer.transform(data["test"][0]).astype(np.float32),
                data["test"][1],
            ),
        }
        self.width = self.encoded["test"][0].shape[1]
        self.records, self.teachers = [], {}
        for path in PATHS:
            self.teachers[path] = self._fit_teacher(path)
            self._warm_cache(path)

    def _rows(self, path):
        return self.data if path == "frame" else self.encoded

    def _tag(self, record):
        return {"dataset": self.dataset, "seed": self.seed, **record}

    def _fit_teacher(self, path):
        X, y = self._rows(path)["teacher"]
        teacher = make_teacher(self.seed, self.config["teacher_early_stopping"])
        start = time.perf_counter()
        teacher.fit(X, y)
        fit_seconds = time.perf_counter() - start
        self._record(path, "teacher", "teacher", teacher, fit_seconds)
        return teacher

    def _warm_cache(self, path):
        """The teacher's pass over the owner's rows, once, so fits are timed alone.

        The library's teacher cache then serves the distilled fits, whatever
        the student (here one boosting iteration, which reads both paths' rows).
        """
        from sklearn.ensemble import HistGradientBoostingClassifier

        from skdistill import DistilledClassifier

        rows = self._rows(path)
        start = time.perf_counter()
        DistilledClassifier(
            teacher=self.teachers[path],
            student=HistGradientBoostingClassifier(
                categorical_features="from_dtype", max_iter=1
            ),
            temperature=1.0,
            alpha=0.5,
        ).fit(*rows["labeled"], X_unlabeled=rows["unlabeled"])
        seconds = time.perf_counter() - start
        self.records[-1]["transfer_pass_seconds"] = seconds
        self.log(
            f"[{self.dataset} seed {self.seed} {path}] teacher outputs on the "
            f"{len(rows['labeled'][1]) + len(rows['unlabeled']):,} owner's rows: "
            f"{seconds:.2f} s"
        )

    def _from_raw_rows(self, path, model):
        """The model as it predicts from raw rows: on ``onehot``, after the encoder."""
        from sklearn.pipeline import Pipeline

        if path == "frame":
            return model
        return Pipeline([("encode", self.outer), ("model", model)])

    def _record(self, path, student, method, model, fit_seconds, caught=()):
        X_test, y_test = self._rows(path)["test"]
        shipped = self._from_raw_rows(path, shippable(model))
        record = self._tag(
            {
                "path": path,
                "student": student,
                "method": method,
                "fit_seconds": fit_seconds,
                "size": model_size(model),
                "pickled_bytes": len(pickle.dumps(shipped)),
                "predict_ms_per_1000": predict_ms_per_1000(
                    shipped, self.data["test"][0]
                ),
                "n_iter": getattr(model, "n_iter_", None),
                "warnings": sorted(
                    {f"{type(w.message).__name__}: {w.message}" for w in caught}
                ),
                **scores(model, X_test, y_test),
            }
        )
        if method == "distilled":
            record["pickled_bytes_with_teacher"] = len(
                pickle.dumps(self._from_raw_rows(path, model))
            )
        self.records.append(record)
        epochs = f", {record['n_iter']} iterations" if record["n_iter"] else ""
        self.log(
            f"[{self.dataset} seed {self.seed} {path}] {student} {method}: AUC "
            f"{record['roc_auc']:.4f}, log-loss {record['log_loss']:.4f}, accuracy "
            f"{record['accuracy']:.4f}, {record['pickled_bytes'] / 1024:,.0f} KB, "
            f"fit {fit_seconds:.2f} s{epochs}"
        )
        return record

    def _model(self, student, path, method):
        from sklearn.base import clone

        from skdistill import DistilledClassifier, MLPStudent

        config, seed = self.config, self.seed
        sklearn_student = make_student(student, path, self.encoder, seed)
        if sklearn_student is not None:
            if method == "labels":
                return sklearn_student
            return DistilledClassifier(
                teacher=self.teachers[path],
                student=sklearn_student,
                temperature=config["temperature"],
                alpha=config["alpha"],
                random_state=seed,
            )
        return DistilledClassifier(
            teacher=None if method == "labels" else self.teachers[path],
            student=MLPStudent(hidden_units=tuple(config["hidden_units"])),
            preprocessor=clone(self.encoder) if path == "frame" else None,
            temperature=config["keras_temperature"],
            alpha=1.0 if method == "labels" else config["alpha"],
            epochs=config["epochs"],
            random_state=seed,
        )

    def _timed_fit(self, model, X, y, **fit_params):
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X, y, **fit_params)
        return time.perf_counter() - start, caught

    def fit(self, student, path, method):
        from skdistill import get_teacher_cache

        rows = self._rows(path)
        X, y = rows["labeled"]
        model = self._model(student, path, method)
        fit_params = {"X_unlabeled": rows["unlabeled"]} if method == "distilled" else {}
        hits = get_teacher_cache().hits
        seconds, caught = self._timed_fit(model, X, y, **fit_params)
        record = self._record(path, student, method, model, seconds, caught)
        if method == "distilled":
            # The timed fit read the teacher's outputs from the cache.
            record["teacher_cache_hit"] = get_teacher_cache().hits > hits
            if not record["teacher_cache_hit"]:
                self.log("  (no cache hit: this fit's time includes the teacher's)")
        return record

    def fit_baseline(self, name):
        X, y = self.data["labeled"]
        model = make_baseline(name, self.encoder, self.seed)
        seconds, caught = self._timed_fit(model, X, y)
        return self._record("frame", name, "baseline", model, seconds, caught)


def warm_up_keras(data, log):
    """One untimed epoch, so the first timed fit does not pay for TensorFlow's start."""
    from skdistill import DistilledClassifier, MLPStudent

    X, y = data["labeled"]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        DistilledClassifier(
            student=MLPStudent(hidden_units=(4,)),
            preprocessor=make_encoder(X),
            alpha=1.0,
            epochs=1,
        ).fit(X, y).predict(X[:10])
    log(f"Keras warm-up: {time.perf_counter() - start:.1f} s")


# ---------------------------------------------------------------------------
# Summaries and tables


def summarize(records):
    """Mean and sd over seeds of each (dataset, path, student, method)."""
    groups = {}
    for r in records:
        key = (r["dataset"], r["path"], r["student"], r["method"])
        groups.setdefault(key, []).append(r)
    summary = []
    for (dataset, path, student, method), rows in groups.items():
        entry = {
            "dataset": dataset,
            "path": path,
            "student": student,
            "method": method,
            "seeds": [r["seed"] for r in rows],
        }
        for figure in FIGURES:
            values = np.array([r[figure] for r in rows], dtype=float)
            entry[f"{figure}_mean"] = float(values.mean())
            entry[f"{figure}_sd"] = (
                float(values.std(ddof=1)) if len(values) > 1 else float("nan")
            )
        summary.append(entry)
    return summary


def _paired(by_key, key_a, key_b, seeds):
    out = {}
    for metric in METRICS:
        diffs = [
            by_key[(*key_a, s)][metric] - by_key[(*key_b, s)][metric] for s in seeds
        ]
        mean, low, high = paired_interval(diffs)
        out[metric] = {
            "per_seed": diffs,
            "mean": mean,
            "ci95": [low, high],
            "detectable": bool(low > 0 or high < 0),
        }
    return out


def differences(records):
    """Paired by seed: distilled − labels; frame − onehot."""
    by_key = {
        (r["dataset"], r["path"], r["student"], r["method"], r["seed"]): r
        for r in records
    }
    seeds_of = {}
    for dataset, path, student, method, seed in by_key:
        seeds_of.setdefault((dataset, path, student, method), set()).add(seed)
    found = []
    for dataset, path, student, method in sorted(seeds_of):
        if method != "distilled":
            continue
        seeds = sorted(
            seeds_of[(dataset, path, student, "distilled")]
            & seeds_of.get((dataset, path, student, "labels"), set())
        )
        if seeds:
            found.append(
                {
                    "kind": "distilled − labels",
                    "dataset": dataset,
                    "path": path,
                    "student": student,
                    "seeds": seeds,
                    **_paired(
                        by_key,
                        (dataset, path, student, "distilled"),
                        (dataset, path, student, "labels"),
                        seeds,
                    ),
                }
            )
    for dataset, path, student, method in sorted(seeds_of):
        if path != "frame" or (dataset, "onehot", student, method) not in seeds_of:
            continue
        seeds = sorted(
            seeds_of[(dataset, "frame", student, method)]
            & seeds_of[(dataset, "onehot", student, method)]
        )
        found.append(
            {
                "kind": "frame − onehot",
                "dataset": dataset,
                "student": student,
                "method": method,
                "seeds": seeds,
                **_paired(
                    by_key,
                    (dataset, "frame", student, method),
                    (dataset, "onehot", student, method),
                    seeds,
                ),
            }
        )
    return found


def _pm(entry, figure, digits, scale=1.0):
    mean, sd = entry[f"{figure}_mean"], entry[f"{figure}_sd"]
    if math.isnan(sd):
        return f"{scale * mean:.{digits}f}"
    return f"{scale * mean:.{digits}f} ± {scale * sd:.{digits}f}"


def results_table(summary, dataset):
    order = {s: i for i, s in enumerate(("teacher", *STUDENTS, *BASELINES))}
    methods = {m: i for i, m in enumerate(("teacher", *METHODS, "baseline"))}
    rows = sorted(
        (s for s in summary if s["dataset"] == dataset),
        key=lambda s: (
            order[s["student"]],
            PATHS.index(s["path"]),
            methods[s["method"]],
        ),
    )
    lines = [
        "| student | path | method | ROC AUC | log-loss | accuracy % | pickled KB "
        "| nodes / weights | predict ms/1k | fit s |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in rows:
        lines.append(
            f"| {s['student']} | {s['path']} | {s['method']} | "
            f"{_pm(s, 'roc_auc', 4)} | {_pm(s, 'log_loss', 4)} | "
            f"{_pm(s, 'accuracy', 2, 100)} | {s['pickled_bytes_mean'] / 1024:,.1f} | "
            f"{s['size_mean']:,.0f} | {_pm(s, 'predict_ms_per_1000', 2)} | "
            f"{_pm(s, 'fit_seconds', 2)} |"
        )
    return "\n".join(lines)


def _interval(d, metric, digits, scale=1.0):
    low, high = d[metric]["ci95"]
    mean = scale * d[metric]["mean"]
    if math.isnan(low):
        return f"{mean:+.{digits}f}"
    return f"{mean:+.{digits}f} [{scale * low:+.{digits}f}, {scale * high:+.{digits}f}]"


def verdict(d, metric, better, worse):
    """``better`` when the interval is above 0 for AUC, below 0 for log-loss."""
    low, high = d[metric]["ci95"]
    if math.isnan(low):
        return "one seed, no interval"
    if not d[metric]["detectable"]:
        return "no difference detectable"
    higher = low > 0
    return better if higher == (metric != "log_loss") else worse


def differences_table(found, dataset, kind):
    label = "path" if kind == "distilled − labels" else "method"
    lines = [
        f"| student | {label} | Δ ROC AUC [95% CI] | Δ log-loss [95% CI] | "
        "Δ accuracy, points [95% CI] | AUC | log-loss |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    words = {
        "distilled − labels": ("distilled better", "distilled worse"),
        "frame − onehot": ("frame better", "frame worse"),
    }[kind]
    for d in found:
        if d["dataset"] != dataset or d["kind"] != kind:
            continue
        lines.append(
            f"| {d['student']} | {d[label]} | {_interval(d, 'roc_auc', 4)} | "
            f"{_interval(d, 'log_loss', 4)} | {_interval(d, 'accuracy', 2, 100)} | "
            f"{verdict(d, 'roc_auc', *words)} | {verdict(d, 'log_loss', *words)} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Main


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_dir = (
        os.environ.get("SKDISTILL_DATA")
        or os.environ.get("SKDISTILL_DATA_DIR")
        or str(ROOT.parent / "shared" / "data")
    )
    parser.add_argument("--data-dir", default=default_dir)
    parser.add_argument(
        "--seeds", type=int, default=3, help="number of seeds (0, 1, ...)"
    )
    parser.add_argument("--datasets", nargs="+", choices=TABLES, default=list(TABLES))
    parser.add_argument("--n-labeled", type=int, default=1_000)
    parser.add_argument("--max-unlabeled", type=int, default=8_000)
    parser.add_argument("--teacher-share", type=float, default=0.4)
    parser.add_argument("--test-share", type=float, default=0.25)
    parser.add_argument(
        "--teacher-early-stopping",
        choices=["on", "auto"],
        default="on",
        help="the teacher's early_stopping (auto: scikit-learn's default, which is "
        "off below 10,000 rows)",
    )
    parser.add_argument("--alpha", type=float, default=0.1, help="distilled fits")
    parser.add_argument(
        "--temperature",
        type=float,
        default=1.0,
        help="distilled scikit-learn students",
    )
    parser.add_argument(
        "--keras-temperature",
        type=float,
        default=4.0,
        help="distilled network (the library's default)",
    )
    parser.add_argument("--hidden-units", type=int, nargs="+", default=[64])
    parser.add_argument("--epochs", type=int, default=200, help="network, at most")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads of OpenMP, BLAS and TensorFlow (0: their defaults)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="one seed, at most 50 epochs"
    )
    parser.add_argument("--json", default=None, help="write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds = 1
        args.epochs = min(args.epochs, 50)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    return args


def run_tables(args, config, log):
    """Every table and seed; the records and each table's one-line description."""
    started = time.perf_counter()
    records, heads, warmed = [], {}, False
    for dataset in args.datasets:
        path = Path(args.data_dir) / TABLES[dataset]["file"]
        if not path.exists():
            log(f"[{dataset}] skipped: {path} not found (give --data-dir)")
            continue
        frame, y = load_table(dataset, args.data_dir)
        for seed in config["seed_list"]:
            data = split(frame, y, config, seed)
            if not warmed:
                warm_up_keras(data, log)
                warmed = True
            run = Run(dataset, seed, data, config, log)
            n_categorical = int(
                sum(str(t) == "category" for t in data["teacher"][0].dtypes)
            )
            labeled_y = data["labeled"][1]
            heads[dataset] = (
                f"teacher {len(data['teacher'][1]):,} rows, labeled "
                f"{len(labeled_y):,} ({int(labeled_y.sum())} positive), unlabeled "
                f"{len(data['unlabeled']):,}, test {len(data['test'][1]):,}; "
                f"{frame.shape[1]} columns ({n_categorical} categorical), "
                f"{run.width} one-hot; majority-class test accuracy "
                f"{100 * (1 - data['test'][1].mean()):.2f}%"
            )
            log(f"[{dataset} seed {seed}] {heads[dataset]}")
            for student in STUDENTS:
                for path_name in PATHS:
                    for method in METHODS:
                        run.fit(student, path_name, method)
            for name in BASELINES:
                run.fit_baseline(name)
            records += run.records
            log(
                f"[{dataset} seed {seed}] done; "
                f"{time.perf_counter() - started:.0f} s so far"
            )
    return records, heads


def report(args, records, heads, summary, found):
    """The markdown tables, on stdout."""
    teacher_early_stopping = make_teacher(0, args.teacher_early_stopping).early_stopping
    print(
        f"Seeds {list(range(args.seeds))}; mean ± sd (ddof=1) over seeds. Teacher: "
        "HistGradientBoostingClassifier(categorical_features='from_dtype', "
        f"early_stopping={teacher_early_stopping!r})"
        " on the teacher rows (frame: native categories; onehot: the one-hot "
        "matrix). "
        f"Distilled: alpha={args.alpha:g}, with the unlabeled rows; "
        f"scikit-learn students T={args.temperature:g}, network "
        f"T={args.keras_temperature:g}, at most {args.epochs} epochs. Labels: the "
        "student on the owner's labels alone. Pickled KB: what predicts from the "
        "raw rows, without the teacher. Predict time on 1,000 raw rows; fit times "
        "exclude the teacher's pass."
    )
    for dataset in heads:
        spec = TABLES[dataset]
        print(
            f"\n### {dataset} ({spec['file']}, target {spec['target']}="
            f"{spec['positive']}): {heads[dataset]}\n"
        )
        for path_name in PATHS:
            aucs = [
                r["roc_auc"]
                for r in records
                if r["dataset"] == dataset
                and r["path"] == path_name
                and r["method"] == "teacher"
            ]
            print(
                f"Teacher on the {path_name} path: ROC AUC {np.mean(aucs):.4f}"
                + (f" ± {np.std(aucs, ddof=1):.4f}" if len(aucs) > 1 else "")
            )
        heavy = [
            r["pickled_bytes_with_teacher"] / r["pickled_bytes"]
            for r in records
            if r["dataset"] == dataset and "pickled_bytes_with_teacher" in r
        ]
        print(
            "A plain pickle of a distilled student carries its teacher: "
            f"{min(heavy):.1f} to {max(heavy):.1f} times the bytes below.\n"
        )
        print(results_table(summary, dataset))
        print(f"\nPaired differences over seeds, distilled − labels ({dataset}):\n")
        print(differences_table(found, dataset, "distilled − labels"))
        print(
            f"\nPaired differences over seeds, frame − onehot, same rows ({dataset}):\n"
        )
        print(differences_table(found, dataset, "frame − onehot"))
    caught = {}
    for r in records:
        for w in r["warnings"]:
            # One line per kind of warning: numbers vary.
            key = re.sub(r"\d[\d.e+-]*", "#", w)
            caught.setdefault(key, set()).add(
                f"{r['student']} {r['path']} {r['method']}"
            )
    if caught:
        print("\nWarnings raised in the timed fits (# stands for numbers):")
        for w, fits in sorted(caught.items()):
            print(f"- {w[:160]} ({', '.join(sorted(fits))})")


def main(argv=None):
    args = parse_args(argv)
    config = {k: v for k, v in vars(args).items() if k != "json"}
    config["seed_list"] = list(range(args.seeds))

    def log(text):
        print(text, file=sys.stderr, flush=True)

    started = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        limiter = _limit_threads(args.threads, need_keras=True)  # noqa: F841
    records, heads = run_tables(args, config, log)
    elapsed = time.perf_counter() - started
    summary = summarize(records)
    found = differences(records)
    report(args, records, heads, summary, found)
    print(f"\ntotal time {elapsed:.0f} s")
    if args.json:
        write_json(
            args.json,
            {
                "config": config,
                "elapsed_seconds": elapsed,
                "records": records,
                "summary": summary,
                "differences": found,
            },
        )
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
