"""``skdistill compare --data FILE --target COLUMN``: the main job on a table.

Checks the options, loads the table (and a given teacher, and
``--unlabeled`` rows), runs :func:`run_table_compare` and writes the
report. Every problem with the user's input is a :class:`TableError`, which
the command prints as one line with exit status 2.
"""

import time
from dataclasses import replace
from pathlib import Path

from ._console import keras_verbose, versions
from ._table_options import TABLE_DEFAULTS
from ._tables import CLASSIFICATION, TableError, table_format

#: Options of digits and MNIST that a table run does not use.
_NOT_FOR_TABLES = {
    "scenario": "--scenario",
    "models": "--models",
    "teacher_epochs": "--teacher-epochs",
    "distill_epochs": "--distill-epochs",
    "n_train": "--n-train",
}
#: Options of a table run, refused elsewhere.
_TABLE_ONLY = {
    "target": "--target",
    "task": "--task",
    "drop": "--drop",
    "students": "--students",
    "unlabeled": "--unlabeled",
    "trust": "--trust",
}


def _is_given(value):
    return value not in (None, [], ())


def resolve_table(args):
    """Whether this run is on a table (``args.dataset`` is then ``"table"``).

    Raises
    ------
    TableError
        Options that do not go together: a table without ``--target`` (or
        the reverse), a table in ``sweep`` or with ``--dataset``, table
        options without a table, or digits' options on a table.
    """
    table = getattr(args, "target", None) is not None or (
        args.data is not None and table_format(args.data) is not None
    )
    if not table:
        for name, option in _TABLE_ONLY.items():
            if _is_given(getattr(args, name, None)):
                raise TableError(
                    f"{option} is for your own table: give it with --data FILE "
                    "(.csv, .csv.gz, .parquet) and --target COLUMN."
                )
        return False
    if args.command != "compare":
        raise TableError(
            f"{args.command} runs on digits or MNIST; on your own table use "
            "skdistill compare --data FILE --target COLUMN."
        )
    if args.data is None or args.target is None:
        missing = "--data FILE" if args.data is None else "--target COLUMN"
        raise TableError(
            f"a table run needs {missing}: give --data FILE (.csv, .csv.gz, "
            ".parquet) and the column to predict, --target COLUMN."
        )
    if args.dataset is not None:
        raise TableError(
            f"--dataset {args.dataset} cannot be used with a table in --data: "
            "leave --dataset out."
        )
    for name, option in _NOT_FOR_TABLES.items():
        if getattr(args, name, None) is not None:
            raise TableError(f"{option} is for digits and MNIST, not for a table.")
    args.dataset = "table"
    return True


def _default(args, name):
    value = getattr(args, name)
    return TABLE_DEFAULTS[name] if value is None else value


def _table_settings(args, teacher, verbose):
    """The run's :class:`TableSettings` from ``args``."""
    from ._table_experiment import TableSettings
    from ._table_models import DEFAULT_STUDENTS, DistillSettings
    from ._table_teachers import TEACHER_PRESETS

    seeds = _default(args, "seeds")
    if seeds < 2:
        raise TableError(
            "--seeds must be at least 2: the intervals of the differences "
            "need a spread."
        )
    teacher_model = _default(args, "teacher_model")
    if teacher is None and teacher_model not in TEACHER_PRESETS:
        raise TableError(
            f"--teacher-model {teacher_model} is for digits; on a table choose "
            f"{' or '.join(TEACHER_PRESETS)}."
        )
    if not 0 < args.teacher_fraction < 1:
        raise TableError(
            f"--teacher-fraction must be in (0, 1), got {args.teacher_fraction}"
        )
    labeled = args.labeled
    if labeled is None and args.unlabeled is None:
        labeled = "auto"
    return TableSettings(
        students=tuple(args.students or DEFAULT_STUDENTS),
        teacher=Path(args.teacher).name if teacher is not None else teacher_model,
        seeds=tuple(range(args.seed, args.seed + seeds)),
        test_fraction=_default(args, "test_fraction"),
        teacher_fraction=0.0 if teacher is not None else args.teacher_fraction,
        n_labeled=labeled,
        distill=DistillSettings(
            temperature=_default(args, "temperature"),
            alpha=_default(args, "alpha"),
            units=args.units,
            epochs=_default(args, "epochs"),
            batch_size=_default(args, "batch_size"),
            verbose=verbose,
        ),
        latency_repeats=args.latency_repeats,
        export=args.export,
    )


