"""scikit-learn students: soft targets against labels and pseudo-labels.

A teacher (``HistGradientBoostingClassifier(max_iter=300)`` or
``RandomForestClassifier(n_estimators=500)``) is trained on plenty of labeled
rows. The student's owner has few labels, plus unlabeled rows. For each
student -- decision trees of depth 4 and 8, small and larger gradient
boosting, logistic regression, and the Keras ``MLPStudent((64,))`` -- this
compares five ways to train it:

* ``labels``: the student on the owner's labels alone;
* ``pseudo``: the labels plus the teacher's hard labels on the unlabeled rows
  (what a user does without this library);
* ``distilled``: ``DistilledClassifier(student=...)`` on the labeled rows;
* ``distilled_unlabeled``: the same with the unlabeled rows (``X_unlabeled``);
* ``distilled_munge``: the same with synthetic rows only
  (``augment=Munge(...)``; by default as many as there are unlabeled rows).

on three problems: ``bench_transfer``'s synthetic 5-class problem, and two
real, imbalanced tables (NASS car crashes, Lending Club loans), each split per
seed into teacher rows (half), the owner's labeled and unlabeled rows, and a
stratified test split. It reports, as mean and standard deviation over seeds,
test accuracy, ROC AUC and log-loss (binary tables), agreement with the
teacher's predictions on the test rows, the student's size, predict time per
1,000 rows and fit time. A sweep over temperature and alpha for two students
on the synthetic problem shows where soft targets beat pseudo-labels, and the
run ends with three target figures: the distilled depth-8 tree's gain over the
tree on labels alone (target: 8 points), the distilled 100-iteration boosting
student's share of the teacher's accuracy (target: 0.95), and the expanded
fit's time over a hard-label fit on the same rows (target: at most 3).

Every feature is standardized once (a scaler fitted on the non-test rows), so
logistic regression and the network get scaled inputs and every method sees
the same features. Fit times of the distilled methods exclude the teacher's
pass: its outputs are computed once per seed (the library's teacher cache),
as the pseudo-labels are. By default numerical libraries run on one thread
(``--threads``), which is faster than two when the machine is shared.

Run::

    python benchmarks/bench_students.py --json bench_students.json

Add ``--quick`` for a look in seconds (what CI runs: the synthetic problem
only, small sets, a one-point sweep), or cut the run with ``--seeds``,
``--datasets``, ``--teachers``, ``--students``, ``--methods``. The tables are
read from ``--data-dir`` (default ``../shared/data`` beside the checkout), or
from ``--nass`` and ``--lending``.
"""

import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from _data import (
    TABLES,
    fill_medians,
    one_hot,
    read_table,
    split_rows,
    standardize,
    synthetic_problem,
)
from _harness import (
    Run,
    config_of,
    finish,
    limit_threads,
    log,
    make_munge,
    make_parser,
    make_student,
    make_teacher,
    parse,
    predict_ms,
    size,
    summarize,
    timed_fit,
)
from _students_report import (
    DATASETS,
    DISTILLED,
    METHODS,
    METRICS,
    STUDENTS,
    TEACHERS,
    print_tables,
    targets,
)

# The owner's labeled rows of each real table, by default.
LABELED = {"nass": 1000, "lending": 600}


def table_problem(name, path, config, seed):
    """Teacher rows, the owner's labeled and unlabeled rows, test rows."""
    frame, y = read_table(name, path)
    X, dummies, columns = one_hot(frame)
    n = len(y)
    n_test = int(round(config["test_share"] * n))
    n_teacher = int(round(config["teacher_share"] * n))
    n_labeled = config[f"{name}_labeled"]
    test, teacher, labeled, unlabeled = split_rows(
        y, [n_test, n_teacher, n_labeled], seed
    )
    # Missing numerics take the median of the training (non-test) rows.
    X = fill_medians(X, np.concatenate([teacher, labeled, unlabeled]))
    return {
        "teacher": (X[teacher], y[teacher]),
        "labeled": (X[labeled], y[labeled]),
        "unlabeled": X[unlabeled],
        "test": (X[test], y[test]),
        "categorical": dummies,
        "columns": columns,
    }


def make_students_teacher(name, seed):
    """``hgb``: as bench_transfer's, 300 iterations; ``rf``: 500 trees."""
    if name == "hgb":
        return make_teacher("hgb", seed)
    return make_teacher("rf", seed, n_estimators=500, n_jobs=2)


def make_students_student(name, seed):
    """An unfitted scikit-learn student (the network is built elsewhere)."""
    return make_student(name, seed, **({"max_depth": 3} if name == "hgb20" else {}))


