"""The ``skdistill`` command's arguments: options, the runs they apply to, help.

Every option's default lives in the engine's configurations
(:data:`~._engine._experiment.CONFIGURATIONS`); the parser keeps None for
an option not given, :data:`APPLIES` says which runs take it, and
:func:`~._main.experiment_from` checks it once.
"""

import argparse

#: The runs: digits' and MNIST's scenarios, and the user's table.
TRANSFER, SAME_LABELS, TABLE = "transfer", "same-labels", "table"

#: Which runs each option applies to (options not listed apply to all).
APPLIES = {
    "models": (SAME_LABELS,),
    "teacher_epochs": (SAME_LABELS,),
    "distill_epochs": (SAME_LABELS,),
    "n_train": (TRANSFER, SAME_LABELS),
    "scenario": (TRANSFER, SAME_LABELS),
    "teacher_model": (TRANSFER, TABLE),
    "seeds": (TRANSFER, SAME_LABELS, TABLE),
    "labeled": (TRANSFER, TABLE),
    "teacher_fraction": (TRANSFER, TABLE),
    "widths": (TRANSFER,),
    "units": (TRANSFER, TABLE),
    "test_fraction": (TRANSFER, TABLE),
    "target": (TABLE,),
    "task": (TABLE,),
    "drop": (TABLE,),
    "students": (TABLE,),
    "unlabeled": (TABLE,),
    "trust": (TABLE,),
}
OPTION_NAMES = {name: "--" + name.replace("_", "-") for name in APPLIES}


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text}")
    return value


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _unit_float(text):
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {text}")
    return value


def _fraction(text):
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {text}")
    return value


def _names(text):
    return [name.strip() for name in text.split(",") if name.strip()]


def _students(text):
    from ._engine._models import TABLE_STUDENTS

    names = _names(text)
    unknown = [name for name in names if name not in TABLE_STUDENTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"must be comma-separated presets among {', '.join(TABLE_STUDENTS)}; "
            f"got {text!r}"
        )
    return names


#: The runs as --help names them, and their configurations' arguments.
_RUNS = {
    TRANSFER: ("digits", (TRANSFER, "digits")),
    SAME_LABELS: ("same-labels on MNIST", (SAME_LABELS, "mnist")),
    "same-labels-digits": ("same-labels on digits", (SAME_LABELS, "digits")),
    TABLE: ("a table", (TABLE, None)),
}


def _default(name, *scenarios):
    """An option's default in each run it applies to, for --help."""
    from ._engine._experiment import configuration

    runs = list(scenarios)
    if SAME_LABELS in runs:
        runs.insert(runs.index(SAME_LABELS) + 1, "same-labels-digits")
    values = {}
    for run in runs:
        said, arguments = _RUNS[run]
        value = getattr(configuration(*arguments), name)
        if name == "seeds":
            value = len(value)
        elif isinstance(value, tuple):
            value = " ".join(map(str, value))
        values.setdefault(str(value), []).append(said)
    if len(values) == 1:
        return f"(default: {next(iter(values))})"
    shown = "; ".join(f"{v} on {', '.join(s)}" for v, s in values.items())
    return f"(default: {shown})"


def _add_common(parser):
    """Options of every run: the data, the seed, the teacher file, the output."""
    data = parser.add_argument_group("data and output (every run)")
    data.add_argument(
        "--dataset",
        choices=("digits", "mnist"),
        help="digits: scikit-learn's embedded 8x8 digits; mnist: Keras's MNIST "
        "(a local file via --data or $SKDISTILL_MNIST_PATH, else downloaded) "
        "(default: digits, or mnist when --data is an .npz)",
    )
    data.add_argument(
        "--data",
        metavar="PATH",
        help="a local mnist.npz in Keras's layout (implies --dataset mnist), or, "
        "for compare, your own table (.csv, .csv.gz, .parquet) with --target",
    )
    data.add_argument(
        "--seed",
        metavar="N",
        type=int,
        default=0,
        help="first random seed of the rows' draws and of every fit "
        "(default: %(default)s)",
    )
    data.add_argument(
        "--teacher",
        metavar="PATH",
        help="a fitted teacher used as given (default: fit the preset). On "
        "digits or MNIST a saved Keras model (.keras); on a table also "
        "joblib (.joblib, .pkl: loading it runs the code it holds, so use "
        "only files you trust) or skops (.skops: types skops does not trust "
        "are refused, see --trust)",
    )
    data.add_argument(
        "--batch-size",
        metavar="N",
        type=_positive_int,
        help="a Keras model's rows per gradient step "
        f"{_default('batch_size', TRANSFER, SAME_LABELS, TABLE)}; auto: "
        "min(200, rows)",
    )
    data.add_argument(
        "--out", metavar="DIR", help="output folder (default: skdistill-out/COMMAND)"
    )
    data.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=1,
        help="0: one line per stage; 1: also a progress bar for the whole job; "
        "2: also Keras's output for every epoch (default: %(default)s)",
    )


