"""``skdistill compare`` and ``skdistill sweep``: options to an experiment, run.

The options choose a run (digits' transfer scenario, the same-labels
scenario on digits or MNIST, or the user's table), whose configuration gives
every default; the options the user gives replace them, once checked
(:func:`check_applies`, :meth:`Experiment.check`). The engine runs the
experiment and writes the one report.
"""

import time
from dataclasses import replace
from pathlib import Path

from ._console import keras_verbose, versions
from ._errors import CommandError
from ._parser import APPLIES, OPTION_NAMES, SAME_LABELS, TABLE, TRANSFER


def _is_given(value):
    return value not in (None, [], ())


def _table_scenario(args):
    """Check the options of a table run; its dataset is then ``"table"``."""
    if args.command != "compare":
        raise CommandError(
            f"{args.command} runs on digits or MNIST; on your own table use "
            "skdistill compare --data FILE --target COLUMN."
        )
    if args.data is None or args.target is None:
        missing = "--data FILE" if args.data is None else "--target COLUMN"
        raise CommandError(
            f"a table run needs {missing}: give --data FILE (.csv, .csv.gz, "
            ".parquet) and the column to predict, --target COLUMN."
        )
    if args.dataset is not None:
        raise CommandError(
            f"--dataset {args.dataset} cannot be used with a table in --data: "
            "leave --dataset out."
        )
    args.dataset = "table"
    return TABLE


def scenario_of(args):
    """The run the options ask for: ``transfer``, ``same-labels`` or
    ``table``; sets ``args.dataset`` (digits, mnist or table)."""
    from ._tables import table_format

    target = getattr(args, "target", None)
    if target is not None or (args.data is not None and table_format(args.data)):
        return _table_scenario(args)
    if args.data is not None:
        if args.dataset not in (None, "mnist"):
            raise CommandError(
                f"--data is a local MNIST file; it cannot be used with "
                f"--dataset {args.dataset}."
            )
        args.dataset = "mnist"
    args.dataset = args.dataset or "digits"
    if args.command == "sweep":
        return SAME_LABELS
    default = TRANSFER if args.dataset == "digits" else SAME_LABELS
    scenario = getattr(args, "scenario", None) or default
    if scenario == TRANSFER and args.dataset != "digits":
        raise CommandError("--scenario transfer runs on --dataset digits only.")
    return scenario


def check_applies(args, scenario):
    """Refuse an option given to a run it does not apply to, naming the runs
    that take it."""
    runs = {
        TRANSFER: "digits' transfer scenario",
        SAME_LABELS: "the same-labels scenario",
        TABLE: "your own table (--data FILE --target COLUMN)",
    }
    for name, scenarios in APPLIES.items():
        if scenario in scenarios or not _is_given(getattr(args, name, None)):
            continue
        raise CommandError(
            f"{OPTION_NAMES[name]} is not for {runs[scenario]}: it applies to "
            f"{' and '.join(runs[s] for s in scenarios)}."
        )


#: Options that replace the setting of the same meaning, by setting.
_DIRECT = {
    "teacher_model": "teacher",
    "labeled": "n_labeled",
    "teacher_fraction": "teacher_fraction",
    "test_fraction": "test_fraction",
    "temperature": "temperature",
    "alpha": "alpha",
    "units": "units",
    "epochs": "epochs",
    "distill_epochs": "distill_epochs",
    "teacher_epochs": "teacher_epochs",
    "batch_size": "batch_size",
    "latency_repeats": "latency_repeats",
    "export": "export",
}


def experiment_from(args, scenario, *, given_teacher, verbose):
    """The :class:`Experiment` the options ask for, checked."""
    from ._engine._experiment import configuration

    experiment = configuration(scenario, args.dataset)
    changes = {
        setting: getattr(args, option)
        for option, setting in _DIRECT.items()
        if getattr(args, option, None) is not None
    }
    if getattr(args, "models", None) is not None:
        changes.update(teacher=args.models, students=(args.models,))
    if getattr(args, "students", None):
        changes["students"] = tuple(args.students)
    if getattr(args, "widths", None):
        changes["widths"] = tuple(args.widths)
    n_seeds = getattr(args, "seeds", None) or len(experiment.seeds)
    changes["seeds"] = tuple(range(args.seed, args.seed + n_seeds))
    if given_teacher is not None:
        changes["teacher"] = Path(args.teacher).name
        if not experiment.same_labels:
            changes["teacher_fraction"] = 0.0
    if getattr(args, "unlabeled", None) and getattr(args, "labeled", None) is None:
        changes["n_labeled"] = None
    if args.command == "sweep":
        alphas = args.alphas
        changes["grid"] = tuple(
            (t, a) for a in alphas for t in args.temperatures if a != 1.0
        )
        changes["ways"] = ("scratch",) if 1.0 in alphas else ()
    if experiment.same_labels and given_teacher is None:
        out = Path(args.out or f"skdistill-out/{args.command}")
        changes["save_teacher"] = out / "teacher.keras"
    changes["verbose"] = verbose
    return replace(experiment, **changes).check()