def mlp_epochs(n_rows, config):
    """Epochs giving about ``mlp_steps`` gradient steps, within [5, 200]."""
    steps_per_epoch = math.ceil(n_rows / config["batch_size"])
    return int(min(200, max(5, round(config["mlp_steps"] / steps_per_epoch))))


def evaluate(model, data, teacher_test_pred):
    from skdistill.cli._evaluation import classification_scores

    X_test, y_test = data["test"]
    proba = np.asarray(model.predict_proba(X_test), dtype=np.float64)
    classes = model.classes_
    # Rows renormalized: a student's float32 outputs sum to 1 within ~1e-7.
    found = classification_scores(
        y_test, proba / proba.sum(axis=1, keepdims=True), classes
    )
    out = {
        "accuracy": found["accuracy"],
        "agreement": float(np.mean(classes[proba.argmax(axis=1)] == teacher_test_pred)),
        "log_loss": found["log_loss"],
    }
    if len(classes) == 2:
        out["roc_auc"] = found["roc_auc"]
    return out


class StudentsRun(Run):
    """One (dataset, teacher, seed): the data, the fitted teacher, the fits."""

    def __init__(self, dataset, teacher_name, seed, data, config, log):
        tags = {"dataset": dataset, "teacher": teacher_name, "seed": seed}
        super().__init__(tags, config, log)
        self.dataset, self.teacher_name, self.seed = dataset, teacher_name, seed
        self.data = data
        X_t, y_t = data["teacher"]
        teacher = make_students_teacher(teacher_name, seed)
        fit_seconds, _ = timed_fit(teacher, X_t, y_t)
        self.teacher = teacher
        X_test, y_test = data["test"]
        self.teacher_test_pred = teacher.predict(X_test)
        start = time.perf_counter()
        self.pseudo_labels = teacher.predict(data["unlabeled"])
        self.teacher_pass_seconds = time.perf_counter() - start
        # One-hot columns are swapped for the neighbour's, never perturbed.
        self.munge = make_munge(data, config)
        record = {
            "method": "teacher",
            "student": teacher_name,
            "fit_seconds": fit_seconds,
            "size": size(teacher),
            "predict_ms_per_1000": predict_ms(teacher, X_test),
            **evaluate(teacher, data, self.teacher_test_pred),
        }
        self.teacher_record = self.tag(record)
        log(
            f"[{dataset} seed {seed}] teacher {teacher_name}: accuracy "
            f"{record['accuracy']:.4f}, fit {fit_seconds:.1f} s, "
            f"{len(y_t):,} rows"
        )
        self._warm_cache()

    def _distiller(self, student, temperature, alpha, **params):
        from skdistill import DistilledClassifier

        return DistilledClassifier(
            teacher=self.teacher,
            student=student,
            temperature=temperature,
            alpha=alpha,
            random_state=self.seed,
            **params,
        )

    def _warm_cache(self):
        """Run the teacher once on every row the distilled fits will show it.

        The teacher cache then serves its outputs, so that the distilled
        fits' times are the student's, like the pseudo-label fits'.
        """
        from sklearn.tree import DecisionTreeClassifier

        X, y = self.data["labeled"]
        start = time.perf_counter()
        stump = DecisionTreeClassifier(max_depth=1)
        self._distiller(stump, 1.0, 0.5).fit(X, y, X_unlabeled=self.data["unlabeled"])
        if "distilled_munge" in self.config["methods"]:
            self._distiller(stump, 1.0, 0.5, augment=self.munge).fit(X, y)
        self.log(
            f"[{self.dataset} seed {self.seed}] teacher {self.teacher_name}: "
            f"outputs on the transfer rows, {time.perf_counter() - start:.1f} s"
        )

    def fit(self, student_name, method, temperature, alpha):
        """Fit one student by one method; return its record."""
        from skdistill import DistilledClassifier, MLPStudent

        config, data, seed = self.config, self.data, self.seed
        X, y = data["labeled"]
        X_u = data["unlabeled"]
        if method == "pseudo":
            X, y = np.vstack([X, X_u]), np.concatenate([y, self.pseudo_labels])
        fit_params = {"X_unlabeled": X_u} if method == "distilled_unlabeled" else {}
        augment = {"augment": self.munge} if method == "distilled_munge" else {}
        if student_name == "mlp":
            n_rows = len(X) + len(X_u) * (method == "distilled_unlabeled")
            if method == "distilled_munge":
                n_rows += max(1, int(round(self.munge.size * len(X))))
            keras_params = dict(
                student=MLPStudent(
                    hidden_units=tuple(config["mlp_hidden_units"]), standardize=True
                ),
                epochs=mlp_epochs(n_rows, config),
                batch_size=config["batch_size"],
                # Fixed epochs, as measured (no early stopping).
                n_iter_no_change=None,
                random_state=seed,
            )
            if method in ("labels", "pseudo"):
                model = DistilledClassifier(teacher=None, alpha=1.0, **keras_params)
            else:
                model = DistilledClassifier(
                    teacher=self.teacher,
                    temperature=temperature,
                    alpha=alpha,
                    **keras_params,
                    **augment,
                )
        elif method in ("labels", "pseudo"):
            model = make_students_student(student_name, seed)
        else:
            model = self._distiller(
                make_students_student(student_name, seed), temperature, alpha, **augment
            )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            model.fit(X, y, **fit_params)
        fit_seconds = time.perf_counter() - start
        soft = method in DISTILLED
        record = self.tag(
            {
                "student": student_name,
                "method": method,
                "temperature": temperature if soft else None,
                "alpha": alpha if soft else None,
                "fit_seconds": fit_seconds,
                "size": size(model),
                "predict_ms_per_1000": predict_ms(model, data["test"][0]),
                **evaluate(model, data, self.teacher_test_pred),
            }
        )
        extra = f", auc {record['roc_auc']:.4f}" if "roc_auc" in record else ""
        tag = f" T={temperature:g} alpha={alpha:g}" if soft else ""
        self.log(
            f"[{self.dataset} seed {seed} {self.teacher_name}] {student_name} "
            f"{method}{tag}: accuracy {record['accuracy']:.4f}{extra}, "
            f"agreement {record['agreement']:.4f}, fit {fit_seconds:.2f} s"
        )
        return record