def _add_same_labels(group):
    """Options of the same-labels scenario (the original notebook's)."""
    from ..students._presets import model_presets

    group.add_argument(
        "--models",
        choices=sorted(model_presets()),
        help="Keras teacher and student pair (default: notebook-cnn; mlp on digits)",
    )
    group.add_argument(
        "--teacher-epochs",
        metavar="N",
        type=_positive_int,
        help="the teacher's epochs (default: 5; 30 on digits)",
    )
    group.add_argument(
        "--distill-epochs",
        metavar="N",
        type=_positive_int,
        help="the distilled student's epochs (default: 3; 30 on digits)",
    )


def _add_n_train(group):
    group.add_argument(
        "--n-train",
        metavar="N",
        type=_positive_int,
        help="digits and MNIST: use only the first N rows (default: all)",
    )


def _add_rows(group):
    """Options of the rows and seeds: transfer scenario and tables."""
    group.add_argument(
        "--labeled",
        metavar="N",
        type=_positive_int,
        help="the owner's labeled rows; on a table without it, 500 or half "
        "the owner's rows if fewer (default: 100 on digits)",
    )
    group.add_argument(
        "--teacher-fraction",
        metavar="F",
        type=_fraction,
        help="fraction of the rows, once the test rows are out, that the "
        f"teacher is fitted on {_default('teacher_fraction', TRANSFER, TABLE)}",
    )
    group.add_argument(
        "--test-fraction",
        metavar="F",
        type=_fraction,
        help=f"fraction of the rows held out for testing "
        f"{_default('test_fraction', TRANSFER, TABLE)}",
    )
    group.add_argument(
        "--teacher-model",
        choices=("svc", "boosting", "hgb", "rf"),
        help="the teacher preset: svc (an RBF SVC with probabilities, images "
        "only), hgb or boosting (HistGradientBoosting, native categories) or "
        "rf (a 300-tree forest) "
        f"{_default('teacher', TRANSFER, TABLE)}",
    )
    group.add_argument(
        "--units",
        metavar="N",
        type=_positive_int,
        help=f"hidden units of the mlp student {_default('units', TRANSFER)}",
    )
    group.add_argument(
        "--widths",
        metavar="N",
        type=_positive_int,
        nargs="+",
        help="digits: hidden units of the compression curve's students "
        f"{_default('widths', TRANSFER)}",
    )


def _add_training(group):
    group.add_argument(
        "--seeds",
        metavar="N",
        type=_positive_int,
        help="seeds --seed, --seed+1, ...: each redraws the rows and fits "
        f"every model again {_default('seeds', TRANSFER, SAME_LABELS, TABLE)}",
    )
    group.add_argument(
        "--epochs",
        metavar="N",
        type=_positive_int,
        help="a Keras student's epochs (from scratch, in the same-labels "
        "scenario); on a table, the mlp student's most epochs "
        f"{_default('epochs', TRANSFER, SAME_LABELS, TABLE)}",
    )
    group.add_argument(
        "--temperature",
        metavar="T",
        type=_positive_float,
        help="distillation temperature, > 0 "
        f"{_default('temperature', TRANSFER, SAME_LABELS, TABLE)}",
    )
    group.add_argument(
        "--alpha",
        metavar="A",
        type=_unit_float,
        help="weight of the hard (true-label) term, in [0, 1] "
        f"{_default('alpha', TRANSFER, SAME_LABELS, TABLE)}",
    )


def _add_table(group):
    """Options of the user's own table."""
    from ._engine._models import TABLE_STUDENTS

    group.add_argument(
        "--target", metavar="COLUMN", help="the column to predict (required)"
    )
    group.add_argument(
        "--task",
        choices=("classification", "regression"),
        help="the task, if not the one the target suggests",
    )
    group.add_argument(
        "--drop",
        metavar="COLUMNS",
        type=_names,
        help="comma-separated columns to leave out, such as identifiers or "
        "columns that leak the target",
    )
    group.add_argument(
        "--students",
        metavar="NAMES",
        type=_students,
        help=f"comma-separated student presets among {', '.join(TABLE_STUDENTS)}: "
        "decision trees of depth 4 and 8, a 30-iteration HistGradientBoosting, "
        "logistic or ridge regression on one-hot, scaled columns, and a Keras "
        "network of --units units (needs skdistill[tensorflow]) "
        f"(default: {','.join(_table_students())})",
    )
    group.add_argument(
        "--unlabeled",
        metavar="FILE",
        help="a table of rows without labels, in --data's layout: the "
        "transfer rows, beside the owner's unlabeled ones; without --labeled "
        "all the owner's rows are then labeled",
    )
    group.add_argument(
        "--trust",
        metavar="TYPES",
        type=_names,
        help="comma-separated types a .skops --teacher may hold beyond those "
        "skops trusts; name only types you have checked (default: none)",
    )


