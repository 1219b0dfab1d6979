"""A teacher given only as its outputs on known rows."""

import numpy as np
from sklearn.base import BaseEstimator

from ..utils._hashing import fingerprint_rows

_OUTPUT_KINDS = ("auto", "logits", "probabilities")


class PrecomputedTeacher(BaseEstimator):
    """A teacher known only by its outputs on the rows it was run on.

    Distillation needs nothing of a teacher but its probabilities or logits
    on the training rows. A teacher that cannot run in this process (a hosted
    model, one too large to load, outputs computed on another machine) can
    teach through them: pass the rows and their outputs, and ``fit`` looks up
    each training row by its content, in any order and any subset, so
    cross-validation folds, ``GridSearchCV`` and ``X_unlabeled`` work as with
    a teacher that runs.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or (n_samples, ...)
        The rows the teacher was run on, as they will be passed to ``fit``
        (labeled rows and unlabeled ones alike). Rows are compared by the
        bytes of their float32 values, as ``fit`` sees them.
    outputs : array-like of shape (n_samples, n_classes) or (n_samples, n_outputs)
        The teacher's outputs on ``X``: for a classifier one column per
        class; for :class:`DistilledRegressor` its predictions, of shape
        ``(n_samples,)`` or one column per target.
    classes : array-like of shape (n_classes,), default=None
        The label of each column; ``None`` means ``0, 1, ..., n_classes - 1``.
        Leave it ``None`` for a regression teacher.
    output : {"auto", "logits", "probabilities"}, default="auto"
        What ``outputs`` holds. ``"auto"`` reads rows that are non-negative
        and sum to 1 (within 1e-3) as probabilities, anything else as logits.

    See Also
    --------
    DistilledClassifier : The estimator that takes a teacher.
    DistilledRegressor : The same for regression.
    KerasTeacher : A Keras model that runs in this process.

    Notes
    -----
    Synthetic rows (``augment``) and out-of-fold targets (``teacher_cv``)
    need a teacher that runs: a ``PrecomputedTeacher`` has no outputs for rows
    it was not given, and ``fit`` says how many it lacks.

    Examples
    --------
    Outputs from a hosted model, fetched once for every row a search will
    use (here a local model stands in for the service):

    >>> from sklearn.datasets import load_digits
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skdistill import DistilledClassifier, PrecomputedTeacher
    >>> X, y = load_digits(return_X_y=True)
    >>> service = RandomForestClassifier(random_state=0).fit(X, y)
    >>> outputs = service.predict_proba(X)  # e.g. the hosted model's answers
    >>> teacher = PrecomputedTeacher(X, outputs, classes=service.classes_)
    >>> student = DistilledClassifier(
    ...     teacher=teacher, student=DecisionTreeClassifier(max_depth=6),
    ...     temperature=1.0, random_state=0,
    ... )
    >>> search = GridSearchCV(student, {"alpha": [0.0, 0.5]}, cv=3).fit(X, y)
    >>> sorted(search.best_params_)
    ['alpha']
    """

    def __init__(self, X, outputs, *, classes=None, output="auto"):
        self.X = X
        self.outputs = outputs
        self.classes = classes
        self.output = output

    def __sklearn_is_fitted__(self):
        return True

    def _index(self):
        """Sorted row hashes and the output row of each (built once)."""
        index = self.__dict__.get("_row_index")
        if index is None:
            X = np.ascontiguousarray(np.asarray(self.X, dtype=np.float32))
            digests = fingerprint_rows(X)
            order = np.argsort(digests, kind="stable")
            index = (digests[order], order)
            self.__dict__["_row_index"] = index
        return index

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_row_index", None)  # rebuilt on first use
        return state

    def lookup(self, rows, *, allow_1d=False):
        """The classes and the outputs for ``rows``, as stored.

        Parameters
        ----------
        rows : ndarray of shape (n_rows, ...)
            Rows, as ``fit`` sees them (float32).
        allow_1d : bool, default=False
            Read 1-D ``outputs`` (a regression teacher's predictions) as one
            column.

        Returns
        -------
        classes : ndarray of shape (n_classes,)
        outputs : ndarray of shape (n_rows, n_classes)

        Raises
        ------
        ValueError
            When some rows were not among those given.
        """
        if self.output not in _OUTPUT_KINDS:
            raise ValueError(
                f"PrecomputedTeacher output must be one of {list(_OUTPUT_KINDS)}; "
                f"got {self.output!r}."
            )
        outputs = np.asarray(self.outputs, dtype=np.float64)
        if allow_1d and outputs.ndim == 1:
            outputs = outputs[:, np.newaxis]
        if outputs.ndim != 2 or len(outputs) != len(self.X):
            raise ValueError(
                "PrecomputedTeacher outputs must have shape (n_samples, n_classes) "
                f"with one row per row of X ({len(self.X)}); got {outputs.shape}."
            )
        classes = (
            np.arange(outputs.shape[1])
            if self.classes is None
            else np.asarray(self.classes)
        )
        if len(classes) != outputs.shape[1]:
            raise ValueError(
                f"PrecomputedTeacher classes has {len(classes)} labels but outputs "
                f"has {outputs.shape[1]} columns."
            )
        known, order = self._index()
        wanted = fingerprint_rows(np.asarray(rows, dtype=np.float32))
        pos = np.minimum(np.searchsorted(known, wanted), len(known) - 1)
        missing = known[pos] != wanted
        if missing.any():
            raise ValueError(
                f"PrecomputedTeacher has no outputs for {int(missing.sum())} of the "
                f"{len(rows)} rows fit asked for: it answers only for the rows it "
                "was given (compared by their float32 values). Give it the "
                "outputs for every row passed to fit, X_unlabeled included; "
                "augment and teacher_cv need a teacher that runs."
            )
        return classes, outputs[order[pos]]

    def reads_probabilities(self, outputs):
        """Whether ``outputs`` are probabilities, by ``output`` or by their rows."""
        if self.output != "auto":
            return self.output == "probabilities"
        return bool(
            outputs.size > 0
            and np.all(outputs >= 0)
            and np.allclose(outputs.sum(axis=1), 1.0, atol=1e-3)
        )
