"""Regression students: ``DistilledRegressor`` against the labels alone.

A ``HistGradientBoostingRegressor`` teacher (scikit-learn's defaults) is fitted
on plenty of labeled rows. The student's owner has few labels (500 by
default) and the rest of its rows unlabeled. For each student -- the default
Keras ``MLPStudent()`` (100 hidden units, raw inputs), on the real table also
``MLPStudent(standardize=True)``, decision trees of depth 4 and 8,
``HistGradientBoostingRegressor(max_iter=20)`` and ``Ridge()`` -- this
compares four ways to train it:

* ``labels``: ``DistilledRegressor(alpha=1.0)``, no teacher, no unlabeled
  rows: the student on the owner's labels alone;
* ``distilled``: ``alpha=0.1`` (the default), on the labeled rows only;
* ``distilled_unlabeled``: the same with the unlabeled rows
  (``X_unlabeled``);
* ``distilled_munge``: the same with synthetic rows made from the labeled
  rows (``augment=Munge(size=...)``; by default as many as there are
  unlabeled rows), no unlabeled rows.

Problems, each split per seed into test rows (25%), teacher rows (40%), the
owner's labeled rows and, the rest, its unlabeled rows:

* ``friedman``: ``make_friedman1(n_samples=20_000, noise=1.0)``, 10 features
  uniform on [0, 1] (5 of them unused by the target);
* ``nass``: ``nass_cds.csv.gz`` (US car-crash occupants, 26,217 rows), target
  ``yearVeh``, the model year of the occupant's vehicle (one row without it is
  dropped). It is predictable from the rest of the record (airbag fitted and
  deployed, ``abcat``, the crash year) but not given away by any column,
  which ``ageOFocc`` is not: the occupant's age is close to unpredictable
  from the record (the teacher's test R² is about 0.03, so "share of the
  teacher's R²" would be noise), and ``weight`` is the survey's sampling
  weight, an artefact of the design rather than a property of the crash.
  ``caseid`` identifies the crash and is dropped; ``injSeverity`` and
  ``dead`` are kept as features (outcomes of the crash, not of the vehicle's
  age). The five string columns are one-hot encoded with ``pd.get_dummies``;
  the 153 missing ``injSeverity`` values take the median of the seed's
  non-test rows. Nothing is scaled: the features keep their mixed scales
  (years near 2000, the survey weight up to 57,872, 0/1 dummies), which is
  why ``MLPStudent(standardize=True)`` (``mlp_std``) runs beside the default
  network here; on ``friedman`` (features on [0, 1]) only the default runs.
  Munge swaps the one-hot and 0/1 columns for the neighbour's value instead
  of perturbing them.

The linear student is plain ``Ridge()`` on the raw features, not a
``Pipeline(StandardScaler(), Ridge())``: a Pipeline's ``fit`` takes no
``sample_weight``, and ``DistilledRegressor`` refuses such a student when the
rows are weighted, as transfer rows are (by ``1 - alpha``) for ``alpha > 0``.

Figures, per seed and then as mean ± sd (sample sd, ``ddof=1``) over seeds:
test R², RMSE, the share of the teacher's R² (student R² / teacher R², per
seed), the student's size (Keras: ``count_params()``, the weights; the
``Normalization`` layer's mean and variance are constants, not weights, so
``mlp_std`` counts as many as ``mlp``; trees: ``tree_.node_count``; boosting:
nodes summed over its trees; Ridge: coefficients and intercept), fit time, and
predict time per 1,000 rows (median of 7 calls after two warm-up calls). For
every student, the paired differences over seeds (distilled − labels,
distilled with unlabeled rows − labels, Munge − labels) in test R², with 95%
t-intervals; an interval that covers 0 reads "no difference detectable".

The Keras students train for at most ``--epochs`` (200) epochs of batches of
200 rows with the library's early stopping. On 500 labeled rows that is 3
steps an epoch, and the ``labels`` and ``distilled`` fits usually run all 200
epochs (a ``ConvergenceWarning``, as ``MLPRegressor``'s ``max_iter=200``
would), while fits with 6,500 to 8,700 transfer or synthetic rows take 12 to
15 times as many steps an epoch: part of their gain over ``labels`` is more
gradient steps, not only the teacher.

Fit times exclude the teacher's pass: the teacher's outputs on the transfer
and synthetic rows are computed once per seed before the timed fits and the
library's teacher cache serves them. The Keras training step is traced once
per problem and student before the timed fits. By default numerical
libraries run on one thread (``--threads``).

Run::

    python benchmarks/bench_regression.py --json bench_regression.json

Add ``--quick`` for a smoke test (fewer rows, 2 seeds, 20 epochs), or cut the
run with ``--problems``, ``--students``, ``--methods``, ``--seeds``. The real
table is read from ``--data-dir`` (default ``../shared/data`` beside the
checkout, or ``$SKDISTILL_DATA_DIR``); without it that problem is skipped.
"""

