"""The interface every kind of teacher offers to ``fit``."""

import joblib

CLASSIFICATION = "classification"
REGRESSION = "regression"


class Teacher:
    """What ``fit`` needs of a teacher, whatever its kind.

    Parameters
    ----------
    teacher : object
        The teacher as the user passed it.
    task : {"classification", "regression"} or None
        What its outputs are read as; ``None`` checks nothing task-specific
        (enough to clone it or to ask whether it is fitted).
    """

    def __init__(self, teacher, task):
        self.teacher = teacher
        self.task = task

    def is_fitted(self):
        """Whether the teacher is used as it is (True) or fitted inside ``fit``."""
        return True

    def fit(self, X, y, sample_weight=None):
        """The adapter of a fitted teacher: this one, or one over a fitted clone."""
        return self

    def clone(self):
        """What a clone of the estimator holds: the same teacher, once fitted."""
        return self.teacher

    @property
    def fitted_teacher(self):
        """The teacher as ``teacher_`` holds it once fitted."""
        return self.teacher

    def fingerprint(self):
        """A hashable key that changes whenever the outputs could change."""
        return (type(self).__name__, joblib.hash(self.teacher))

    def outputs(self, X):
        """``(classes, logits)`` for classification, ``(None, predictions)``
        for regression, one row per row of ``X``."""
        raise NotImplementedError
