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

Add ``--quick`` for a short look, or cut the run with ``--seeds``,
``--datasets``, ``--teachers``, ``--students``, ``--methods``.
"""

import argparse
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from bench_transfer import PROBLEM, make_problem, predict_ms_per_1000  # noqa: E402

ROOT = BENCH_DIR.parent
DATA_DIR = ROOT.parent / "shared" / "data"

DATASETS = ("synthetic", "nass", "lending")
TEACHERS = ("hgb", "rf")
STUDENTS = ("tree4", "tree8", "hgb20", "hgb100", "logreg", "mlp")
METHODS = ("labels", "pseudo", "distilled", "distilled_unlabeled", "distilled_munge")
DISTILLED = ("distilled", "distilled_unlabeled", "distilled_munge")

# The real tables: file, target column, positive class, columns dropped
# (leak or identify the row), and the owner's labeled rows by default.
TABLES = {
    "nass": {
        "file": "nass_cds.csv.gz",
        "target": "dead",
        "positive": "dead",
        # injSeverity is the injury outcome; caseid identifies the crash.
        "drop": ["injSeverity", "caseid"],
        "n_labeled": 1000,
    },
    "lending": {
        "file": "lending_club.csv.gz",
        "target": "Class",
        "positive": "bad",
        # Every column is known when the loan is granted (amount, term, rate,
        # grade, state, income, the applicant's credit history): none records
        # the loan's outcome or identifies it, so none is dropped.
        "drop": [],
        "n_labeled": 600,
    },
}


# ---------------------------------------------------------------------------
# Data


def _split_rows(y, sizes, seed):
    """Stratified index sets of the given sizes (the last takes the rest)."""
    from sklearn.model_selection import train_test_split

    rest = np.arange(len(y))
    parts = []
    for size in sizes:
        taken, rest = train_test_split(
            rest, train_size=size, stratify=y[rest], random_state=seed
        )
        parts.append(np.sort(taken))
    parts.append(np.sort(rest))
    return parts


def load_table(name, path):
    """The table's features (one-hot categoricals, NaN kept) and 0/1 target."""
    import pandas as pd

    spec = TABLES[name]
    frame = pd.read_csv(path)
    y = (frame[spec["target"]] == spec["positive"]).to_numpy().astype(np.int64)
    frame = frame.drop(columns=[spec["target"], *spec["drop"]])
    categorical = [
        c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])
    ]
    frame = pd.get_dummies(frame, columns=categorical, dtype=np.float64)
    dummies = np.array(
        [any(c.startswith(f"{cat}_") for cat in categorical) for c in frame.columns]
    )
    return frame.to_numpy(np.float64), y, dummies, list(frame.columns)


def table_problem(name, path, config, seed):
    """Teacher rows, the owner's labeled and unlabeled rows, test rows."""
    X, y, dummies, columns = load_table(name, path)
    n = len(y)
    n_test = int(round(config["test_share"] * n))
    n_teacher = int(round(config["teacher_share"] * n))
    n_labeled = config[f"{name}_labeled"]
    test, teacher, labeled, unlabeled = _split_rows(
        y, [n_test, n_teacher, n_labeled], seed
    )
    # Missing numerics take the median of the training (non-test) rows.
    train = np.concatenate([teacher, labeled, unlabeled])
    medians = np.nanmedian(X[train], axis=0)
    missing = np.isnan(X)
    X[missing] = np.take(medians, np.nonzero(missing)[1])
    return {
        "teacher": (X[teacher], y[teacher]),
        "labeled": (X[labeled], y[labeled]),
        "unlabeled": X[unlabeled],
        "test": (X[test], y[test]),
        "categorical": dummies,
        "columns": columns,
    }


def synthetic_problem(config, seed):
    problem = dict(PROBLEM)
    problem.update(
        n_teacher=config["n_teacher"],
        n_labeled=config["n_labeled"],
        n_unlabeled=config["n_unlabeled"],
    )
    data = make_problem(problem, seed)
    data["categorical"] = np.zeros(problem["n_features"], dtype=bool)
    return data