def load(args, scenario, console):
    """The data set, a given teacher (or None) and ``--unlabeled`` rows (or
    None)."""
    from ._table_teachers import check_teacher, load_teacher

    if scenario != TABLE:
        from ._image_data import load_data

        data = load_data(args, console)
        teacher = None
        if args.teacher is not None:
            teacher = load_teacher(args.teacher)
            check_teacher(teacher, data)
        return data, teacher, None
    from ._tables import align_unlabeled, prepare_table, read_table

    data = prepare_table(
        read_table(args.data),
        target=args.target,
        drop=args.drop or (),
        task=args.task,
        name=Path(args.data).name,
    )
    teacher = unlabeled = None
    if args.teacher is not None:
        teacher = load_teacher(args.teacher, trust=tuple(args.trust or ()))
        columns = check_teacher(teacher, data)
        data = replace(data, X=data.X[columns])
    if args.unlabeled is not None:
        frame = read_table(args.unlabeled, option="--unlabeled")
        unlabeled = align_unlabeled(frame, data)
    return data, teacher, unlabeled


def _check_keras(experiment):
    """The library's ImportError, as one line, before any model is fitted,
    if a Keras model is asked for without Keras."""
    from ._engine._models import is_keras_student

    keras = [name for name in experiment.students if is_keras_student(name)]
    if not keras:
        return
    from ..utils._keras import import_keras

    try:
        import_keras()
    except ImportError as exc:
        raise CommandError(f"the {keras[0]} student: {exc}") from exc


def header(command, data, experiment):
    """The run's first line: the data, the task, the models, the seeds."""
    from ._engine._data import CLASSIFICATION

    kind = data.task
    if data.task == CLASSIFICATION:
        kind += f", {len(data.classes)} classes"
    dropped = f", without {','.join(data.dropped)}" if data.dropped else ""
    missing = (
        f" ({data.n_missing_target:,} rows without a target left out)"
        if data.n_missing_target
        else ""
    )
    target = f", target {data.target}" if data.target is not None else ""
    n_test = "" if data.y_test is None else f" and {len(data.y_test):,} test rows"
    return (
        f"skdistill {command}: {data.name}{target} ({kind}); {len(data.y):,} "
        f"rows{n_test}{missing}{dropped}; {experiment.configuration} scenario; "
        f"teacher {experiment.teacher}, students {' '.join(experiment.students)}, "
        f"{len(experiment.seeds)} seed{'s' if len(experiment.seeds) > 1 else ''}"
    )


def run_command(args, console):
    """Run ``compare`` or ``sweep`` as ``args`` ask; the exit status."""
    from threadpoolctl import threadpool_limits

    from ._engine._report import announce_replacement, build_report, write_report
    from ._engine._run import run_experiment

    start = time.perf_counter()
    scenario = scenario_of(args)
    check_applies(args, scenario)
    data, teacher, unlabeled = load(args, scenario, console)
    experiment = experiment_from(
        args,
        scenario,
        given_teacher=teacher,
        verbose=keras_verbose(args.verbose, console),
    )
    _check_keras(experiment)
    out = Path(args.out or f"skdistill-out/{args.command}")
    console.log(header(args.command, data, experiment))
    announce_replacement(out, console)
    # Native pools (OpenMP, BLAS) held to one thread: on a machine whose
    # other cores are busy, more threads than free cores slowed a teacher's
    # fit from 0.2 s to 9 s.
    with threadpool_limits(limits=1):
        result = run_experiment(
            data,
            experiment,
            teacher=teacher,
            unlabeled=unlabeled,
            log=console.log,
            progress=console,
        )
    report = build_report(
        args.command,
        data,
        experiment,
        result,
        dataset=args.dataset,
        versions=versions(),
    )
    n_stages = len(experiment.seeds) + 1
    console.log(f"[{n_stages}/{n_stages}] the report: scores, intervals, figures")
    report["wall_seconds"] = time.perf_counter() - start
    write_report(report, out, console)
    return 0