def cold_fit_times(run, students):
    """Fit times with the teacher's pass inside: hard labels against expanded.

    Hard: ``teacher.predict`` on the unlabeled rows, then the student's fit on
    the labeled and pseudo-labeled rows. Expanded: ``DistilledClassifier`` with
    the teacher cache off, on the labeled rows and ``X_unlabeled``.
    """
    X, y = run.data["labeled"]
    X_u = run.data["unlabeled"]
    out = {}
    for student in students:
        start = time.perf_counter()
        pseudo = run.teacher.predict(X_u)
        make_students_student(student, run.seed).fit(
            np.vstack([X, X_u]), np.concatenate([y, pseudo])
        )
        hard = time.perf_counter() - start
        model = run._distiller(
            make_students_student(student, run.seed),
            run.config["temperature"],
            run.config["alpha"],
            teacher_cache=False,
        )
        start = time.perf_counter()
        model.fit(X, y, X_unlabeled=X_u)
        soft = time.perf_counter() - start
        out[student] = (soft, hard)
        run.log(
            f"[synthetic seed {run.seed} hgb] {student} timing with the teacher's "
            f"pass: expanded {soft:.2f} s, hard labels {hard:.2f} s"
        )
    return out


def parse_args(argv):
    parser = make_parser(
        __doc__,
        quick="one seed, the synthetic problem, the HGB teacher, three students, "
        "1,000 teacher and unlabeled rows, a one-point sweep",
        threads=True,
        data_dir=True,
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=DATASETS)
    parser.add_argument("--teachers", nargs="+", choices=TEACHERS, default=TEACHERS)
    parser.add_argument("--students", nargs="+", choices=STUDENTS, default=STUDENTS)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=METHODS)
    parser.add_argument("--nass", default=None, help="nass_cds.csv.gz")
    parser.add_argument("--lending", default=None, help="lending_club.csv.gz")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--alpha", type=float, default=0.1)
    parser.add_argument(
        "--sweep-temperatures", type=float, nargs="*", default=[0.5, 1.0, 2.0]
    )
    parser.add_argument(
        "--sweep-alphas", type=float, nargs="*", default=[0.0, 0.1, 0.5]
    )
    parser.add_argument(
        "--sweep-students", nargs="*", choices=STUDENTS, default=["tree8", "hgb100"]
    )
    parser.add_argument("--sweep-teacher", choices=TEACHERS, default="hgb")
    parser.add_argument(
        "--timing-students",
        nargs="*",
        choices=[s for s in STUDENTS if s != "mlp"],
        default=["hgb100", "tree8"],
        help="target 3 also timed with the teacher's pass inside both fits",
    )
    parser.add_argument("--n-teacher", type=int, default=20_000, help="synthetic")
    parser.add_argument("--n-labeled", type=int, default=2_000, help="synthetic")
    parser.add_argument("--n-unlabeled", type=int, default=20_000, help="synthetic")
    parser.add_argument("--nass-labeled", type=int, default=LABELED["nass"])
    parser.add_argument("--lending-labeled", type=int, default=LABELED["lending"])
    parser.add_argument("--teacher-share", type=float, default=0.5)
    parser.add_argument("--test-share", type=float, default=0.25)
    parser.add_argument(
        "--munge-size",
        type=float,
        default=None,
        help="synthetic rows per labeled row (default: as many as unlabeled rows)",
    )
    parser.add_argument("--mlp-hidden-units", type=int, nargs="+", default=[64])
    parser.add_argument(
        "--mlp-steps",
        type=int,
        default=2_000,
        help="about this many gradient steps per network fit (5 to 200 epochs)",
    )
    parser.add_argument("--batch-size", type=int, default=128)
    quick = dict(seeds=[0], datasets=["synthetic"], teachers=["hgb"])
    quick.update(students=["tree8", "hgb100", "mlp"], mlp_steps=50)
    quick.update(n_teacher=1_000, n_labeled=300, n_unlabeled=1_000)
    quick.update(sweep_temperatures=[2.0], sweep_alphas=[0.5])
    quick.update(sweep_students=["tree8"], timing_students=["tree8"])
    return parse(parser, argv, quick)


