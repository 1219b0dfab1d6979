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
time per 1,000 raw rows (median of 7 calls after an untimed one; on the
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

``--quick`` (what CI runs) takes seconds: one seed, the NASS table cut to
4,000 rows, 300 labeled and at most 1,000 unlabeled rows, at most 5 epochs.
Predict times are the main job's timer. Tables go to stdout,
progress to stderr. The data are read from ``--data-dir`` (default
``$SKDISTILL_DATA``, else ``$SKDISTILL_DATA_DIR``, else ``../shared/data``
beside the checkout).
"""

import contextlib
import pickle
import sys
import time
from pathlib import Path

import numpy as np
from _data import TABLES, as_categories, make_encoder, read_table, split_rows
from _harness import (
    Run,
    config_of,
    finish,
    limit_threads,
    log_err,
    make_parser,
    make_student,
    make_teacher,
    parse,
    predict_ms,
    size,
    timed_fit,
    warm_up_keras,
    warning_texts,
    without_teacher,
)
from _tables_report import (
    BASELINES,
    METHODS,
    PATHS,
    STUDENTS,
    differences,
    report,
    summarize,
)


def load_table(name, data_dir, max_rows=None):
    """The table as a frame (strings as categories, NaN kept) and a 0/1 target.

    ``max_rows``: a stratified sample of that many rows (``--quick``).
    """
    frame, y = read_table(name, data_dir)
    if max_rows is not None and max_rows < len(y):
        keep = split_rows(y, [max_rows], 0)[0]
        frame, y = frame.iloc[keep].reset_index(drop=True), y[keep]
    return as_categories(frame), y


def split(frame, y, config, seed):
    """Stratified test, teacher, labeled and unlabeled rows (frames and targets)."""
    n = len(y)
    test, teacher, labeled, rest = split_rows(
        y,
        [
            int(round(config["test_share"] * n)),
            int(round(config["teacher_share"] * n)),
            config["n_labeled"],
        ],
        seed,
    )
    if len(rest) > config["max_unlabeled"]:
        rest = rest[split_rows(y[rest], [config["max_unlabeled"]], seed)[0]]

    def rows(index):
        return frame.iloc[index].reset_index(drop=True), y[index]

    X_u, _ = rows(rest)
    return {
        "teacher": rows(teacher),
        "labeled": rows(labeled),
        "unlabeled": X_u,
        "test": rows(test),
    }


def make_tables_teacher(seed, early_stopping):
    """The teacher of both paths: 100 iterations, native categories.

    On the one-hot matrix, which has no category columns, ``"from_dtype"``
    finds none.
    """
    return make_teacher(
        "hgb",
        seed,
        max_iter=100,
        categorical_features="from_dtype",
        early_stopping=True if early_stopping == "on" else "auto",
    )


def make_tables_student(name, path, encoder, seed):
    """The unfitted scikit-learn student, or None for the network."""
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline

    if name == "tree":
        tree = make_student("tree6", seed)
        return make_pipeline(clone(encoder), tree) if path == "frame" else tree
    if name == "hgb20":
        return make_student("hgb20", seed, categorical_features="from_dtype")
    return None


def make_baseline(name, encoder, seed):
    from sklearn.base import clone
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline

    if name == "hgb":
        # scikit-learn's defaults: 100 iterations, early stopping "auto".
        return make_teacher(
            "hgb",
            seed,
            max_iter=100,
            early_stopping="auto",
            categorical_features="from_dtype",
        )
    return make_pipeline(
        clone(encoder), MLPClassifier(hidden_layer_sizes=(64,), random_state=seed)
    )


def scores(model, X_test, y_test):
    from skdistill.cli._evaluation import classification_scores

    proba = np.asarray(model.predict_proba(X_test), dtype=np.float64)
    # Rows renormalized: a network's float32 outputs sum to 1 within ~1e-7.
    proba /= proba.sum(axis=1, keepdims=True)
    return classification_scores(y_test, proba, model.classes_)


class TablesRun(Run):
    """One (table, seed): the rows, both teachers, every fit's record."""

    def __init__(self, dataset, seed, data, config, log):
        from sklearn.base import clone

        super().__init__({"dataset": dataset, "seed": seed}, config, log)
        self.dataset, self.seed, self.data = dataset, seed, data
        X_t, y_t = data["teacher"]
        self.encoder = make_encoder(X_t, impute=True)
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

    def _fit_teacher(self, path):
        X, y = self._rows(path)["teacher"]
        teacher = make_tables_teacher(self.seed, self.config["teacher_early_stopping"])
        fit_seconds, _ = timed_fit(teacher, X, y)
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
        shipped = self._from_raw_rows(path, without_teacher(model))
        record = self.tag(
            {
                "path": path,
                "student": student,
                "method": method,
                "fit_seconds": fit_seconds,
                "size": size(model),
                "pickled_bytes": len(pickle.dumps(shipped)),
                "predict_ms_per_1000": predict_ms(shipped, self.data["test"][0]),
                "n_iter": getattr(model, "n_iter_", None),
                "warnings": warning_texts(caught),
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
        sklearn_student = make_tables_student(student, path, self.encoder, seed)
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

    def fit(self, student, path, method):
        from skdistill import get_teacher_cache

        rows = self._rows(path)
        X, y = rows["labeled"]
        model = self._model(student, path, method)
        fit_params = {"X_unlabeled": rows["unlabeled"]} if method == "distilled" else {}
        hits = get_teacher_cache().hits
        seconds, caught = timed_fit(model, X, y, **fit_params)
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
        seconds, caught = timed_fit(model, X, y)
        return self._record("frame", name, "baseline", model, seconds, caught)


def parse_args(argv):
    parser = make_parser(
        __doc__,
        quick="one seed, NASS cut to 4,000 rows, 300 labeled, at most 1,000 "
        "unlabeled, at most 5 epochs",
        threads=True,
        data_dir=True,
    )
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
        "--max-rows", type=int, default=None, help="a stratified sample of each table"
    )
    quick = dict(seeds=1, datasets=["nass"], max_rows=4_000, n_labeled=300)
    args = parse(parser, argv, {**quick, "max_unlabeled": 1_000, "epochs": 5})
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
        frame, y = load_table(dataset, args.data_dir, args.max_rows)
        for seed in config["seed_list"]:
            data = split(frame, y, config, seed)
            if not warmed:
                X, y = data["labeled"]
                encoder = make_encoder(X, impute=True)
                warm_up_keras(X, y, log, preprocessor=encoder)
                warmed = True
            run = TablesRun(dataset, seed, data, config, log)
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


def main(argv=None):
    args = parse_args(argv)
    config = config_of(args)
    config["seed_list"] = list(range(args.seeds))
    started = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        limiter = limit_threads(args.threads, need_keras=True)  # noqa: F841
    records, heads = run_tables(args, config, log_err)
    summary = summarize(records)
    found = differences(records)
    early_stopping = make_tables_teacher(0, args.teacher_early_stopping).early_stopping
    report(args, records, heads, summary, found, early_stopping)
    payload = {"config": config, "records": records, "summary": summary}
    payload["differences"] = found
    return finish(args, started, payload, log=log_err)


if __name__ == "__main__":
    sys.exit(main())
