"""The ``skdistill`` command's arguments: options, defaults and help."""

import argparse

from ._table_options import TABLE_DEFAULTS, TABLE_DESCRIPTION, add_table_arguments

DATASET_DEFAULTS = {
    # Small and embedded. compare's default scenario (transfer): an SVC
    # teacher, a student with 100 labels and transfer rows, 5 seeds and a
    # compression curve in about 40 s on 2 CPU cores.
    "digits": dict(
        scenario="transfer",
        models="mlp",
        teacher_epochs=30,
        epochs=60,
        distill_epochs=30,
        temperature=4.0,
        alpha=0.1,
    ),
    # The original notebook's settings.
    "mnist": dict(
        scenario="same-labels",
        models="notebook-cnn",
        teacher_epochs=5,
        epochs=5,
        distill_epochs=3,
        temperature=10.0,
        alpha=0.1,
    ),
}


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


def _by_dataset(name):
    """A setting's default for each dataset, for --help."""
    values = (
        (dataset, defaults[name]) for dataset, defaults in DATASET_DEFAULTS.items()
    )
    return ", ".join(
        f"{value:g} for {dataset}"
        if isinstance(value, float)
        else f"{value} for {dataset}"
        for dataset, value in values
    )


def _add_data_arguments(parser):
    """Add the options that choose the data: --dataset and --data."""
    parser.add_argument(
        "--dataset",
        choices=sorted(DATASET_DEFAULTS),
        default=None,
        help="digits: scikit-learn's embedded 8x8 digits; mnist: Keras's MNIST "
        "(a local file via --data or $SKDISTILL_MNIST_PATH, else downloaded) "
        "(default: digits, or mnist when --data is given)",
    )
    parser.add_argument(
        "--data",
        metavar="PATH",
        help="a local mnist.npz in Keras's layout; implies --dataset mnist "
        "(default: $SKDISTILL_MNIST_PATH, else Keras's download). For compare, "
        "also your own table, .csv, .csv.gz or .parquet, with --target",
    )


def _add_training_arguments(parser):
    """Add the options both commands train with, from --models to --teacher."""
    from ..students._presets import model_presets

    parser.add_argument(
        "--models",
        choices=sorted(model_presets()),
        help=f"teacher/student preset (default: {_by_dataset('models')})",
    )
    parser.add_argument(
        "--teacher-epochs",
        metavar="N",
        type=_positive_int,
        help=f"teacher's epochs (default: {_by_dataset('teacher_epochs')})",
    )
    parser.add_argument(
        "--distill-epochs",
        metavar="N",
        type=_positive_int,
        help="distilled student's epochs; in sweep, every student's (default: "
        f"{_by_dataset('distill_epochs')})",
    )
    parser.add_argument(
        "--batch-size",
        metavar="N",
        type=_positive_int,
        help="rows per gradient step (default: 32); on a table, the mlp "
        "student's, min(200, rows) unless given",
    )
    parser.add_argument(
        "--n-train",
        metavar="N",
        type=_positive_int,
        help="use only the first N training rows (default: all)",
    )
    parser.add_argument(
        "--seed",
        metavar="N",
        type=int,
        default=0,
        help="random seed of every fit, and of the validation rows "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--teacher",
        metavar="PATH",
        help="a saved Keras teacher (.keras) to reuse (default: train one). On "
        "a table, a fitted model used as given: joblib (.joblib, .pkl: "
        "loading it runs the code it holds, so use only files you trust), "
        "skops (.skops: types skops does not trust are refused, see --trust) "
        "or Keras (.keras, outputs read as classes 0..n-1)",
    )


def _add_output_arguments(parser):
    """Add the options on what the command writes and prints: --out, --verbose."""
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default: skdistill-out/COMMAND)",
    )
    parser.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=1,
        help="0: one line per stage; 1: also a progress bar for the whole job; "
        "2: also Keras's output for every epoch (default: %(default)s)",
    )


def _common_parser():
    """The parent parser of the options both subcommands take."""
    common = argparse.ArgumentParser(add_help=False)
    _add_data_arguments(common.add_argument_group("data"))
    _add_training_arguments(
        common.add_argument_group(
            "models and training (digits and MNIST; --batch-size, --seed and "
            "--teacher also on a table)"
        )
    )
    _add_output_arguments(common.add_argument_group("output"))
    return common


_COMPARE_DESCRIPTION = (
    "Two scenarios. transfer (the default on digits): for each "
    "of --seeds seeds the training rows are redrawn into teacher rows, on "
    "which a scikit-learn teacher is fitted, and the owner's rows: --labeled "
    "of them labeled, the rest unlabeled transfer rows; a small Keras student "
    "is trained from scratch on the labeled rows and distilled on the "
    "labeled and transfer rows, and scikit-learn's SVC() and scaled "
    "LogisticRegression() are fitted on the same labels; the report gives "
    "mean +- sd and predict latency per model, the paired difference "
    "distilled - scratch with its 95% t-interval, and a compression curve "
    "over --widths. Writes report.json, report.md, compression.png and "
    "latency.png. same-labels (the default on mnist, the original "
    "notebook's experiment; one seed): train (or load) a Keras teacher, the "
    "student from scratch and the distilled student on the same labeled "
    "rows, each holding out the same 10% for validation. Writes "
    "report.json, report.md and learning_curves.png."
)


