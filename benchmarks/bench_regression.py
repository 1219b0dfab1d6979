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
predict time per 1,000 rows (the main job's timer: median of 7 calls after an
untimed one). For
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

Add ``--quick`` for a smoke test in seconds (what CI runs: 2,000 Friedman rows,
2,000 NASS rows, one seed, 200 labeled rows, 5 epochs), or cut the
run with ``--problems``, ``--students``, ``--methods``, ``--seeds``. The real
table is read from ``--data-dir`` (default ``../shared/data`` beside the
checkout, or ``$SKDISTILL_DATA_DIR``); without it that problem is skipped.
"""

import sys
import time
import warnings
from pathlib import Path

import numpy as np
from _data import fill_medians, string_columns
from _harness import (
    Run,
    config_of,
    finish,
    import_keras_timed,
    limit_threads,
    log,
    make_munge,
    make_parser,
    make_student,
    make_teacher,
    paired,
    parse,
    predict_ms,
    size,
    summarize,
    timed_fit,
    warning_texts,
)
from _regression_report import report

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
METRICS = ("r2", "rmse", "share_of_teacher_r2", "size", "fit_seconds")
METRICS += ("predict_ms_per_1000",)

NASS = {
    "file": "nass_cds.csv.gz",
    "target": "yearVeh",
    # caseid identifies the crash.
    "drop": ["caseid"],
}


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
    X = fill_medians(X, np.concatenate([teacher, labeled, unlabeled]))
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
    strings = string_columns(frame)
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


def make_regression_student(name, seed):
    """The ``student`` parameter of ``DistilledRegressor``."""
    from skdistill import MLPStudent

    if name == "mlp":
        return None
    if name == "mlp_std":
        return MLPStudent(standardize=True)
    return make_student(name, seed, regression=True)


def evaluate(model, X_test, y_test):
    from skdistill.cli._evaluation import regression_scores

    return regression_scores(y_test, np.asarray(model.predict(X_test), np.float64))


class RegressionRun(Run):
    """One (problem, seed): the data, the fitted teacher, the students' fits."""

    def __init__(self, problem, seed, data, config, log, traced):
        super().__init__({"problem": problem, "seed": seed}, config, log)
        self.data, self.traced = data, traced
        X_t, y_t = data["teacher"]
        X_test, y_test = data["test"]
        # scikit-learn's defaults: 100 iterations, early stopping "auto".
        teacher = make_teacher(
            "hgb", seed, regression=True, max_iter=100, early_stopping="auto"
        )
        fit_seconds, _ = timed_fit(teacher, X_t, y_t)
        self.teacher = teacher
        scores = evaluate(teacher, X_test, y_test)
        self.teacher_r2 = scores["r2"]
        self.munge = make_munge(data, config)
        self.teacher_record = self.tag(
            {
                "student": "teacher",
                "method": "teacher",
                "fit_seconds": fit_seconds,
                "size": size(teacher),
                "predict_ms_per_1000": predict_ms(teacher, X_test),
                "share_of_teacher_r2": 1.0,
                "n_iter": int(teacher.n_iter_),
                **scores,
            }
        )
        log(
            f"{self.where} teacher HGB: R² {scores['r2']:.4f}, RMSE "
            f"{scores['rmse']:.4f}, {teacher.n_iter_} iterations, fit "
            f"{fit_seconds:.1f} s on {len(y_t):,} rows"
        )
        self._warm_cache()

    def _model(self, student_name, method, **params):
        from skdistill import DistilledRegressor

        seed = self.tags["seed"]
        settings = {"random_state": seed, **params}
        if student_name in KERAS_STUDENTS:
            settings.setdefault("epochs", self.config["epochs"])
        student = make_regression_student(student_name, seed)
        if method == "labels":
            return DistilledRegressor(
                teacher=None, student=student, alpha=1.0, **settings
            )
        if method == "distilled_munge":
            settings["augment"] = self.munge
        return DistilledRegressor(
            teacher=self.teacher,
            student=student,
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
                random_state=self.tags["seed"],
            ).fit(X, y, X_unlabeled=X_u)
        self.log(
            f"{self.where} teacher outputs on the labeled, "
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
            f"[{self.tags['problem']}] {student_name}: training steps traced, "
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
        fit_seconds, caught = timed_fit(model, X, y, **fit_params)
        scores = evaluate(model, X_test, y_test)
        record = self.tag(
            {
                "student": student_name,
                "method": method,
                "alpha": model.alpha,
                "fit_seconds": fit_seconds,
                "size": size(model),
                "predict_ms_per_1000": predict_ms(model, X_test),
                "share_of_teacher_r2": scores["r2"] / self.teacher_r2,
                "n_iter": getattr(model, "n_iter_", None),
                "warnings": warning_texts(caught),
                **scores,
            }
        )
        epochs = f", {record['n_iter']} epochs" if record["n_iter"] else ""
        self.log(
            f"{self.where} {student_name} {method}: R² "
            f"{scores['r2']:.4f}, RMSE {scores['rmse']:.4f}, share "
            f"{record['share_of_teacher_r2']:.3f}, size {record['size']:,}, fit "
            f"{fit_seconds:.2f} s{epochs}"
        )
        return record


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
            entry.update(
                paired(
                    [by_key[(problem, student, method, s)] for s in seeds],
                    [by_key[(problem, student, "labels", s)] for s in seeds],
                    ("r2", "rmse"),
                )
            )
            found.append(entry)
    return found


def parse_args(argv):
    parser = make_parser(
        __doc__,
        quick="2,000 Friedman rows, 2,000 NASS rows, one seed, 200 labeled rows, "
        "5 epochs",
        threads=True,
        data_dir=True,
    )
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
    quick = dict(seeds=1, friedman_rows=2_000, nass_rows=2_000, n_labeled=200)
    args = parse(parser, argv, {**quick, "epochs": 5})
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    return args


def run_problem(problem, table, students, config, started):
    """Every seed's records of one problem, and its rows' description."""
    records, traced = [], set()
    for seed in config["seed_list"]:
        if problem == "friedman":
            data = friedman_problem(config, seed)
        else:
            data = _parts(*table[:2], config, seed, table[2])
        n_features = data["labeled"][0].shape[1]
        head = (
            f"teacher {len(data['teacher'][1]):,}, labeled "
            f"{len(data['labeled'][1]):,}, unlabeled {len(data['unlabeled']):,}, "
            f"test {len(data['test'][1]):,}; {n_features} features"
        )
        log(f"[{problem} seed {seed}] rows: {head}")
        run = RegressionRun(problem, seed, data, config, log, traced)
        records.append(run.teacher_record)
        for student in students:
            for method in config["methods"]:
                records.append(run.fit(student, method))
        log(
            f"[{problem} seed {seed}] done; "
            f"{time.perf_counter() - started:.0f} s so far"
        )
    return records, head


def main(argv=None):
    args = parse_args(argv)
    config = config_of(args)
    config["seed_list"] = list(range(args.seeds))
    students = {
        p: tuple(args.students) if args.students else DEFAULT_STUDENTS[p]
        for p in args.problems
    }
    config["students_by_problem"] = students
    need_keras = any(s in KERAS_STUDENTS for ss in students.values() for s in ss)
    started = time.perf_counter()
    limiter = limit_threads(args.threads, need_keras)  # noqa: F841
    if need_keras:
        import_keras_timed()

    records, heads = [], {}
    for problem in args.problems:
        table = None
        if problem == "nass":
            path = Path(args.data_dir) / NASS["file"]
            if not path.exists():
                log(f"[nass] skipped: {path} not found (give --data-dir)")
                continue
            table = load_nass(path, args.nass_rows)
        found, heads[problem] = run_problem(
            problem, table, students[problem], config, started
        )
        records += found
    summary = summarize(records, ("problem", "student", "method"), METRICS)
    found = differences(records)
    report(args, config, heads, records, summary, found)
    return finish(
        args,
        started,
        {
            "config": config,
            "records": records,
            "summary": summary,
            "differences": found,
        },
    )


if __name__ == "__main__":
    sys.exit(main())
