"""The targets step of ``fit``: what the student learns, for each task.

A task object reads the teacher's outputs for its task (a classifier's logits
aligned with the classes; a regressor's predictions, checked against ``y``),
turns them into what each kind of student learns from (packed targets and a
loss for a Keras student, rows, targets and weights for a scikit-learn one),
and keeps what it decided on the way (the classes, the target scale), which
the estimator then sets as fitted attributes. The estimators choose their
task object in ``_make_task``.
"""

import functools

import numpy as np
from sklearn.utils.multiclass import check_classification_targets

from ..students._fitters import KerasTargets, SklearnTargets
from ..students._sklearn import classification_targets, regression_targets
from ..training._objectives import ClassificationObjective, RegressionObjective


def align_to_teacher(y, t_classes, t_logits):
    """Sort the teacher's classes and check that every label in ``y`` is among them."""
    known = set(t_classes.tolist())
    missing = [c for c in np.unique(y).tolist() if c not in known]
    if missing:
        raise ValueError(
            f"y contains labels the teacher cannot produce: {missing}. The "
            f"teacher's classes are {t_classes.tolist()}. For a keras.Model "
            "teacher, name the label of each output with "
            "KerasTeacher(model, classes=[...])."
        )
    order = np.argsort(t_classes, kind="stable")
    if np.array_equal(order, np.arange(len(order))):
        # Sorted already (scikit-learn's classes_ are): no copy of the logits.
        return t_classes, t_logits
    return t_classes[order], t_logits[:, order]


def _as_columns(y):
    return y.reshape(len(y), -1)


def _transfer_logits(order, logits):
    """Packed targets of transfer rows from the teacher's logits on them."""
    from ..training._loss import pack_targets

    no_label = np.zeros(len(logits), dtype=np.float32)
    return pack_targets(no_label, no_label, np.asarray(logits)[:, order])


def _transfer_predictions(mean, scale, predictions):
    """Packed targets of transfer rows from the teacher's predictions on them."""
    from ..training._loss import pack_regression_targets

    predictions = _as_columns(np.asarray(predictions, dtype=np.float64))
    n_rows = len(predictions)
    return pack_regression_targets(
        np.zeros(predictions.shape, np.float32),
        np.zeros(n_rows, np.float32),
        (predictions - mean) / scale,
    )


def _packed_transfer(taught, pack, *settings):
    """The Dask transfer rows of ``taught``, packed by ``pack(*settings,
    outputs)`` as they are read, or None."""
    if taught.transfer is None:
        return None
    return taught.transfer.packed_by(functools.partial(pack, *settings))


def _teacher_order(taught):
    """The order of the teacher's output columns that sorts its classes."""
    if taught.classes is None:
        return None
    return np.argsort(taught.classes, kind="stable")