def _table_students():
    from ._engine._experiment import CONFIGURATIONS

    return CONFIGURATIONS[TABLE].students


def _add_measurements(group):
    group.add_argument(
        "--latency-repeats",
        metavar="N",
        type=_positive_int,
        help="timed runs behind each latency on 1,000 rows, three times as "
        "many on 1 row (default: 7)",
    )
    group.add_argument(
        "--export",
        metavar="DIR",
        help="write each distilled student (its first seed's) to DIR: its ONNX "
        "graph (needs skdistill[onnx]) and export_student()'s file (joblib, or "
        ".keras); report.md says how to load them",
    )


_COMPARE_DESCRIPTION = (
    "Teacher, the same student trained from scratch and distilled, and "
    "scikit-learn's defaults on the same labels, each seed redrawing the rows; "
    "the report gives every model's scores (mean +- sd), retention, size, "
    "latency and its shipped ONNX graph, and the paired difference distilled - "
    "scratch with its 95% t-interval. Three runs: digits (the default; "
    "--scenario transfer): a scikit-learn teacher on half of the rows and an "
    "owner with --labeled labels and the other rows unlabeled, with a "
    "compression curve over --widths; --scenario same-labels (the default "
    "with MNIST, the original notebook's experiment): a Keras teacher and "
    "students on the same labeled rows, with learning curves; your own table "
    "(--data FILE --target COLUMN): students of --students trained three "
    "ways (from scratch, on pseudo-labels, distilled). The options each run "
    "takes are grouped below; one given to a run it does not apply to is "
    "refused."
)


def _compare_parser(commands):
    compare = commands.add_parser(
        "compare",
        help="teacher vs student from scratch vs distilled student",
        description=_COMPARE_DESCRIPTION,
    )
    _add_common(compare)
    _add_training(compare.add_argument_group("seeds and training (every run)"))
    _add_rows(
        compare.add_argument_group(
            "rows and teacher (digits' transfer scenario and tables)"
        )
    )
    images = compare.add_argument_group("digits and MNIST")
    images.add_argument(
        "--scenario",
        choices=(TRANSFER, SAME_LABELS),
        help="the run, described above (default: transfer on digits, "
        "same-labels on MNIST)",
    )
    _add_n_train(images)
    _add_same_labels(
        compare.add_argument_group("the same-labels scenario (--scenario same-labels)")
    )
    _add_table(
        compare.add_argument_group("your own table (--data FILE --target COLUMN)")
    )
    _add_measurements(compare.add_argument_group("measurements and exports"))
    compare.set_defaults(command="compare")
    return compare


def _sweep_parser(commands):
    sweep = commands.add_parser(
        "sweep",
        help="distil over a grid of temperatures and alphas",
        description="The same-labels scenario over a grid: train (or load) "
        "the teacher once and distil students at each temperature and alpha, "
        "reusing the teacher's outputs; alpha 1 adds the student from scratch. "
        "Writes report.json, report.md, sweep.png and learning_curves.png.",
    )
    _add_common(sweep)
    group = sweep.add_argument_group("the grid")
    group.add_argument(
        "--temperatures",
        type=_positive_float,
        nargs="+",
        default=[1.0, 2.0, 4.0, 8.0, 16.0],
        metavar="T",
        help="temperatures to try (default: 1 2 4 8 16)",
    )
    group.add_argument(
        "--alphas",
        type=_unit_float,
        nargs="+",
        default=[0.1, 0.5, 1.0],
        metavar="A",
        help="alphas to try; 1.0 adds the student from scratch as a reference "
        "(default: 0.1 0.5 1.0)",
    )
    training = sweep.add_argument_group("models and training")
    _add_same_labels(training)
    _add_n_train(training)
    sweep.add_argument(
        "--epochs",
        metavar="N",
        type=_positive_int,
        help="the student from scratch's epochs (default: 5; 60 on digits)",
    )
    sweep.set_defaults(command="sweep")
    return sweep


def build_parser():
    """The argument parser of the ``skdistill`` command."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="skdistill",
        description="Knowledge distillation experiments: teacher, student from "
        "scratch and distilled student, compared on test rows.",
    )
    parser.add_argument(
        "--version", action="version", version=f"skdistill {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _compare_parser(commands)
    _sweep_parser(commands)
    return parser