def standardize(data):
    """Scale every feature by a scaler fitted on the non-test rows."""
    from sklearn.preprocessing import StandardScaler

    train = np.vstack([data["teacher"][0], data["labeled"][0], data["unlabeled"]])
    scaler = StandardScaler().fit(train)

    def scale(X):
        return scaler.transform(X).astype(np.float32)

    out = dict(data)
    for part in ("teacher", "labeled", "test"):
        X, y = data[part]
        out[part] = (scale(X), y)
    out["unlabeled"] = scale(data["unlabeled"])
    return out


# ---------------------------------------------------------------------------
# Models


def make_teacher(name, seed):
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

    if name == "hgb":
        # As bench_transfer: 300 iterations, no early stopping.
        return HistGradientBoostingClassifier(
            max_iter=300, early_stopping=False, random_state=seed
        )
    return RandomForestClassifier(n_estimators=500, n_jobs=2, random_state=seed)


def make_student(name, seed):
    """An unfitted scikit-learn student (the network is built elsewhere)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    # Boosting students never stop early: 20 or 100 iterations whatever the
    # number of rows (with the default, fits on more than 10,000 rows would
    # stop early and the labels-only fits would not).
    return {
        "tree4": lambda: DecisionTreeClassifier(max_depth=4, random_state=seed),
        "tree8": lambda: DecisionTreeClassifier(max_depth=8, random_state=seed),
        "hgb20": lambda: HistGradientBoostingClassifier(
            max_iter=20, max_depth=3, early_stopping=False, random_state=seed
        ),
        "hgb100": lambda: HistGradientBoostingClassifier(
            max_iter=100, early_stopping=False, random_state=seed
        ),
        "logreg": lambda: LogisticRegression(max_iter=1000),
    }[name]()


def mlp_epochs(n_rows, config):
    """Epochs giving about ``mlp_steps`` gradient steps, within [5, 200]."""
    steps_per_epoch = math.ceil(n_rows / config["batch_size"])
    return int(min(200, max(5, round(config["mlp_steps"] / steps_per_epoch))))


def model_size(model):
    """Nodes of a tree model, coefficients of a linear one, a network's weights."""
    from skdistill import DistilledClassifier

    if isinstance(model, DistilledClassifier):
        if hasattr(model, "student_model_"):
            return int(model.student_model_.count_params())
        model = model.student_
    if hasattr(model, "tree_"):
        return int(model.tree_.node_count)
    from sklearn.ensemble import HistGradientBoostingClassifier

    if isinstance(model, HistGradientBoostingClassifier):
        try:
            return int(sum(len(p.nodes) for it in model._predictors for p in it))
        except Exception:  # noqa: BLE001 - a private attribute; estimate instead
            depth = model.max_depth or 10
            return int(model.n_iter_ * 2 ** (depth + 1))
    if hasattr(model, "coef_"):
        return int(model.coef_.size + np.size(model.intercept_))
    if hasattr(model, "estimators_"):  # a forest
        return int(sum(e.tree_.node_count for e in model.estimators_))
    return -1


def evaluate(model, data, teacher_test_pred):
    from sklearn.metrics import log_loss, roc_auc_score

    X_test, y_test = data["test"]
    proba = np.asarray(model.predict_proba(X_test), dtype=np.float64)
    classes = model.classes_
    pred = classes[np.argmax(proba, axis=1)]
    out = {
        "accuracy": float(np.mean(pred == y_test)),
        "agreement": float(np.mean(pred == teacher_test_pred)),
        # Rows renormalized: a student's float32 outputs sum to 1 within ~1e-7.
        "log_loss": float(
            log_loss(y_test, proba / proba.sum(axis=1, keepdims=True), labels=classes)
        ),
    }
    if len(classes) == 2:
        out["roc_auc"] = float(roc_auc_score(y_test, proba[:, 1]))
    return out