def sweep_fits(run, args, sweep):
    """The sweep's records on one run; the main grid's fits are reused."""
    default = (args.temperature, args.alpha)
    records = []
    for student in args.sweep_students:
        done = set(args.methods) if student in args.students else set()
        for method in ("labels", "pseudo"):
            if method not in done:
                records.append(run.fit(student, method, *default))
        for method in ("distilled", "distilled_unlabeled"):
            points = sweep + ([] if method in done else [default])
            for T, a in points:
                records.append(run.fit(student, method, T, a))
    return records


def run_dataset(dataset, path, args, config, sweep, started):
    """Every seed and teacher of one data set: records, and target 3's timing."""
    records, timing = [], {}
    for seed in args.seeds:
        if dataset == "synthetic":
            raw = synthetic_problem(config, seed)
        else:
            raw = table_problem(dataset, path, config, seed)
        data = standardize(raw)
        log(
            f"[{dataset} seed {seed}] rows: teacher {len(data['teacher'][1]):,}, "
            f"labeled {len(data['labeled'][1]):,}, unlabeled "
            f"{len(data['unlabeled']):,}, test {len(data['test'][1]):,}; "
            f"{data['labeled'][0].shape[1]} features"
        )
        for teacher_name in args.teachers:
            run = StudentsRun(dataset, teacher_name, seed, data, config, log)
            records.append(run.teacher_record)
            for student in args.students:
                for method in args.methods:
                    records.append(
                        run.fit(student, method, args.temperature, args.alpha)
                    )
            synthetic = dataset == "synthetic"
            first = synthetic and teacher_name == "hgb" and seed == min(args.seeds)
            if first and args.timing_students:
                timing = cold_fit_times(run, args.timing_students)
            if synthetic and teacher_name == args.sweep_teacher:
                records += sweep_fits(run, args, sweep)
            log(
                f"[{dataset} seed {seed} {teacher_name}] done; "
                f"{time.perf_counter() - started:.0f} s so far"
            )
    return records, timing


def table_paths(args):
    """Each real table's file: its option, else the data folder's, else None."""
    paths = {}
    for name in ("nass", "lending"):
        path = getattr(args, name) or Path(args.data_dir) / TABLES[name]["file"]
        paths[name] = str(path) if Path(path).exists() else None
    return paths


def main(argv=None):
    args = parse_args(argv)
    config = config_of(args)
    paths = table_paths(args)
    config["paths"] = paths
    limiter = limit_threads(args.threads, "mlp" in args.students)  # noqa: F841
    started = time.perf_counter()
    records, used, timing = [], [], {}
    # The sweep's points besides the default one.
    sweep = [
        (T, a)
        for T in args.sweep_temperatures
        for a in args.sweep_alphas
        if (T, a) != (args.temperature, args.alpha)
    ]
    for dataset in args.datasets:
        if dataset != "synthetic" and paths[dataset] is None:
            log(
                f"[{dataset}] skipped: no data file (give --{dataset} PATH or "
                f"--data-dir; looked in {args.data_dir})"
            )
            continue
        used.append(dataset)
        found, timed = run_dataset(
            dataset, paths.get(dataset), args, config, sweep, started
        )
        records += found
        timing = timed or timing
    summary = summarize(records, KEYS, METRICS, population=True)
    found = targets(records, config, timing)
    print_tables(args, config, used, records, summary, sweep, found)
    payload = {"config": config, "records": records, "summary": summary}
    payload["targets"] = found
    payload["timing_with_teacher_pass"] = {
        k: {"expanded_seconds": v[0], "hard_seconds": v[1]} for k, v in timing.items()
    }
    return finish(args, started, payload)


KEYS = ("dataset", "teacher", "student", "method", "temperature", "alpha")

if __name__ == "__main__":
    sys.exit(main())
