"""The user's own table for ``skdistill compare``: read it, and its target.

A table comes from a CSV file (gzip-compressed or not) or a Parquet file.
Text columns become pandas ``category`` columns, which scikit-learn's
gradient boosting reads natively and the students' encoders one-hot encode;
missing values stay missing. pandas is imported inside the functions, so the
command's modules import without it.
"""

import difflib
from pathlib import Path

import numpy as np

from ._engine._data import CLASSIFICATION, REGRESSION, Dataset
from ._errors import CommandError

#: A numeric target with at most this many distinct values, all whole
#: numbers, is read as classes.
MAX_CLASSES = 20
#: A text column with more distinct values than this is an identifier or
#: free text: scikit-learn's gradient boosting takes at most 255 categories.
MAX_CATEGORIES = 255
_CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz")
_PARQUET_SUFFIXES = (".parquet", ".pq")


class TableError(CommandError):
    """A problem with the user's table or teacher, said in one line with its fix."""


def table_format(path):
    """``"csv"``, ``"parquet"`` or None (not a table, e.g. an MNIST ``.npz``)."""
    name = str(path).lower()
    if name.endswith(_PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(_CSV_SUFFIXES) or name.endswith(".gz"):
        return "csv"
    return None


def read_table(path, *, option="--data"):
    """The table at ``path`` as a DataFrame, read by its suffix.

    Raises
    ------
    TableError
        No such file, a format not known by its suffix, or a file that does
        not parse (the reader's own message is kept).
    """
    path = Path(path)
    kind = table_format(path)
    if not path.is_file():
        raise TableError(
            f"{option} {path}: no such file. Give the path of a CSV (.csv, "
            ".csv.gz) or Parquet (.parquet) file."
        )
    if kind is None:
        raise TableError(
            f"{option} {path}: not a table by its name. Name it .csv, .csv.gz "
            "or .parquet (a .npz is read as MNIST, without --target)."
        )
    try:
        import pandas as pd
    except ImportError as exc:
        raise TableError(
            f"{option} {path}: reading a table needs pandas: pip install "
            "'skdistill[tables]' (pandas, pyarrow for Parquet, skops)."
        ) from exc
    try:
        if kind == "parquet":
            return pd.read_parquet(path)
        sep = "\t" if ".tsv" in path.name.lower() else ","
        return pd.read_csv(path, sep=sep)
    except ImportError as exc:
        raise TableError(
            f"{option} {path}: reading Parquet needs pyarrow: pip install "
            f"'skdistill[tables]' ({exc})"
        ) from exc
    except Exception as exc:  # any reader error is the file's problem
        raise TableError(
            f"{option} {path} could not be read as {kind}: {exc}. Check that "
            f"it is a {kind} file with the column names on its first line."
        ) from exc


def _closest(name, names):
    close = difflib.get_close_matches(name, names, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _check_columns(frame, names, option):
    missing = [name for name in names if name not in frame.columns]
    if missing:
        columns = list(map(str, frame.columns))
        raise TableError(
            f"{option}: the table has no column {missing[0]!r}."
            f"{_closest(missing[0], columns)} Its columns: {', '.join(columns)}."
        )


def as_categories(frame):
    """``frame`` with its text and boolean columns as ``category`` columns.

    Raises
    ------
    TableError
        For a text column with more than :data:`MAX_CATEGORIES` values,
        such as an identifier, which no model here can use.
    """
    import pandas as pd

    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            continue
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(
            values
        ):
            continue
        n_values = values.nunique()
        if n_values > MAX_CATEGORIES:
            raise TableError(
                f"column {column!r} is text with {n_values:,} distinct values "
                f"(more than {MAX_CATEGORIES}): an identifier or free text, "
                f"which the models cannot use as a category. Drop it with "
                f"--drop {column}, or encode it as numbers."
            )
        frame[column] = values.astype("category")
    return frame


def infer_task(y, task=None):
    """The task the target ``y`` (a Series) asks for, unless ``task`` is given.

    Classification for a non-numeric target, or a numeric one with at most
    :data:`MAX_CLASSES` distinct values, all whole numbers; otherwise
    regression.
    """
    import pandas as pd

    if task is not None:
        return task
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return CLASSIFICATION
    values = np.unique(np.asarray(y, dtype=np.float64))
    few = len(values) <= MAX_CLASSES and np.all(values == np.round(values))
    return CLASSIFICATION if few else REGRESSION


def _check_classes(values, classes, target):
    """Raise a short TableError for a target that is no set of classes."""
    if values.dtype.kind == "f" and np.any(classes != np.round(classes)):
        raise TableError(
            f"--target {target} holds {len(classes):,} distinct numbers, not all "
            "whole (e.g. "
            f"{', '.join(f'{v:g}' for v in classes[:: max(1, len(classes) // 3)][:3])}"
            "): a continuous target. Use --task regression, or leave --task "
            "out to let the run decide."
        )
    _, counts = np.unique(values, return_counts=True)
    single = int(np.sum(counts < 2))
    if single > len(classes) // 2:
        raise TableError(
            f"--target {target} has {len(classes):,} classes and {single:,} of "
            "them occur once: too few rows per class to split and score. For a "
            "number, use --task regression; otherwise merge rare classes or "
            "choose another target."
        )


def _target_values(y, task, target):
    """The target as an ndarray the estimators take, checked for ``task``."""
    import pandas as pd

    if task == REGRESSION:
        if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
            raise TableError(
                f"--target {target} is not numeric, so it cannot be a "
                "regression target. Use --task classification, or a numeric "
                "target column."
            )
        return y.to_numpy(dtype=np.float64)
    values = y.to_numpy()
    if not pd.api.types.is_numeric_dtype(y):
        values = values.astype(str)
    classes = np.unique(values)
    _check_classes(values, classes, target)
    if len(classes) < 2:
        raise TableError(
            f"--target {target} has one class only ({classes[0]!r}): there is "
            "nothing to classify. Choose another target column, or use "
            "--task regression for a number."
        )
    return values


def prepare_table(frame, *, target, drop=(), task=None, name="table"):
    """The feature frame and target of ``frame``, as a :class:`Dataset` called
    ``name``.

    Raises
    ------
    TableError
        An empty table, an unknown target or ``--drop`` column, a target
        with one class, no feature column left, or an identifier column.
    """
    if len(frame) == 0 or len(frame.columns) == 0:
        raise TableError(
            "the table is empty (no rows or no columns). Check --data: it "
            "needs the column names on its first line and one row per line."
        )
    _check_columns(frame, [target], "--target")
    _check_columns(frame, list(drop), "--drop")
    drop = [name for name in drop if name != target]
    y = frame[target]
    missing = y.isna().to_numpy()
    if missing.all():
        raise TableError(f"--target {target} has no values: choose another column.")
    frame = frame.loc[~missing].reset_index(drop=True)
    X = frame.drop(columns=[target, *drop])
    if len(X.columns) == 0:
        raise TableError(
            "no feature column is left once the target and --drop are taken "
            "out: drop fewer columns."
        )
    task = infer_task(frame[target], task)
    y = _target_values(frame[target], task, target)
    return Dataset(
        as_categories(X),
        y,
        task,
        name,
        target=target,
        dropped=drop,
        n_missing_target=int(missing.sum()),
    )


def align_unlabeled(frame, table):
    """The rows of an ``--unlabeled`` file with ``table``'s columns and dtypes.

    The target column, if the file has one, and columns the table does not
    have are dropped.
    """
    import pandas as pd

    columns = list(table.X.columns)
    absent = [column for column in columns if column not in frame.columns]
    if absent:
        raise TableError(
            f"--unlabeled lacks the table's columns {absent}: give a file with "
            "the same feature columns as --data."
        )
    if len(frame) == 0:
        raise TableError("--unlabeled has no rows: give a file with some.")
    frame = frame[columns].copy()
    for column, dtype in table.X.dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype):
            values = frame[column]
            text = values.astype(str).where(values.notna())
            frame[column] = text.astype("category")
            continue
        try:
            frame[column] = pd.to_numeric(frame[column])
        except (TypeError, ValueError) as exc:
            raise TableError(
                f"--unlabeled column {column!r} is not numeric as it is in "
                f"--data ({exc}): give a file in the same layout."
            ) from exc
    return frame.reset_index(drop=True)
