"""The main job on the user's table: a teacher, students three ways, alternatives.

For each seed the table's rows are redrawn (:func:`split_table`): test rows,
the teacher's rows (for a preset teacher) and the owner's rows, of which a
few are labeled and the rest are unlabeled transfer rows. Every model is
scored on the seed's test rows, timed as it predicts 1,000 rows, and sized.
"""

import time
import warnings
from dataclasses import dataclass

import numpy as np

from ._evaluation import (
    aligned_proba,
    classification_scores,
    latencies,
    model_size,
    regression_scores,
    serialized_bytes,
)
from ._fitting import stage
from ._shipping import ship
from ._table_models import (
    ALTERNATIVE_LABELS,
    WAY_LABELS,
    WAYS,
    DistillSettings,
    alternative_names,
    alternatives,
    distiller,
)
from ._table_teachers import make_teacher, teacher_predictions
from ._tables import CLASSIFICATION, split_table


@dataclass(frozen=True, kw_only=True)
class TableSettings:
    """A :func:`run_table_compare` run's settings.

    Attributes
    ----------
    students : tuple of str
        Student presets (see :data:`STUDENT_PRESETS`).
    teacher : str
        The preset teacher's name, or what the report calls a given one.
    seeds : tuple of int
        One draw of the rows, and one fit of every model, per seed.
    test_fraction, teacher_fraction : float
        Fractions of the rows held out for testing, and of the others that
        a preset teacher is fitted on (0 for a given teacher).
    n_labeled : int, "auto" or None
        The owner's labeled rows: "auto" for 500 or half the owner's rows
        if fewer, None for all (with ``--unlabeled``).
    distill : DistillSettings
    latency_repeats : int, default=7
        Timed calls behind each latency's median on 1,000 rows (three times
        as many on 1 row).
    export : path or None, default=None
        Where to write each distilled student (its first seed's): the ONNX
        graph and ``export_student()``'s file.
    """

    students: tuple
    teacher: str
    seeds: tuple
    test_fraction: float
    teacher_fraction: float
    n_labeled: object
    distill: DistillSettings
    latency_repeats: int = 7
    export: object = None


@dataclass(frozen=True)
class _Run:
    """What every seed of a run shares."""

    table: object
    settings: TableSettings
    given_teacher: object
    unlabeled: object
    progress: object
    #: Files ``--export`` wrote, by student (its first seed's); None without.
    exported: dict | None = None


@dataclass(frozen=True)
class _Rows:
    """One seed's rows as the models read them."""

    X_test: object
    y_test: object
    X_labeled: object
    y_labeled: object
    X_transfer: object


def _timed_fit(run, model, X, y, **fit_params):
    """``model.fit(X, y, **fit_params)``; the model and seconds taken."""
    start = time.perf_counter()
    model.fit(X, y, **fit_params)
    seconds = time.perf_counter() - start
    if run.progress is not None:
        run.progress.advance()
    return model, seconds


def _measure(run, rows, predict, scored, fit_seconds, model):
    """One model's record on one seed: scores, latency, fit time, size.

    ``predict`` is the call a user makes (timed); ``scored`` turns its
    result into what the scores read (probabilities over the table's
    classes, or predictions).
    """
    table = run.table
    outputs = scored(predict(rows.X_test))
    if table.task == CLASSIFICATION:
        scores = classification_scores(rows.y_test, outputs, table.classes)
    else:
        scores = regression_scores(rows.y_test, outputs)
    latency = latencies(predict, rows.X_test, repeats=run.settings.latency_repeats)
    return {
        "scores": scores,
        "fit_seconds": fit_seconds,
        "latency_ms": latency,
        "latency_ms_per_1000": latency["1000"]["median"],
        "size": None if model is None else model_size(model),
        "size_bytes": None if model is None else serialized_bytes(model),
    }


def _estimator_record(run, rows, model, fit_seconds):
    """:func:`_measure` for a fitted scikit-learn-style estimator."""
    if run.table.task == CLASSIFICATION:
        classes = run.table.classes
        return _measure(
            run,
            rows,
            model.predict_proba,
            lambda proba: aligned_proba(proba, model.classes_, classes),
            fit_seconds,
            model,
        )
    return _measure(run, rows, model.predict, np.asarray, fit_seconds, model)


