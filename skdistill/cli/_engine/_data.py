"""The engine's data: a :class:`Dataset` (images or a table) and each seed's rows.

For each seed the rows are redrawn (stratified for classification): test
rows (unless the data set brings its own), the rows a preset teacher is
fitted on, and the owner's rows, of which a few are labeled and the rest are
unlabeled transfer rows.
"""

from dataclasses import dataclass, field

import numpy as np

from .._errors import CommandError

CLASSIFICATION, REGRESSION = "classification", "regression"


@dataclass(frozen=True)
class Dataset:
    """The rows one run draws from.

    Attributes
    ----------
    X : ndarray or DataFrame
        Images (n_rows, ...) or a table's feature columns (text as
        ``category``).
    y : ndarray
        The target.
    task : {"classification", "regression"}
    name : str
        What the report calls the data: ``digits``, ``mnist``, or the
        table's file name.
    X_test, y_test : ndarray or None
        The data set's own test rows (MNIST's), the same for every seed;
        None to draw them per seed.
    target : str or None
        A table's target column.
    dropped : list of str
        Columns left out by ``--drop``.
    n_missing_target : int
        Rows left out because their target is missing.
    """

    X: object
    y: object
    task: str
    name: str
    X_test: object = None
    y_test: object = None
    target: object = None
    dropped: list = field(default_factory=list)
    n_missing_target: int = 0

    @property
    def classes(self):
        """The sorted classes; None for regression."""
        return None if self.task == REGRESSION else np.unique(self.y)

    @property
    def is_table(self):
        return hasattr(self.X, "columns")


@dataclass(frozen=True)
class Split:
    """One seed's rows, as positions in the data set's ``X``.

    Attributes
    ----------
    test, teacher, labeled, transfer : ndarray of int
        Test rows (None: the data set's own); the rows a preset teacher is
        fitted on (empty for a given teacher; the labeled rows in the
        same-labels configuration); the owner's labeled rows; the owner's
        unlabeled transfer rows.
    """

    test: object
    teacher: object
    labeled: object
    transfer: object


@dataclass(frozen=True)
class Rows:
    """One seed's rows as the models read them."""

    X_test: object
    y_test: object
    X_teacher: object
    y_teacher: object
    X_labeled: object
    y_labeled: object
    X_transfer: object

    def counts(self):
        """The report's row counts."""
        return {
            "n_test": len(self.y_test),
            "n_teacher": len(self.y_teacher),
            "n_labeled": len(self.y_labeled),
            "n_transfer": 0 if self.X_transfer is None else len(self.X_transfer),
        }


def take(X, rows):
    """Rows ``rows`` of an array or a frame (a frame's index reset)."""
    if hasattr(X, "iloc"):
        return X.iloc[rows].reset_index(drop=True)
    return X[rows]


def _draw(rows, size, y, seed, what):
    """``rows`` split in two, ``size`` of them first (stratified by ``y``)."""
    from sklearn.model_selection import train_test_split

    strata = None if y is None else y[rows]
    try:
        first, rest = train_test_split(
            rows, train_size=size, stratify=strata, random_state=seed
        )
    except ValueError as exc:
        rarest = ""
        if strata is not None:
            classes, counts = np.unique(strata, return_counts=True)
            rarest = (
                f" The rarest class, {str(classes[np.argmin(counts)])!r}, has "
                f"{counts.min()} of these {len(rows):,} rows."
            )
        reason = " ".join(str(exc).split())
        if len(reason) > 200:
            reason = reason[:200] + "..."
        raise CommandError(
            f"cannot draw {what} stratified by the target: {reason}.{rarest} Give "
            "more rows or --labeled, or merge or drop the rarest classes."
        ) from exc
    return np.sort(first), np.sort(rest)


def _n_labeled(experiment, n_owner):
    from ._experiment import AUTO_LABELED

    n_labeled = experiment.n_labeled
    if n_labeled == "auto":
        return min(AUTO_LABELED, n_owner // 2)
    return n_labeled


def draw_split(data, experiment, seed, *, unlabeled=False):
    """One seed's :class:`Split` of ``data``'s rows.

    The test rows (``test_fraction``, unless the data set has its own) are
    drawn first, then the teacher's (``teacher_fraction`` of the rest; none
    when it is 0), then the owner's ``n_labeled`` labeled rows; the owner's
    other rows are the transfer rows. Labeling all the owner's rows leaves
    no transfer rows, which only the same-labels configuration or rows from
    ``--unlabeled`` (``unlabeled``) allow. Stratified by the target for
    classification.

    Raises
    ------
    CommandError
        No transfer rows left where they are needed, or a class too rare
        to stratify.
    """
    y = data.y if data.task == CLASSIFICATION else None
    rows = np.arange(len(data.y))
    test = None
    if data.X_test is None:
        rows, test = _draw(rows, 1 - experiment.test_fraction, y, seed, "the test rows")
    teacher, owner = np.array([], dtype=int), rows
    if experiment.teacher_fraction:
        teacher, owner = _draw(
            rows, experiment.teacher_fraction, y, seed, "the teacher rows"
        )
    n_labeled = _n_labeled(experiment, len(owner))
    no_transfer = np.array([], dtype=int)
    if n_labeled is None or n_labeled >= len(owner):
        if not (experiment.same_labels or unlabeled):
            raise CommandError(
                f"--labeled {n_labeled or 'all'} leaves no transfer rows: the "
                f"owner has {len(owner):,} rows. Give a smaller --labeled"
                f"{', or --unlabeled FILE' if data.is_table else ''}."
            )
        labeled, transfer = owner, no_transfer
    else:
        labeled, transfer = _draw(
            owner, n_labeled, y, seed, f"{n_labeled} labeled rows"
        )
    if experiment.same_labels:
        teacher = labeled
    return Split(test, teacher, labeled, transfer)


def seed_rows(data, split, unlabeled=None):
    """The arrays or frames of one seed's :class:`Split`; ``unlabeled`` rows
    (from ``--unlabeled``) join the transfer rows."""
    transfer = None
    if len(split.transfer):
        transfer = take(data.X, split.transfer)
    if unlabeled is not None:
        from ...utils._frames import concat_rows

        transfer = unlabeled if transfer is None else concat_rows([transfer, unlabeled])
    if split.test is None:
        X_test, y_test = data.X_test, data.y_test
    else:
        X_test, y_test = take(data.X, split.test), data.y[split.test]
    return Rows(
        X_test,
        y_test,
        take(data.X, split.teacher),
        data.y[split.teacher],
        take(data.X, split.labeled),
        data.y[split.labeled],
        transfer,
    )