import argparse
import math
import os
import re
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from bench_students import _limit_threads, write_json  # noqa: E402
from bench_transfer import predict_ms_per_1000  # noqa: E402

HERE = Path(__file__).resolve().parent

PROBLEMS = ("friedman", "nass")
STUDENTS = ("mlp", "mlp_std", "tree4", "tree8", "hgb20", "ridge")
KERAS_STUDENTS = ("mlp", "mlp_std")
# The students run by default on each problem (``--students`` overrides).
DEFAULT_STUDENTS = {
    "friedman": ("mlp", "tree4", "tree8", "hgb20", "ridge"),
    "nass": STUDENTS,
}
METHODS = ("labels", "distilled", "distilled_unlabeled", "distilled_munge")
COMPARISONS = ("distilled", "distilled_unlabeled", "distilled_munge")

NASS = {
    "file": "nass_cds.csv.gz",
    "target": "yearVeh",
    # caseid identifies the crash.
    "drop": ["caseid"],
}


# ---------------------------------------------------------------------------
# Data


def _split(n, n_test, n_teacher, n_labeled, seed):
    """Index sets: test, teacher, labeled, unlabeled (the rest)."""
    order = np.random.default_rng(seed).permutation(n)
    cuts = np.cumsum([n_test, n_teacher, n_labeled])
    return [np.sort(part) for part in np.split(order, cuts)]


def _parts(X, y, config, seed, categorical):
    n = len(y)
    n_test = int(round(config["test_share"] * n))
    n_teacher = int(round(config["teacher_share"] * n))
    test, teacher, labeled, unlabeled = _split(
        n, n_test, n_teacher, config["n_labeled"], seed
    )
    # Missing numbers take the median of the non-test rows.
    missing = np.isnan(X)
    if missing.any():
        train = np.concatenate([teacher, labeled, unlabeled])
        medians = np.nanmedian(X[train], axis=0)
        X = X.copy()
        X[missing] = np.take(medians, np.nonzero(missing)[1])
    X = X.astype(np.float32)
    return {
        "teacher": (X[teacher], y[teacher]),
        "labeled": (X[labeled], y[labeled]),
        "unlabeled": X[unlabeled],
        "test": (X[test], y[test]),
        "categorical": categorical,
    }


def friedman_problem(config, seed):
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(
        n_samples=config["friedman_rows"], noise=config["noise"], random_state=seed
    )
    return _parts(X, y, config, seed, np.zeros(X.shape[1], dtype=bool))


def load_nass(path, max_rows=None):
    """Features (one-hot categoricals, NaN kept), target, categorical mask."""
    import pandas as pd

    frame = pd.read_csv(path).drop(columns=NASS["drop"])
    frame = frame.dropna(subset=[NASS["target"]])
    if max_rows is not None and len(frame) > max_rows:
        frame = frame.sample(n=max_rows, random_state=0)
    y = frame.pop(NASS["target"]).to_numpy(np.float64)
    strings = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    binary = [
        c
        for c in frame.columns
        if c not in strings and set(frame[c].dropna().unique()) <= {0, 1}
    ]
    frame = pd.get_dummies(frame, columns=strings, dtype=np.float64)
    categorical = np.array(
        [c in binary or any(c.startswith(f"{s}_") for s in strings) for c in frame]
    )
    return frame.to_numpy(np.float64), y, categorical, list(frame.columns)


def nass_problem(table, config, seed):
    X, y, categorical, _ = table
    return _parts(X, y, config, seed, categorical)


# ---------------------------------------------------------------------------
# Models and figures


def make_teacher(seed):
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(random_state=seed)