def _teacher_record(run, rows, teacher, fit_seconds):
    """:func:`_measure` for the teacher, read as the distillers read it."""
    task, classes = run.table.task, run.table.classes

    def scored(result):
        found, outputs = result
        return outputs if found is None else aligned_proba(outputs, found, classes)

    return _measure(
        run,
        rows,
        lambda X: teacher_predictions(teacher, X, task),
        scored,
        fit_seconds,
        teacher,
    )


def _seed_rows(run, split):
    """The frames and targets of one seed's :class:`Split`."""
    from ..utils._frames import concat_rows

    X, y = run.table.X, run.table.y
    transfer = X.iloc[split.transfer].reset_index(drop=True)
    if run.unlabeled is not None:
        transfer = concat_rows([transfer, run.unlabeled])
    return _Rows(
        X.iloc[split.test].reset_index(drop=True),
        y[split.test],
        X.iloc[split.labeled].reset_index(drop=True),
        y[split.labeled],
        transfer,
    )


def _seed_teacher(run, split, seed):
    """The seed's fitted teacher and its fit time (None for a given one)."""
    if run.given_teacher is not None:
        return run.given_teacher, None
    table = run.table
    teacher = make_teacher(run.settings.teacher, table.task, seed)
    return _timed_fit(
        run,
        teacher,
        table.X.iloc[split.teacher].reset_index(drop=True),
        table.y[split.teacher],
    )


def _pseudo_labels(teacher, X, task):
    """The teacher's hard labels (its predictions, for regression) on ``X``."""
    classes, outputs = teacher_predictions(teacher, X, task)
    return outputs if classes is None else classes[np.argmax(outputs, axis=1)]


def _fit_pseudo(run, name, seed, X, labels):
    """A student fitted on the teacher's ``labels``; a constant if they hold
    one class, as any student fitted on them would be."""
    from sklearn.dummy import DummyClassifier

    settings, task = run.settings.distill, run.table.task
    if task == CLASSIFICATION and len(np.unique(labels)) < 2:
        return _timed_fit(run, DummyClassifier(strategy="most_frequent"), X, labels)
    return _timed_fit(run, distiller(name, task, settings, seed=seed), X, labels)


def _student_records(run, rows, teacher, seed):
    """Every student, trained three ways: records by ``"name:way"``."""
    from ..utils._frames import concat_rows

    task, settings = run.table.task, run.settings.distill
    X_owner = concat_rows([rows.X_labeled, rows.X_transfer])
    labels = _pseudo_labels(teacher, X_owner, task)
    records = {}
    for name in run.settings.students:
        fits = {
            "scratch": _timed_fit(
                run,
                distiller(name, task, settings, seed=seed),
                rows.X_labeled,
                rows.y_labeled,
            ),
            "pseudo": _fit_pseudo(run, name, seed, X_owner, labels),
            "distilled": _timed_fit(
                run,
                distiller(
                    name,
                    task,
                    settings,
                    seed=seed,
                    teacher=teacher,
                    alpha=settings.alpha,
                ),
                rows.X_labeled,
                rows.y_labeled,
                X_unlabeled=rows.X_transfer,
            ),
        }
        for way in WAYS:
            model, seconds = fits[way]
            records[f"{name}:{way}"] = _estimator_record(run, rows, model, seconds)
        # The first seed's distilled students are the ones --export writes.
        export = run.exported is not None and name not in run.exported
        record, files = ship(
            fits["distilled"][0],
            rows.X_test,
            repeats=run.settings.latency_repeats,
            export=run.settings.export if export else None,
            name=name,
        )
        records[f"{name}:distilled"]["shipped"] = record
        if export:
            run.exported[name] = files
    return records


def _alternative_records(run, rows, seed):
    """scikit-learn's defaults fitted on the labeled rows: records by name."""
    records = {}
    students = run.settings.students
    for name, model in alternatives(run.table.task, seed, students).items():
        model, seconds = _timed_fit(run, model, rows.X_labeled, rows.y_labeled)
        records[f"sklearn:{name}"] = _estimator_record(run, rows, model, seconds)
    return records