class Run:
    """One (dataset, teacher, seed): the data, the fitted teacher, the fits."""

    def __init__(self, dataset, teacher_name, seed, data, config, log):
        self.dataset, self.teacher_name, self.seed = dataset, teacher_name, seed
        self.data, self.config, self.log = data, config, log
        X_t, y_t = data["teacher"]
        teacher = make_teacher(teacher_name, seed)
        start = time.perf_counter()
        teacher.fit(X_t, y_t)
        fit_seconds = time.perf_counter() - start
        self.teacher = teacher
        X_test, y_test = data["test"]
        self.teacher_test_pred = teacher.predict(X_test)
        start = time.perf_counter()
        self.pseudo_labels = teacher.predict(data["unlabeled"])
        self.teacher_pass_seconds = time.perf_counter() - start
        n_labeled, n_unlabeled = len(data["labeled"][1]), len(data["unlabeled"])
        size = config["munge_size"] or max(1.0, n_unlabeled / n_labeled)
        from skdistill import Munge

        categorical = np.nonzero(data["categorical"])[0]
        # One-hot columns are swapped for the neighbour's, never perturbed.
        self.munge = Munge(
            size=size, categorical_features=categorical if len(categorical) else None
        )
        record = {
            "method": "teacher",
            "student": teacher_name,
            "fit_seconds": fit_seconds,
            "size": model_size(teacher),
            "predict_ms_per_1000": predict_ms_per_1000(teacher, X_test),
            **evaluate(teacher, data, self.teacher_test_pred),
        }
        self.teacher_record = self._tag(record)
        log(
            f"[{dataset} seed {seed}] teacher {teacher_name}: accuracy "
            f"{record['accuracy']:.4f}, fit {fit_seconds:.1f} s, "
            f"{len(y_t):,} rows"
        )
        self._warm_cache()

    def _tag(self, record):
        return {
            "dataset": self.dataset,
            "teacher": self.teacher_name,
            "seed": self.seed,
            **record,
        }

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
            model = make_student(student_name, seed)
        else:
            model = self._distiller(
                make_student(student_name, seed), temperature, alpha, **augment
            )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            model.fit(X, y, **fit_params)
        fit_seconds = time.perf_counter() - start
        soft = method in DISTILLED
        record = self._tag(
            {
                "student": student_name,
                "method": method,
                "temperature": temperature if soft else None,
                "alpha": alpha if soft else None,
                "fit_seconds": fit_seconds,
                "size": model_size(model),
                "predict_ms_per_1000": predict_ms_per_1000(model, data["test"][0]),
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


# ---------------------------------------------------------------------------
# Summaries and tables


def _mean_sd(values):
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return float(np.mean(values)), float(np.std(values))


METRICS = (
    "accuracy",
    "roc_auc",
    "log_loss",
    "agreement",
    "size",
    "predict_ms_per_1000",
    "fit_seconds",
)


def summarize(records):
    """Mean and sd over seeds of each (dataset, teacher, student, method, T, alpha)."""
    groups = {}
    for r in records:
        key = (
            r["dataset"],
            r["teacher"],
            r["student"],
            r["method"],
            r.get("temperature"),
            r.get("alpha"),
        )
        groups.setdefault(key, []).append(r)
    summary = []
    for key, rows in groups.items():
        entry = dict(
            zip(
                ("dataset", "teacher", "student", "method", "temperature", "alpha"),
                key,
                strict=True,
            )
        )
        entry["seeds"] = [r["seed"] for r in rows]
        for metric in METRICS:
            mean, sd = _mean_sd([r.get(metric) for r in rows])
            if mean is not None:
                entry[f"{metric}_mean"], entry[f"{metric}_sd"] = mean, sd
        summary.append(entry)
    return summary


def _pm(entry, metric, scale=1.0, digits=2):
    if f"{metric}_mean" not in entry:
        return ""
    return (
        f"{scale * entry[metric + '_mean']:.{digits}f} ± "
        f"{scale * entry[metric + '_sd']:.{digits}f}"
    )


def dataset_table(summary, dataset, config, binary):
    rows = [
        s
        for s in summary
        if s["dataset"] == dataset
        and (s["method"] not in DISTILLED or s["temperature"] == config["temperature"])
        and (s["method"] not in DISTILLED or s["alpha"] == config["alpha"])
    ]
    header = ["teacher", "student", "method", "accuracy %"]
    if binary:
        header += ["ROC AUC", "log-loss"]
    header += ["agreement %", "size", "predict ms/1k", "fit s"]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] * 3 + ["---:"] * (len(header) - 3)) + "|",
    ]
    order = {m: i for i, m in enumerate(("teacher", *METHODS))}
    students = {s: i for i, s in enumerate((*TEACHERS, *STUDENTS))}
    rows.sort(
        key=lambda s: (
            TEACHERS.index(s["teacher"]),
            s["method"] != "teacher",
            students[s["student"]],
            order[s["method"]],
        )
    )
    for s in rows:
        cells = [s["teacher"], s["student"], s["method"], _pm(s, "accuracy", 100)]
        if binary:
            cells += [_pm(s, "roc_auc", 1, 4), _pm(s, "log_loss", 1, 4)]
        cells += [
            _pm(s, "agreement", 100),
            f"{s['size_mean']:,.0f}",
            f"{s['predict_ms_per_1000_mean']:.2f}",
            f"{s['fit_seconds_mean']:.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def sweep_table(records, config):
    """The sweep's fits against each student's pseudo-label and labels-only fits.

    Differences are paired by seed (mean ± sd of the per-seed differences).
    """
    synthetic = [
        r
        for r in records
        if r["dataset"] == "synthetic" and r["teacher"] == config["sweep_teacher"]
    ]
    reference = {
        (r["student"], r["method"], r["seed"]): r["accuracy"]
        for r in synthetic
        if r["method"] in ("labels", "pseudo")
    }
    groups = {}
    for r in synthetic:
        if r["student"] in config["sweep_students"] and r["method"] in (
            "distilled",
            "distilled_unlabeled",
        ):
            key = (r["student"], r["method"], r["temperature"], r["alpha"])
            groups.setdefault(key, []).append(r)

    def paired(rows, method):
        diffs = [
            100 * (r["accuracy"] - reference[(r["student"], method, r["seed"])])
            for r in rows
            if (r["student"], method, r["seed"]) in reference
        ]
        if not diffs:
            return ""
        return f"{np.mean(diffs):+.2f} ± {np.std(diffs):.2f}"

    lines = [
        "| student | method | T | alpha | accuracy % | − pseudo, points "
        "| − labels, points | agreement % |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for student in config["sweep_students"]:
        for method in ("labels", "pseudo"):
            acc = [
                r["accuracy"]
                for r in synthetic
                if r["student"] == student and r["method"] == method
            ]
            agree = [
                r["agreement"]
                for r in synthetic
                if r["student"] == student and r["method"] == method
            ]
            if acc:
                lines.append(
                    f"| {student} | {method} | | | {100 * np.mean(acc):.2f} ± "
                    f"{100 * np.std(acc):.2f} | | | {100 * np.mean(agree):.2f} ± "
                    f"{100 * np.std(agree):.2f} |"
                )
        for key in sorted(k for k in groups if k[0] == student):
            rows = groups[key]
            acc = np.array([r["accuracy"] for r in rows])
            agree = np.array([r["agreement"] for r in rows])
            lines.append(
                f"| {student} | {key[1]} | {key[2]:g} | {key[3]:g} | "
                f"{100 * acc.mean():.2f} ± {100 * acc.std():.2f} | "
                f"{paired(rows, 'pseudo')} | {paired(rows, 'labels')} | "
                f"{100 * agree.mean():.2f} ± {100 * agree.std():.2f} |"
            )
    return "\n".join(lines)


def targets(records, config, timing=None):
    """The three target figures on the synthetic problem (HGB teacher).

    Per seed: (1) a distilled depth-8 tree's accuracy minus the depth-8 tree's
    on the labels, in points; (2) the distilled 100-iteration boosting
    student's accuracy over the teacher's. The headline is the method
    declared before the run, ``distilled_unlabeled``; the others follow.
    (3) is one run (the first seed): the distilled fit on the labeled and
    unlabeled rows (the teacher's outputs cached) over the student's fit on
    the same rows with hard labels; ``timing`` adds the same with the
    teacher's pass inside both fits.
    """
    T, alpha = config["temperature"], config["alpha"]

    def accuracy(student, method):
        """Accuracy by seed."""
        return {
            r["seed"]: r["accuracy"]
            for r in records
            if r["dataset"] == "synthetic"
            and r["teacher"] == "hgb"
            and r["student"] == student
            and r["method"] == method
            and (
                method not in DISTILLED or (r["temperature"], r["alpha"]) == (T, alpha)
            )
        }

    def fit_seconds(student, method, seed):
        for r in records:
            if (
                r["dataset"] == "synthetic"
                and r["teacher"] == "hgb"
                and r["student"] == student
                and r["method"] == method
                and r["seed"] == seed
                and (
                    method not in DISTILLED
                    or (r["temperature"], r["alpha"]) == (T, alpha)
                )
            ):
                return r["fit_seconds"]
        return None

    first = min(config["seeds"])
    found = []

    def add(number, text, per_seed, threshold, larger, headline):
        seeds = sorted(per_seed)
        if first not in per_seed:
            return
        values = np.array([per_seed[s] for s in seeds])
        mean = float(values.mean())
        found.append(
            {
                "number": number,
                "target": text,
                "headline": headline,
                "per_seed": {str(s): float(per_seed[s]) for s in seeds},
                "first_seed": float(per_seed[first]),
                "mean": mean,
                "sd": float(values.std()),
                "met_first_seed": bool(
                    per_seed[first] >= threshold
                    if larger
                    else per_seed[first] <= threshold
                ),
                "met_mean": bool(mean >= threshold if larger else mean <= threshold),
            }
        )

    labels = accuracy("tree8", "labels")
    teacher = {
        r["seed"]: r["accuracy"]
        for r in records
        if r["dataset"] == "synthetic"
        and r["teacher"] == "hgb"
        and r["method"] == "teacher"
    }
    for method in ("distilled_unlabeled", "distilled_munge", "distilled"):
        soft = accuracy("tree8", method)
        gain = {s: 100 * (soft[s] - labels[s]) for s in soft if s in labels}
        add(
            1,
            f"tree8 {method} − tree8 labels, points (>= 8)",
            gain,
            8,
            True,
            method == "distilled_unlabeled",
        )
    for method in ("distilled_unlabeled", "distilled_munge", "distilled"):
        soft = accuracy("hgb100", method)
        ratio = {s: soft[s] / teacher[s] for s in soft if s in teacher}
        add(
            2,
            f"hgb100 {method} / teacher accuracy (>= 0.95)",
            ratio,
            0.95,
            True,
            method == "distilled_unlabeled",
        )
    for student in ("hgb100", "tree8", "hgb20", "tree4", "logreg"):
        soft = fit_seconds(student, "distilled_unlabeled", first)
        hard = fit_seconds(student, "pseudo", first)
        if soft and hard:
            add(
                3,
                f"{student} fit time, expanded / hard labels, same rows, teacher "
                "outputs cached (<= 3)",
                {first: soft / hard},
                3,
                False,
                student == "hgb100",
            )
            found[-1].update(soft_seconds=soft, hard_seconds=hard)
    for student, (soft, hard) in (timing or {}).items():
        add(
            3,
            f"{student} fit time, expanded / hard labels, same rows, teacher's pass "
            "inside both (<= 3)",
            {first: soft / hard},
            3,
            False,
            False,
        )
        found[-1].update(soft_seconds=soft, hard_seconds=hard)
    return found


def targets_text(found):
    def fmt(t, v):
        return f"{v:.2f}" if t["number"] == 1 else f"{v:.3f}"

    def met(flag):
        return "met" if flag else "NOT met"

    lines = []
    for t in found:
        if not t["headline"]:
            continue
        if len(t["per_seed"]) > 1:
            lines.append(
                f"TARGET ({t['number']}) {t['target']}: "
                f"seed {min(map(int, t['per_seed']))} "
                f"{fmt(t, t['first_seed'])} ({met(t['met_first_seed'])}); mean over "
                f"{len(t['per_seed'])} seeds {fmt(t, t['mean'])} ± {fmt(t, t['sd'])} "
                f"({met(t['met_mean'])})"
            )
        else:
            extra = (
                f" [{t['soft_seconds']:.2f} s / {t['hard_seconds']:.2f} s]"
                if "soft_seconds" in t
                else ""
            )
            lines.append(
                f"TARGET ({t['number']}) {t['target']}: {fmt(t, t['first_seed'])}"
                f"{extra} ({met(t['met_first_seed'])})"
            )
    lines += [
        "",
        "| # | figure | first seed | per seed | mean ± sd | met (first / mean) |",
        "|---|---|---:|---|---:|:---:|",
    ]
    for t in found:
        per_seed = ", ".join(fmt(t, v) for v in t["per_seed"].values())
        if "soft_seconds" in t:
            per_seed = f"{t['soft_seconds']:.2f} s / {t['hard_seconds']:.2f} s"
        lines.append(
            f"| {t['number']} | {t['target']} | {fmt(t, t['first_seed'])} | {per_seed} "
            f"| {fmt(t, t['mean'])} ± {fmt(t, t['sd'])} | "
            f"{'yes' if t['met_first_seed'] else 'no'} / "
            f"{'yes' if t['met_mean'] else 'no'} |"
        )
    return "\n".join(lines)


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
        make_student(student, run.seed).fit(
            np.vstack([X, X_u]), np.concatenate([y, pseudo])
        )
        hard = time.perf_counter() - start
        model = run._distiller(
            make_student(student, run.seed),
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


# ---------------------------------------------------------------------------
# Main


def _default_table_path(name):
    path = DATA_DIR / TABLES[name]["file"]
    return str(path) if path.exists() else None


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
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
    parser.add_argument("--nass-labeled", type=int, default=TABLES["nass"]["n_labeled"])
    parser.add_argument(
        "--lending-labeled", type=int, default=TABLES["lending"]["n_labeled"]
    )
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
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads of OpenMP, BLAS and TensorFlow (0: their defaults)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one seed, the HGB teacher, smaller synthetic sets, a smaller sweep",
    )
    parser.add_argument("--json", default=None, help="write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds = args.seeds[:1]
        args.teachers = ["hgb"]
        args.n_teacher, args.n_unlabeled = 5_000, 5_000
        args.mlp_steps = 300
        args.sweep_temperatures, args.sweep_alphas = [0.5, 2.0], [0.0, 0.5]
    return args


def _limit_threads(n, need_keras):
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
    print(f"threads: {', '.join(pools)}", flush=True)
    return limiter


def write_json(path, payload):
    """Write ``payload`` to ``path`` as indented JSON, NumPy numbers as floats."""
    Path(path).write_text(json.dumps(payload, indent=2, default=float) + "\n")


def main(argv=None):
    args = parse_args(argv)
    config = {k: v for k, v in vars(args).items() if k != "json"}
    paths = {"nass": args.nass or _default_table_path("nass")}
    paths["lending"] = args.lending or _default_table_path("lending")
    config["paths"] = paths

    def log(text):
        print(text, flush=True)

    limiter = _limit_threads(args.threads, "mlp" in args.students)  # noqa: F841
    started = time.perf_counter()
    records = []
    # The sweep's points besides the default one.
    sweep = [
        (T, a)
        for T in args.sweep_temperatures
        for a in args.sweep_alphas
        if (T, a) != (args.temperature, args.alpha)
    ]
    used, timing = [], {}
    for dataset in args.datasets:
        if dataset != "synthetic" and (
            paths[dataset] is None or not Path(paths[dataset]).exists()
        ):
            log(
                f"[{dataset}] skipped: no data file (give --{dataset} PATH; "
                f"looked for {paths[dataset] or DATA_DIR / TABLES[dataset]['file']})"
            )
            continue
        used.append(dataset)
        for seed in args.seeds:
            if dataset == "synthetic":
                raw = synthetic_problem(config, seed)
            else:
                raw = table_problem(dataset, paths[dataset], config, seed)
            data = standardize(raw)
            log(
                f"[{dataset} seed {seed}] rows: teacher {len(data['teacher'][1]):,}, "
                f"labeled {len(data['labeled'][1]):,}, unlabeled "
                f"{len(data['unlabeled']):,}, test {len(data['test'][1]):,}; "
                f"{data['labeled'][0].shape[1]} features"
            )
            for teacher_name in args.teachers:
                run = Run(dataset, teacher_name, seed, data, config, log)
                records.append(run.teacher_record)
                for student in args.students:
                    for method in args.methods:
                        records.append(
                            run.fit(student, method, args.temperature, args.alpha)
                        )
                if (
                    dataset == "synthetic"
                    and teacher_name == "hgb"
                    and seed == min(args.seeds)
                    and args.timing_students
                ):
                    timing = cold_fit_times(run, args.timing_students)
                if dataset == "synthetic" and teacher_name == args.sweep_teacher:
                    default = (args.temperature, args.alpha)
                    for student in args.sweep_students:
                        # The main grid's fits are reused; the rest are run.
                        done = set(args.methods) if student in args.students else set()
                        for method in ("labels", "pseudo"):
                            if method not in done:
                                records.append(run.fit(student, method, *default))
                        for method in ("distilled", "distilled_unlabeled"):
                            points = sweep + ([] if method in done else [default])
                            for T, a in points:
                                records.append(run.fit(student, method, T, a))
                log(
                    f"[{dataset} seed {seed} {teacher_name}] done; "
                    f"{time.perf_counter() - started:.0f} s so far"
                )
    elapsed = time.perf_counter() - started
    summary = summarize(records)

    print()
    print(
        f"Default soft targets: T={args.temperature:g}, alpha={args.alpha:g}; "
        f"seeds {args.seeds}; mean ± sd over seeds. Size: tree nodes, "
        f"coefficients, or network weights. Fit times exclude the teacher's pass."
    )
    for dataset in used:
        binary = dataset != "synthetic"
        if dataset == "synthetic":
            head = (
                f"synthetic ({PROBLEM['n_classes']} classes): teacher rows "
                f"{args.n_teacher:,}, labeled {args.n_labeled:,}, unlabeled "
                f"{args.n_unlabeled:,}, test {PROBLEM['n_test']:,}"
            )
        else:
            labeled = config[f"{dataset}_labeled"]
            head = (
                f"{dataset} ({TABLES[dataset]['file']}, binary, target "
                f"{TABLES[dataset]['target']}={TABLES[dataset]['positive']}): teacher "
                f"{args.teacher_share:.0%} of rows, labeled {labeled:,}, test "
                f"{args.test_share:.0%}, the rest unlabeled"
            )
        print(f"\n### {head}\n")
        print(dataset_table(summary, dataset, config, binary))
    if "synthetic" in used and args.sweep_students and sweep:
        print(
            "\n### Sweep on the synthetic problem: temperature and alpha "
            f"(teacher {args.sweep_teacher})\n"
        )
        print(sweep_table(records, config))
    found = targets(records, config, timing)
    if found:
        print(
            "\n### Targets (synthetic problem, HGB teacher, "
            f"T={args.temperature:g}, alpha={args.alpha:g})\n"
        )
        print(targets_text(found))
    print(f"\ntotal time {elapsed:.0f} s")
    if args.json:
        write_json(
            args.json,
            {
                "config": config,
                "elapsed_seconds": elapsed,
                "records": records,
                "summary": summary,
                "targets": found,
                "timing_with_teacher_pass": {
                    k: {"expanded_seconds": v[0], "hard_seconds": v[1]}
                    for k, v in timing.items()
                },
            },
        )
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