def make_student(name, seed):
    """The ``student`` parameter of ``DistilledRegressor``."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeRegressor

    from skdistill import MLPStudent

    return {
        "mlp": lambda: None,
        "mlp_std": lambda: MLPStudent(standardize=True),
        "tree4": lambda: DecisionTreeRegressor(max_depth=4, random_state=seed),
        "tree8": lambda: DecisionTreeRegressor(max_depth=8, random_state=seed),
        # 20 iterations whatever the number of rows: with the default
        # early_stopping="auto", fits on more than 10,000 rows would stop early
        # and those on the labels alone would not.
        "hgb20": lambda: HistGradientBoostingRegressor(
            max_iter=20, early_stopping=False, random_state=seed
        ),
        "ridge": lambda: Ridge(),
    }[name]()


def model_size(model):
    """Network weights, tree nodes, boosting nodes or linear coefficients."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    from skdistill import DistilledRegressor

    if isinstance(model, DistilledRegressor):
        if hasattr(model, "student_model_"):
            return int(model.student_model_.count_params())
        model = model.student_
    if hasattr(model, "tree_"):
        return int(model.tree_.node_count)
    if isinstance(model, HistGradientBoostingRegressor):
        return int(sum(len(p.nodes) for it in model._predictors for p in it))
    if hasattr(model, "coef_"):
        return int(np.size(model.coef_) + np.size(model.intercept_))
    return -1


def evaluate(model, X_test, y_test):
    pred = np.asarray(model.predict(X_test), dtype=np.float64)
    residual = y_test - pred
    total = np.sum((y_test - y_test.mean()) ** 2)
    return {
        "r2": float(1 - np.sum(residual**2) / total),
        "rmse": float(np.sqrt(np.mean(residual**2))),
    }


def paired_interval(diffs, level=0.95):
    """Mean of paired differences and its two-sided t-interval."""
    from scipy import stats

    diffs = np.asarray(diffs, dtype=float)
    mean = float(diffs.mean())
    if len(diffs) < 2:
        return mean, float("nan"), float("nan")
    half = stats.t.ppf(0.5 + level / 2, len(diffs) - 1) * (
        diffs.std(ddof=1) / math.sqrt(len(diffs))
    )
    return mean, float(mean - half), float(mean + half)