def _add_transfer_arguments(parser):
    """Add the options of compare's transfer scenario, --seeds to --widths."""
    parser.add_argument(
        "--seeds",
        metavar="N",
        type=_positive_int,
        help="transfer scenario and tables: seeds --seed, --seed+1, ..., each "
        "redrawing the teacher's, labeled and transfer rows and training every "
        f"model again; at least 2; on a table {TABLE_DEFAULTS['seeds']} unless "
        "given (default: 5)",
    )
    parser.add_argument(
        "--labeled",
        metavar="N",
        type=_positive_int,
        help="transfer scenario and tables: the owner's labeled rows; on a "
        "table 500 unless given, or half the owner's rows if fewer (default: 100)",
    )
    parser.add_argument(
        "--teacher-fraction",
        metavar="F",
        type=float,
        default=0.5,
        help="transfer scenario and tables: fraction of the training rows the "
        "teacher is fitted on, unless --teacher gives one (default: %(default)s)",
    )
    parser.add_argument(
        "--teacher-model",
        choices=("svc", "boosting", "hgb", "rf"),
        help="transfer scenario: the teacher, an RBF SVC(probability=True) "
        "on the raw pixels, or HistGradientBoostingClassifier (default: "
        "svc); on a table, hgb (HistGradientBoosting, native categories) or "
        "rf (a 300-tree random forest) (default there: "
        f"{TABLE_DEFAULTS['teacher_model']})",
    )
    parser.add_argument(
        "--units",
        metavar="N",
        type=_positive_int,
        default=32,
        help="transfer scenario and a table's mlp student: hidden units of the "
        "student (default: %(default)s)",
    )
    parser.add_argument(
        "--widths",
        metavar="N",
        type=_positive_int,
        nargs="+",
        default=[8, 16, 32, 64, 128, 256],
        help="transfer scenario: hidden units of the compression curve's "
        "students (default: 8 16 32 64 128 256)",
    )


def _add_distillation_arguments(parser):
    """Add compare's options of the distilled student: --temperature, --alpha."""
    parser.add_argument(
        "--temperature",
        metavar="T",
        type=_positive_float,
        help="distillation temperature, > 0; on a table "
        f"{TABLE_DEFAULTS['temperature']:g} unless given "
        f"(default: {_by_dataset('temperature')})",
    )
    parser.add_argument(
        "--alpha",
        metavar="A",
        type=_unit_float,
        help="weight of the hard (true-label) term, in [0, 1]; on a table "
        f"{TABLE_DEFAULTS['alpha']:g} unless given (default: {_by_dataset('alpha')})",
    )


def _compare_parser(commands, common):
    """The ``compare`` subcommand's parser, added to ``commands``."""
    compare = commands.add_parser(
        "compare",
        parents=[common],
        help="teacher vs student from scratch vs distilled student",
        description=f"{_COMPARE_DESCRIPTION} {TABLE_DESCRIPTION}",
    )
    digits = compare.add_argument_group("digits and MNIST only")
    digits.add_argument(
        "--scenario",
        choices=("transfer", "same-labels"),
        help="the experiment, described above; transfer runs on digits only "
        f"(default: {_by_dataset('scenario')})",
    )
    digits.add_argument(
        "--epochs",
        metavar="N",
        type=_positive_int,
        help="epochs of the student from scratch; in the transfer scenario, of "
        "every student; on a table, the most epochs of the mlp student, "
        f"{TABLE_DEFAULTS['epochs']} unless given (default: {_by_dataset('epochs')})",
    )
    _add_transfer_arguments(
        compare.add_argument_group(
            "rows, seeds and students (digits' transfer scenario and tables)"
        )
    )
    _add_distillation_arguments(compare.add_argument_group("distillation"))
    add_table_arguments(compare)
    measures = compare.add_argument_group("measurements and exports")
    measures.add_argument(
        "--latency-repeats",
        metavar="N",
        type=_positive_int,
        default=7,
        help="timed runs behind each latency on 1,000 rows, three times as "
        "many on 1 row (default: %(default)s)",
    )
    measures.add_argument(
        "--export",
        metavar="DIR",
        help="write each distilled student (its first seed's) to DIR: its ONNX "
        "graph (needs skdistill[onnx]) and export_student()'s file (joblib, or "
        ".keras); report.md says how to load them",
    )
    compare.set_defaults(command="compare")
    return compare


def _sweep_parser(commands, common):
    """The ``sweep`` subcommand's parser, added to ``commands``."""
    sweep = commands.add_parser(
        "sweep",
        parents=[common],
        help="distil over a grid of temperatures and alphas",
        description="Train (or load) the teacher once and distil students over a "
        "grid of temperatures and alphas, reusing the teacher's outputs. Every "
        "fit holds out the same 10% of the training rows for validation as "
        "compare's. Writes report.json, report.md and sweep.png.",
    )
    sweep.add_argument(
        "--temperatures",
        type=_positive_float,
        nargs="+",
        default=[1.0, 2.0, 4.0, 8.0, 16.0],
        metavar="T",
        help="temperatures to try (default: 1 2 4 8 16)",
    )
    sweep.add_argument(
        "--alphas",
        type=_unit_float,
        nargs="+",
        default=[0.1, 0.5, 1.0],
        metavar="A",
        help="alphas to try; 1.0 adds the student from scratch as a reference "
        "(default: 0.1 0.5 1.0)",
    )
    sweep.set_defaults(command="sweep")
    return sweep


def build_parser():
    """The argument parser of the ``skdistill`` command."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="skdistill",
        description="Knowledge distillation experiments: teacher, student from "
        "scratch and distilled student, compared on a test split.",
    )
    parser.add_argument(
        "--version", action="version", version=f"skdistill {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    common = _common_parser()
    _compare_parser(commands, common)
    _sweep_parser(commands, common)
    return parser