def _row_counts(split, rows):
    return {
        "n_test": len(split.test),
        "n_teacher": len(split.teacher),
        "n_labeled": len(split.labeled),
        "n_transfer": len(rows.X_transfer),
    }


def _run_seed(run, seed, *, step, log):
    """One seed's draw, fits and records: ``(rows, records)``."""
    settings = run.settings
    split = split_table(
        run.table,
        seed=seed,
        test_fraction=settings.test_fraction,
        teacher_fraction=settings.teacher_fraction,
        n_labeled=settings.n_labeled,
        unlabeled=run.unlabeled is not None,
    )
    rows = _seed_rows(run, split)
    counts = _row_counts(split, rows)
    where = (
        "as given"
        if run.given_teacher is not None
        else f"on {counts['n_teacher']:,} rows"
    )
    stage(
        f"[{step}] seed {seed}: teacher ({settings.teacher}) {where}; students "
        f"{' '.join(settings.students)} three ways on {counts['n_labeled']:,} "
        f"labels and {counts['n_transfer']:,} transfer rows; "
        f"{len(alternative_names(run.table.task, settings.students))} "
        "alternatives; "
        f"{counts['n_test']:,} test rows",
        log,
    )
    teacher, teacher_seconds = _seed_teacher(run, split, seed)
    records = {"teacher": _teacher_record(run, rows, teacher, teacher_seconds)}
    records.update(_student_records(run, rows, teacher, seed))
    records.update(_alternative_records(run, rows, seed))
    return counts, records


def model_labels(settings, task):
    """Every model's label in the report, by its key, in the report's order."""
    labels = {"teacher": f"teacher ({settings.teacher})"}
    for name in settings.students:
        for way in WAYS:
            labels[f"{name}:{way}"] = f"{name} {WAY_LABELS[way]}"
    for name in alternative_names(task, settings.students):
        label = ALTERNATIVE_LABELS[task][name]
        labels[f"sklearn:{name}"] = label
    return labels


def _n_fits(run):
    names = alternative_names(run.table.task, run.settings.students)
    per_seed = 3 * len(run.settings.students) + len(names)
    if run.given_teacher is None:
        per_seed += 1
    return per_seed * len(run.settings.seeds)


def run_table_compare(
    table, settings, *, teacher=None, unlabeled=None, log=print, progress=None
):
    """Teacher, students three ways and alternatives on ``table``, per seed.

    Parameters
    ----------
    table : Table
    settings : TableSettings
    teacher : object, default=None
        A fitted teacher used as given; None fits ``settings.teacher`` on
        each seed's teacher rows.
    unlabeled : DataFrame, default=None
        Transfer rows from an ``--unlabeled`` file, added to each seed's.
    log : callable or None, default=print
        Receives one line per seed.
    progress : object or None, default=None
        Told ``progress.start(n_fits, unit="fits")``, then ``progress.advance()`` after
        every fit.

    Returns
    -------
    result : dict
        ``rows`` (the first seed's counts) and ``seeds``: per seed, the
        records by model key (scores, fit_seconds, latency_ms: 1 and 1,000
        rows, median and p99; latency_ms_per_1000, size, size_bytes; for a
        distilled student, shipped: its ONNX graph's bytes and latency, or
        why it has none); ``exported``: the files ``settings.export`` got,
        by student, or None.
    """
    exported = None if settings.export is None else {}
    run = _Run(table, settings, teacher, unlabeled, progress, exported)
    if progress is not None:
        progress.start(_n_fits(run), unit="fits")
    from sklearn.exceptions import ConvergenceWarning

    n_stages = len(settings.seeds) + 1
    counts, per_seed = [], []
    with warnings.catch_warnings():
        # scikit-learn's defaults are run as an owner would run them: a
        # ConvergenceWarning says no more than their test scores do.
        warnings.simplefilter("ignore", ConvergenceWarning)
        for i, seed in enumerate(settings.seeds, start=1):
            seed_counts, records = _run_seed(run, seed, step=f"{i}/{n_stages}", log=log)
            counts.append(seed_counts)
            per_seed.append(records)
    return {"rows": counts[0], "seeds": per_seed, "exported": exported}