class Run:
    """One (problem, seed): the data, the fitted teacher, the students' fits."""

    def __init__(self, problem, seed, data, config, log, traced):
        from skdistill import Munge

        self.problem, self.seed, self.data = problem, seed, data
        self.config, self.log, self.traced = config, log, traced
        X_t, y_t = data["teacher"]
        X_test, y_test = data["test"]
        teacher = make_teacher(seed)
        start = time.perf_counter()
        teacher.fit(X_t, y_t)
        fit_seconds = time.perf_counter() - start
        self.teacher = teacher
        scores = evaluate(teacher, X_test, y_test)
        self.teacher_r2 = scores["r2"]
        n_labeled, n_unlabeled = len(data["labeled"][1]), len(data["unlabeled"])
        size = config["munge_size"] or max(1.0, n_unlabeled / n_labeled)
        categorical = np.nonzero(data["categorical"])[0]
        self.munge = Munge(
            size=size, categorical_features=categorical if len(categorical) else None
        )
        self.teacher_record = self._tag(
            {
                "student": "teacher",
                "method": "teacher",
                "fit_seconds": fit_seconds,
                "size": model_size(teacher),
                "predict_ms_per_1000": predict_ms_per_1000(teacher, X_test),
                "share_of_teacher_r2": 1.0,
                "n_iter": int(teacher.n_iter_),
                **scores,
            }
        )
        log(
            f"[{problem} seed {seed}] teacher HGB: R² {scores['r2']:.4f}, RMSE "
            f"{scores['rmse']:.4f}, {teacher.n_iter_} iterations, fit "
            f"{fit_seconds:.1f} s on {len(y_t):,} rows"
        )
        self._warm_cache()

    def _tag(self, record):
        return {"problem": self.problem, "seed": self.seed, **record}

    def _model(self, student_name, method, **params):
        from skdistill import DistilledRegressor

        settings = {"random_state": self.seed, **params}
        if student_name in KERAS_STUDENTS:
            settings.setdefault("epochs", self.config["epochs"])
        if method == "labels":
            return DistilledRegressor(
                teacher=None,
                student=make_student(student_name, self.seed),
                alpha=1.0,
                **settings,
            )
        if method == "distilled_munge":
            settings["augment"] = self.munge
        return DistilledRegressor(
            teacher=self.teacher,
            student=make_student(student_name, self.seed),
            alpha=self.config["alpha"],
            **settings,
        )

    def _warm_cache(self):
        """Run the teacher once on every row the distilled fits will show it.

        The teacher cache then serves its outputs, so that the distilled fits'
        times are the student's alone. Munge's rows depend on the estimator's
        ``random_state`` only, so a stump's fit makes the same rows.
        """
        from sklearn.tree import DecisionTreeRegressor

        from skdistill import DistilledRegressor

        X, y = self.data["labeled"]
        methods = self.config["methods"]
        start = time.perf_counter()
        for augment, X_u in (
            (
                None,
                self.data["unlabeled"] if "distilled_unlabeled" in methods else None,
            ),
            (self.munge if "distilled_munge" in methods else None, None),
        ):
            DistilledRegressor(
                teacher=self.teacher,
                student=DecisionTreeRegressor(max_depth=1),
                alpha=self.config["alpha"],
                augment=augment,
                random_state=self.seed,
            ).fit(X, y, X_unlabeled=X_u)
        self.log(
            f"[{self.problem} seed {self.seed}] teacher outputs on the labeled, "
            f"unlabeled and {int(round(self.munge.size * len(y))):,} Munge rows: "
            f"{time.perf_counter() - start:.1f} s"
        )

    def _trace(self, student_name):
        """Fit each Keras training step once (one epoch), untimed."""
        if student_name not in KERAS_STUDENTS or student_name in self.traced:
            return
        X, y = self.data["labeled"]
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for method in ("labels", "distilled"):
                model = self._model(student_name, method, epochs=1)
                model.fit(X, y)
                model.predict(X[:10])
        self.traced.add(student_name)
        self.log(
            f"[{self.problem}] {student_name}: training steps traced, "
            f"{time.perf_counter() - start:.1f} s"
        )

    def fit(self, student_name, method):
        """Fit one student by one method; return its record."""
        self._trace(student_name)
        X, y = self.data["labeled"]
        X_test, y_test = self.data["test"]
        fit_params = (
            {"X_unlabeled": self.data["unlabeled"]}
            if method == "distilled_unlabeled"
            else {}
        )
        model = self._model(student_name, method)
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X, y, **fit_params)
        fit_seconds = time.perf_counter() - start
        scores = evaluate(model, X_test, y_test)
        record = self._tag(
            {
                "student": student_name,
                "method": method,
                "alpha": model.alpha,
                "fit_seconds": fit_seconds,
                "size": model_size(model),
                "predict_ms_per_1000": predict_ms_per_1000(model, X_test),
                "share_of_teacher_r2": scores["r2"] / self.teacher_r2,
                "n_iter": getattr(model, "n_iter_", None),
                "warnings": sorted(
                    {f"{type(w.message).__name__}: {w.message}" for w in caught}
                ),
                **scores,
            }
        )
        epochs = f", {record['n_iter']} epochs" if record["n_iter"] else ""
        self.log(
            f"[{self.problem} seed {self.seed}] {student_name} {method}: R² "
            f"{scores['r2']:.4f}, RMSE {scores['rmse']:.4f}, share "
            f"{record['share_of_teacher_r2']:.3f}, size {record['size']:,}, fit "
            f"{fit_seconds:.2f} s{epochs}"
        )
        return record


# ---------------------------------------------------------------------------
# Summaries and tables

METRICS = ("r2", "rmse", "share_of_teacher_r2", "size", "fit_seconds")
METRICS += ("predict_ms_per_1000",)


def summarize(records):
    """Mean and sd over seeds of each (problem, student, method)."""
    groups = {}
    for r in records:
        groups.setdefault((r["problem"], r["student"], r["method"]), []).append(r)
    summary = []
    for (problem, student, method), rows in groups.items():
        entry = {
            "problem": problem,
            "student": student,
            "method": method,
            "seeds": [r["seed"] for r in rows],
        }
        for metric in METRICS:
            values = np.array([r[metric] for r in rows], dtype=float)
            entry[f"{metric}_mean"] = float(values.mean())
            entry[f"{metric}_sd"] = float(values.std(ddof=1)) if len(values) > 1 else 0
        summary.append(entry)
    return summary


