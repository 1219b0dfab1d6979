"""A teacher given as a file (``--teacher``), loaded and checked against the data.

A file is a fitted scikit-learn model saved with joblib (``.joblib``,
``.pkl``: a pickle, so loading it runs whatever code it holds) or skops
(``.skops``: loaded only when every type in it is one skops trusts or one the
user names with ``--trust``), or a Keras model (``.keras``). Before any
student is trained, the teacher is checked against the table: its task, its
classes and its columns.
"""

import numpy as np

from ._tables import CLASSIFICATION, REGRESSION, TableError

_JOBLIB_SUFFIXES = (".joblib", ".pkl", ".pickle")


def _load_skops(path, trust):
    import skops.io

    untrusted = [
        name for name in skops.io.get_untrusted_types(file=path) if name not in trust
    ]
    if untrusted:
        raise TableError(
            f"--teacher {path}: refused, it holds types that skops does not "
            f"trust: {', '.join(untrusted)}. Check them "
            "(skops.io.get_untrusted_types) and, if you trust them, name them "
            f"with --trust {','.join(untrusted)}."
        )
    return skops.io.load(path, trusted=list(trust) or None)


def _load_file(path, trust):
    """The object saved at ``path``, by its suffix."""
    name = path.name.lower()
    if name.endswith(".skops"):
        return _load_skops(path, trust)
    if name.endswith(".keras"):
        from ..utils._keras import import_keras

        return import_keras().models.load_model(path)
    if name.endswith(_JOBLIB_SUFFIXES):
        import joblib

        # A pickle: this runs the code the file holds (the help says so).
        return joblib.load(path)
    raise TableError(
        f"--teacher {path}: unknown kind of file. Save the fitted model with "
        "joblib (.joblib, .pkl), skops (.skops) or Keras (.keras)."
    )


def load_teacher(path, *, trust=()):
    """The fitted teacher saved at ``path``.

    Raises
    ------
    TableError
        No such file, an unknown suffix, untrusted skops types, a file that
        does not load (its loader's message is kept), or skops or Keras
        missing for a file that needs them.
    """
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise TableError(
            f"--teacher {path}: no such file. Give a fitted model saved with "
            "joblib (.joblib, .pkl), skops (.skops) or Keras (.keras)."
        )
    try:
        return _load_file(path, trust)
    except TableError:
        raise
    except ImportError as exc:
        # skops, or Keras for a .keras file, is not installed.
        raise TableError(
            f"--teacher {path}: {exc} (skops comes with pip install "
            "'skdistill[tables]', Keras with 'skdistill[tensorflow]')"
        ) from exc
    except Exception as exc:  # any loader error is the file's problem
        raise TableError(
            f"--teacher {path} does not load: {type(exc).__name__}: {exc}. "
            "Save the fitted model again, with the versions installed here."
        ) from exc


def _check_task(teacher, task):
    """The teacher's adapter for ``task``; a TableError if it cannot teach it."""
    from ..teachers._adapters import as_teacher

    try:
        adapter = as_teacher(teacher, task)
    except (TypeError, ValueError) as exc:
        other = REGRESSION if task == CLASSIFICATION else CLASSIFICATION
        raise TableError(
            f"the teacher cannot teach this {task} target: {exc} (or pass "
            f"--task {other} if the target is meant that way)"
        ) from exc
    if not adapter.is_fitted():
        raise TableError(
            f"the teacher ({type(teacher).__name__}) is not fitted: save it "
            "after fit, or leave out --teacher to fit a preset."
        )
    return adapter


def teacher_columns(teacher, columns):
    """The table's columns in the order ``teacher`` reads them.

    Raises
    ------
    TableError
        Columns the teacher reads that the table lacks, columns the table
        has that the teacher does not read, or a different count.
    """
    names = getattr(teacher, "feature_names_in_", None)
    if names is None:
        n_features = getattr(teacher, "n_features_in_", None)
        if n_features is not None and n_features != len(columns):
            raise TableError(
                f"the teacher reads {n_features} columns; the table has "
                f"{len(columns)} once the target and --drop are out: drop or "
                "add columns to match."
            )
        return list(columns)
    names = [str(name) for name in names]
    missing = [name for name in names if name not in columns]
    if missing:
        raise TableError(
            f"the teacher reads columns the table lacks: {', '.join(missing)}. "
            "Give a table with them, or a teacher fitted on this table's columns."
        )
    extra = [name for name in columns if name not in names]
    if extra:
        raise TableError(
            f"the table has columns the teacher does not read: "
            f"{', '.join(extra)}. Leave them out with --drop {','.join(extra)}."
        )
    return names


def _check_classes(found, table):
    """A TableError unless the teacher's classes ``found`` are the table's."""
    expected = table.classes
    if set(found.tolist()) != set(expected.tolist()):
        raise TableError(
            f"the teacher's classes {found.tolist()} are not the target's "
            f"{expected.tolist()}. A Keras teacher's outputs are read as classes "
            "0..n-1: recode the target so, or give a teacher fitted on this "
            "target."
        )


def check_teacher(teacher, table):
    """Check a given teacher against ``table`` (a data set: a table or
    images); a table's columns in the teacher's order (None for images).

    It must teach the task, be fitted, read the table's columns and, for
    classification, know exactly the target's classes; it is run on a few
    rows to be sure.
    """
    adapter = _check_task(teacher, table.task)
    columns, rows = None, table.X[:5]
    if table.is_table:
        columns = teacher_columns(teacher, list(table.X.columns))
        rows = table.X[columns].head(5)
    try:
        classes, _ = adapter.outputs(rows)
    except Exception as exc:  # the teacher's own complaint names the problem
        raise TableError(
            f"the teacher cannot predict on the data's rows: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if table.task == CLASSIFICATION:
        _check_classes(np.asarray(classes), table)
    return columns