def _load(args):
    """The table, a given teacher (or None) and ``--unlabeled`` rows (or None)."""
    from ._table_teachers import check_teacher, load_teacher
    from ._tables import align_unlabeled, prepare_table, read_table

    table = prepare_table(
        read_table(args.data),
        target=args.target,
        drop=args.drop or (),
        task=args.task,
    )
    teacher = None
    if args.teacher is not None:
        teacher = load_teacher(args.teacher, trust=tuple(args.trust or ()))
        columns = check_teacher(teacher, table)
        table = replace(table, X=table.X[columns])
    unlabeled = None
    if args.unlabeled is not None:
        frame = read_table(args.unlabeled, option="--unlabeled")
        unlabeled = align_unlabeled(frame, table)
    return table, teacher, unlabeled


def _check_keras(settings):
    """The library's ImportError, as one line, if ``mlp`` is asked for
    without Keras; before any model is fitted."""
    if "mlp" not in settings.students:
        return
    from ..utils._keras import import_keras

    try:
        import_keras()
    except ImportError as exc:
        raise TableError(f"--students mlp: {exc}") from exc


def _header(args, table, settings):
    kind = table.task
    if kind == CLASSIFICATION:
        kind += f", {len(table.classes)} classes"
    dropped = f", without {','.join(table.dropped)}" if table.dropped else ""
    missing = (
        f" ({table.n_missing_target:,} rows without a target left out)"
        if table.n_missing_target
        else ""
    )
    return (
        f"skdistill compare: {Path(args.data).name}, target {table.target} "
        f"({kind}); {len(table.y):,} rows{missing}, {table.X.shape[1]} feature "
        f"columns{dropped}; teacher {settings.teacher}, students "
        f"{' '.join(settings.students)}, {len(settings.seeds)} seeds"
    )


def _report(args, table, settings, result):
    """report.json's content, but its wall time."""
    from ._table_experiment import model_labels
    from ._table_report import student_differences, summarise_models

    labels = model_labels(settings, table.task)
    return {
        "command": "compare",
        "dataset": "table",
        "data": Path(args.data).name,
        "target": table.target,
        "task": table.task,
        "classes": None if table.classes is None else table.classes.tolist(),
        "n_rows": len(table.y),
        "n_features": table.X.shape[1],
        "dropped": table.dropped,
        "rows": result["rows"],
        "settings": _report_settings(settings, result["rows"]),
        "models": summarise_models(result["seeds"], labels, table.task),
        "differences": student_differences(
            result["seeds"], settings.students, table.task
        ),
        "exported": result["exported"],
        "versions": versions(),
    }


def _report_settings(settings, rows):
    """The settings the report lists; ``labeled`` as the count drawn."""
    distill = settings.distill
    labeled = settings.n_labeled
    report = {
        "teacher": settings.teacher,
        "students": list(settings.students),
        "seeds": list(settings.seeds),
        "test_fraction": settings.test_fraction,
        "teacher_fraction": settings.teacher_fraction,
        "labeled": rows["n_labeled"] if labeled == "auto" else labeled,
        "alpha": distill.alpha,
    }
    if "mlp" in settings.students:
        report.update(units=distill.units, epochs=distill.epochs)
    if settings.export is not None:
        report["export"] = str(settings.export)
    return report


def compare_table(args, console):
    """The table run of ``compare``; its exit status."""
    from threadpoolctl import threadpool_limits

    from ._report import announce_replacement, write_reports
    from ._table_experiment import run_table_compare
    from ._table_report import plot_table_latency, table_markdown

    start = time.perf_counter()
    table, teacher, unlabeled = _load(args)
    settings = _table_settings(args, teacher, keras_verbose(args.verbose, console))
    _check_keras(settings)
    out = Path(args.out or "skdistill-out/compare")
    console.log(_header(args, table, settings))
    announce_replacement(out, console)
    # scikit-learn's native pools (OpenMP, BLAS) held to one thread: on a
    # machine whose other cores are busy, more threads than free cores
    # slowed a teacher's fit from 0.2 s to 9 s.
    with threadpool_limits(limits=1):
        result = run_table_compare(
            table,
            settings,
            teacher=teacher,
            unlabeled=unlabeled,
            log=console.log,
            progress=console,
        )
    report = _report(args, table, settings, result)
    if table.task == CLASSIFICATION:
        report["settings"]["temperature"] = settings.distill.temperature
    n_stages = len(settings.seeds) + 1
    console.log(f"[{n_stages}/{n_stages}] the report: scores, intervals, latency.png")
    plot = "latency.png"
    # Made only now: a run that fails leaves no empty folder behind.
    out.mkdir(parents=True, exist_ok=True)
    plot_table_latency(report, out / plot)
    report["wall_seconds"] = time.perf_counter() - start
    return write_reports(report, table_markdown(report, plot), out, [plot], console)