def differences(records):
    """Per (problem, student): paired differences in R² against ``labels``."""
    by_key = {(r["problem"], r["student"], r["method"], r["seed"]): r for r in records}
    found = []
    pairs = sorted(
        {(r["problem"], r["student"]) for r in records if r["method"] == "labels"}
    )
    for problem, student in pairs:
        for method in COMPARISONS:
            seeds = sorted(
                s
                for (p, st, m, s) in by_key
                if (p, st, m) == (problem, student, method)
                and (problem, student, "labels", s) in by_key
            )
            if not seeds:
                continue
            entry = {"problem": problem, "student": student, "method": method}
            entry["seeds"] = seeds
            for metric in ("r2", "rmse"):
                diffs = [
                    by_key[(problem, student, method, s)][metric]
                    - by_key[(problem, student, "labels", s)][metric]
                    for s in seeds
                ]
                mean, low, high = paired_interval(diffs)
                entry[metric] = {
                    "per_seed": diffs,
                    "mean": mean,
                    "ci95": [low, high],
                    "detectable": bool(low > 0 or high < 0),
                }
            found.append(entry)
    return found


def _pm(entry, metric, digits, scale=1.0):
    return (
        f"{scale * entry[f'{metric}_mean']:.{digits}f} ± "
        f"{scale * entry[f'{metric}_sd']:.{digits}f}"
    )