class ClassificationTask:
    """Soft targets from a teacher's logits, and Hinton et al.'s loss.

    Parameters
    ----------
    temperature, alpha, scale_soft_loss
        The estimator's parameters.
    """

    name = "classification"

    def __init__(self, *, temperature, alpha, scale_soft_loss):
        self.temperature = temperature
        self.alpha = alpha
        self.scale_soft_loss = scale_soft_loss
        self.classes = None

    def check_y(self, y):
        """``y`` as labels, checked."""
        check_classification_targets(y)
        return y

    def read_teacher(self, taught, y, n_rows):
        """The teacher's logits in the order of ``classes``, which it sets."""
        if taught.outputs is None:
            # No teacher's term (alpha=1): the classes of a fitted teacher
            # where it names them, else those of y.
            if taught.classes is None:
                self.classes = np.unique(y)
            else:
                self.classes, _ = align_to_teacher(
                    y, taught.classes, np.zeros((0, len(taught.classes)))
                )
            return np.zeros((n_rows, len(self.classes)), np.float32)
        self.classes, logits = align_to_teacher(y, taught.classes, taught.outputs)
        return logits

    def targets(self, fitter, y, weights, logits, taught):
        """What ``fitter``'s kind of student learns from."""
        y_index = np.searchsorted(self.classes, y)
        if not fitter.keras:
            index, target, fit_weights = classification_targets(
                fitter.student,
                logits,
                y_index,
                weights,
                self.classes,
                alpha=self.alpha,
                temperature=self.temperature,
            )
            return SklearnTargets(index, target, fit_weights)
        from ..training._loss import pack_targets

        n_rows, n_labeled = len(logits), len(y)
        labeled = np.zeros(n_rows, dtype=np.float32)
        labeled[:n_labeled] = 1.0
        packed_index = np.zeros(n_rows, dtype=np.float32)
        packed_index[:n_labeled] = y_index
        objective = ClassificationObjective(
            temperature=self.temperature,
            alpha=self.alpha,
            scale_soft_loss=self.scale_soft_loss,
            soft=taught.outputs is not None,
        )
        return KerasTargets(
            packed=pack_targets(packed_index, labeled, logits),
            weights=weights,
            n_labeled=n_labeled,
            task=self.name,
            n_outputs=len(self.classes),
            classes=self.classes,
            objective=objective,
            feature_stats=taught.feature_stats,
            transfer=_packed_transfer(taught, _transfer_logits, _teacher_order(taught)),
        )


class RegressionTask:
    """Blended targets from a teacher's predictions, and squared errors.

    A Keras student learns standardised targets (each column centred on the
    labels' mean and divided by their standard deviation, 1 for a constant
    column); ``mean`` and ``scale`` undo it.

    Parameters
    ----------
    alpha : float
        The estimator's parameter.
    """

    name = "regression"

    def __init__(self, *, alpha):
        self.alpha = alpha
        self.n_outputs = self.ndim = self.mean = self.scale = None

    def check_y(self, y):
        """``y`` as float64, its width, and the Keras student's target scale."""
        y = np.asarray(y, dtype=np.float64)
        columns = _as_columns(y)
        self.n_outputs, self.ndim = columns.shape[1], y.ndim
        scale = columns.std(axis=0)
        self.mean = columns.mean(axis=0)
        self.scale = np.where(scale > 0, scale, 1.0)
        return y

    def read_teacher(self, taught, y, n_rows):
        """The teacher's predictions, one column per target, or None."""
        if taught.outputs is None:
            return None
        predictions = np.asarray(taught.outputs, dtype=np.float64)
        if predictions.shape[1] != self.n_outputs:
            raise ValueError(
                f"The teacher predicts {predictions.shape[1]} targets but y has "
                f"{self.n_outputs}; a teacher for this y predicts one value per "
                "target column."
            )
        return predictions

    def targets(self, fitter, y, weights, predictions, taught):
        """What ``fitter``'s kind of student learns from."""
        if not fitter.keras:
            index, target, fit_weights = regression_targets(
                _as_columns(y), predictions, weights, alpha=self.alpha
            )
            if self.ndim == 1:
                target = target[:, 0]
            return SklearnTargets(index, target, fit_weights)
        from ..training._loss import pack_regression_targets

        n_labeled, n_rows = len(y), len(weights)
        labels = np.zeros((n_rows, self.n_outputs), np.float32)
        labels[:n_labeled] = (_as_columns(y) - self.mean) / self.scale
        labeled = np.zeros(n_rows, np.float32)
        labeled[:n_labeled] = 1.0
        if predictions is None:
            teacher = np.zeros_like(labels)
        else:
            teacher = (predictions - self.mean) / self.scale
        return KerasTargets(
            packed=pack_regression_targets(labels, labeled, teacher),
            weights=weights,
            n_labeled=n_labeled,
            task=self.name,
            n_outputs=self.n_outputs,
            classes=None,
            objective=RegressionObjective(
                alpha=self.alpha, soft=taught.outputs is not None
            ),
            feature_stats=taught.feature_stats,
            transfer=_packed_transfer(
                taught, _transfer_predictions, self.mean, self.scale
            ),
        )
