"""``skdistill compare``'s options for the user's own table, and their defaults."""

import argparse

#: A table run's defaults, where an option also serves digits and MNIST.
TABLE_DEFAULTS = dict(
    teacher_model="hgb",
    seeds=3,
    test_fraction=0.25,
    temperature=1.0,
    alpha=0.1,
    epochs=50,
    batch_size="auto",
)

TABLE_DESCRIPTION = (
    "Your own table: --data FILE (.csv, .csv.gz or .parquet) --target COLUMN. "
    "The task follows from the target (classification for text or at most 20 "
    "distinct whole numbers, else regression; --task overrides); text columns "
    "become categories. For each of --seeds seeds the rows are redrawn "
    "(stratified for classification) into --test-fraction test rows, "
    "--teacher-fraction of the rest as the teacher's rows and the owner's "
    "rows: --labeled of them labeled, the others unlabeled transfer rows. "
    "The teacher (--teacher-model, or --teacher PATH used as given, all rows "
    "then the owner's) teaches each of --students three ways: from scratch "
    "on the labels, on the teacher's pseudo-labels, and distilled; "
    "scikit-learn's defaults (HistGradientBoosting, logistic or ridge, MLP) "
    "on the same labels stand beside them. The report gives every model's "
    "scores (mean +- sd), retention of the teacher's score, size, predict "
    "latency per 1,000 rows and fit time, each student's distilled - scratch "
    "and distilled - pseudo-labels with 95% t-intervals, beside the class "
    "frequencies (or the mean), what serving each distilled student costs "
    "(its ONNX graph's bytes and latency), and latency.png. A joblib or pickle "
    "--teacher file runs the code it holds as it loads: use only files you "
    "trust."
)


def _fraction(text):
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {text}")
    return value


def _names(text):
    return [name.strip() for name in text.split(",") if name.strip()]


def _students(text):
    from ._table_models import STUDENT_PRESETS

    names = _names(text)
    unknown = [name for name in names if name not in STUDENT_PRESETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"must be comma-separated presets among {', '.join(STUDENT_PRESETS)}; "
            f"got {text!r}"
        )
    return names


def add_table_arguments(compare):
    """Add compare's options for a table, --target to --trust."""
    from ._table_models import DEFAULT_STUDENTS, STUDENT_PRESETS

    table = compare.add_argument_group("your own table (--data FILE --target COLUMN)")
    table.add_argument(
        "--target", metavar="COLUMN", help="the column to predict (required)"
    )
    table.add_argument(
        "--task",
        choices=("classification", "regression"),
        help="the task, if not the one the target suggests",
    )
    table.add_argument(
        "--drop",
        metavar="COLUMNS",
        type=_names,
        default=[],
        help="comma-separated columns to leave out, such as identifiers or "
        "columns that leak the target",
    )
    table.add_argument(
        "--students",
        metavar="NAMES",
        type=_students,
        help=f"comma-separated student presets among {', '.join(STUDENT_PRESETS)}: "
        "decision trees of depth 4 and 8, a 30-iteration HistGradientBoosting, "
        "logistic or ridge regression on one-hot, scaled columns, and a Keras "
        "network of --units units (needs skdistill[tensorflow]) "
        f"(default: {','.join(DEFAULT_STUDENTS)})",
    )
    table.add_argument(
        "--unlabeled",
        metavar="FILE",
        help="a table of rows without labels, in --data's layout: the "
        "transfer rows, beside the owner's unlabeled ones; without --labeled "
        "all the owner's rows are then labeled",
    )
    table.add_argument(
        "--test-fraction",
        metavar="F",
        type=_fraction,
        default=TABLE_DEFAULTS["test_fraction"],
        help="fraction of the rows held out for testing (default: %(default)s)",
    )
    table.add_argument(
        "--trust",
        metavar="TYPES",
        type=_names,
        default=[],
        help="comma-separated types a .skops --teacher may hold beyond those "
        "skops trusts; name only types you have checked (default: none)",
    )