def problem_table(summary, problem):
    order = {s: i for i, s in enumerate(("teacher", *STUDENTS))}
    methods = {m: i for i, m in enumerate(("teacher", *METHODS))}
    rows = sorted(
        (s for s in summary if s["problem"] == problem),
        key=lambda s: (order[s["student"]], methods[s["method"]]),
    )
    lines = [
        "| student | method | R² | RMSE | share of teacher R² | size | fit s "
        "| predict ms/1k |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in rows:
        lines.append(
            f"| {s['student']} | {s['method']} | {_pm(s, 'r2', 4)} | "
            f"{_pm(s, 'rmse', 3)} | {_pm(s, 'share_of_teacher_r2', 3)} | "
            f"{s['size_mean']:,.0f} | {_pm(s, 'fit_seconds', 2)} | "
            f"{_pm(s, 'predict_ms_per_1000', 2)} |"
        )
    return "\n".join(lines)


def verdict(d):
    low, high = d["ci95"]
    if math.isnan(low):
        return "one seed, no interval"
    if not (low > 0 or high < 0):
        return "no difference detectable"
    return "higher R² than labels" if low > 0 else "lower R² than labels"


def differences_table(found, problem):
    lines = [
        "| student | method − labels | Δ R² | 95% t-interval | Δ RMSE | verdict (R²) |",
        "|---|---|---:|---:|---:|---|",
    ]
    for d in found:
        if d["problem"] != problem:
            continue
        r2, rmse = d["r2"], d["rmse"]
        low, high = r2["ci95"]
        lines.append(
            f"| {d['student']} | {d['method']} | {r2['mean']:+.4f} | "
            f"[{low:+.4f}, {high:+.4f}] | {rmse['mean']:+.3f} | {verdict(r2)} |"
        )
    return "\n".join(lines)


def differences_sentences(found, problem):
    lines = []
    for d in found:
        if d["problem"] != problem or d["method"] == "distilled":
            continue
        r2 = d["r2"]
        low, high = r2["ci95"]
        what = {
            "distilled_unlabeled": "distilled with unlabeled rows",
            "distilled_munge": "distilled with Munge rows",
        }[d["method"]]
        lines.append(
            f"- {d['student']}, {what} − labels: ΔR² {r2['mean']:+.4f}, 95% "
            f"t-interval [{low:+.4f}, {high:+.4f}] over {len(d['seeds'])} seeds: "
            f"{verdict(r2)}."
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Main


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_dir = os.environ.get("SKDISTILL_DATA_DIR") or str(
        HERE.parent.parent / "shared" / "data"
    )
    parser.add_argument("--data-dir", default=default_dir)
    parser.add_argument(
        "--seeds", type=int, default=3, help="number of seeds (0, 1, ...)"
    )
    parser.add_argument("--problems", nargs="+", choices=PROBLEMS, default=PROBLEMS)
    parser.add_argument(
        "--students",
        nargs="+",
        choices=STUDENTS,
        default=None,
        help="default: mlp_std on nass only, every other student on both",
    )
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=METHODS)
    parser.add_argument("--friedman-rows", type=int, default=20_000)
    parser.add_argument("--noise", type=float, default=1.0)
    parser.add_argument(
        "--nass-rows", type=int, default=None, help="subsample the table (default all)"
    )
    parser.add_argument("--n-labeled", type=int, default=500)
    parser.add_argument("--teacher-share", type=float, default=0.4)
    parser.add_argument("--test-share", type=float, default=0.25)
    parser.add_argument("--alpha", type=float, default=0.1, help="distilled fits")
    parser.add_argument(
        "--munge-size",
        type=float,
        default=None,
        help="synthetic rows per labeled row (default: as many as unlabeled rows)",
    )
    parser.add_argument("--epochs", type=int, default=200, help="Keras students")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads of OpenMP, BLAS and TensorFlow (0: their defaults)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="4,000 Friedman rows, 6,000 NASS rows, 2 seeds, 20 epochs",
    )
    parser.add_argument("--json", default=None, help="write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds = min(args.seeds, 2)
        args.friedman_rows = min(args.friedman_rows, 4_000)
        args.nass_rows = min(args.nass_rows or 6_000, 6_000)
        args.epochs = min(args.epochs, 20)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    config = {k: v for k, v in vars(args).items() if k != "json"}
    seeds = list(range(args.seeds))
    config["seed_list"] = seeds

    def log(text):
        print(text, flush=True)

    students = {
        p: tuple(args.students) if args.students else DEFAULT_STUDENTS[p]
        for p in args.problems
    }
    config["students_by_problem"] = students
    need_keras = any(s in KERAS_STUDENTS for ss in students.values() for s in ss)
    started = time.perf_counter()
    limiter = _limit_threads(args.threads, need_keras)  # noqa: F841
    if need_keras:
        from skdistill.utils._keras import import_keras

        start = time.perf_counter()
        import_keras()
        log(f"importing Keras and TensorFlow: {time.perf_counter() - start:.1f} s")

    records, used, heads = [], [], {}
    for problem in args.problems:
        if problem == "nass":
            path = Path(args.data_dir) / NASS["file"]
            if not path.exists():
                log(f"[nass] skipped: {path} not found (give --data-dir)")
                continue
            table = load_nass(path, args.nass_rows)
        used.append(problem)
        traced = set()
        for seed in seeds:
            if problem == "friedman":
                data = friedman_problem(config, seed)
            else:
                data = nass_problem(table, config, seed)
            n_features = data["labeled"][0].shape[1]
            sizes = (
                f"teacher {len(data['teacher'][1]):,}, labeled "
                f"{len(data['labeled'][1]):,}, unlabeled {len(data['unlabeled']):,}, "
                f"test {len(data['test'][1]):,}; {n_features} features"
            )
            heads[problem] = sizes
            log(f"[{problem} seed {seed}] rows: {sizes}")
            run = Run(problem, seed, data, config, log, traced)
            records.append(run.teacher_record)
            for student in students[problem]:
                for method in args.methods:
                    records.append(run.fit(student, method))
            log(
                f"[{problem} seed {seed}] done; "
                f"{time.perf_counter() - started:.0f} s so far"
            )
    elapsed = time.perf_counter() - started
    summary = summarize(records)
    found = differences(records)

    print()
    print(
        f"Distilled fits: alpha={args.alpha:g}; labels: alpha=1, no teacher. "
        f"Seeds {seeds}; mean ± sd (ddof=1) over seeds. Teacher: "
        "HistGradientBoostingRegressor() on the teacher rows. Size: network "
        "weights, tree nodes or coefficients. Fit times exclude the teacher's "
        f"pass. Keras students: at most {args.epochs} epochs, early stopping "
        "after 10 without improvement."
    )
    for problem in used:
        if problem == "friedman":
            head = (
                f"friedman (make_friedman1, {args.friedman_rows:,} rows, noise "
                f"{args.noise:g}): {heads[problem]}"
            )
        else:
            head = f"nass ({NASS['file']}, target {NASS['target']}): {heads[problem]}"
        print(f"\n### {head}\n")
        print(problem_table(summary, problem))
        print(
            f"\nPaired differences against labels ({problem}), over seeds, "
            "95% t-intervals:\n"
        )
        print(differences_table(found, problem))
        print()
        print(differences_sentences(found, problem))
    caught = {}
    for r in records:
        for w in r.get("warnings", ()):
            # One line per kind of warning: numbers (rcond = ...) vary.
            key = re.sub(r"\d[\d.e+-]*", "#", w)
            caught.setdefault(key, []).append(f"{r['student']} {r['method']}")
    if caught:
        print("\nWarnings raised in the timed fits (# stands for numbers):")
        for w, fits in sorted(caught.items()):
            print(f"- {w} ({len(fits)} fits; {', '.join(sorted(set(fits)))})")
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
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
