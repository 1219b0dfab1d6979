"""The two kinds of student, each behind one object that fits and predicts.

:func:`student_fitter` looks at the ``student`` parameter once: a scikit-learn
estimator gets a :class:`SklearnStudentFitter`, anything else (a builder, a
``keras.Model`` template, None) a :class:`KerasStudentFitter`. The estimator
then asks the fitter, never the parameter, how to seed, fit and predict.
"""

import contextlib
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.multioutput import MultiOutputRegressor
from sklearn.utils import get_tags

from ..training._settings import check_training_settings
from ..training._trainer import train_student
from ..utils._cluster_rows import ClusterRows
from ..utils._frames import take_rows
from ..utils._keras import ForwardPass, import_keras, keras_seed
from ..utils._outofcore import BlockReader, map_blocks
from ..utils._weights import takes_sample_weight, weight_arguments
from ._builders import build_student, student_meta
from ._sklearn import check_sklearn_student, is_sklearn_student


@dataclass(frozen=True)
class KerasTargets:
    """What a Keras student learns from.

    Attributes
    ----------
    packed : ndarray of shape (n_rows, n_packed)
        The packed targets ``objective``'s loss reads.
    weights : ndarray of shape (n_rows,)
        Per-row weights.
    n_labeled : int
        How many of the first rows carry a label.
    task : {"classification", "regression"}
    n_outputs : int
        The width of the student's last layer.
    classes : ndarray or None
        The labels, in output order (classification).
    objective : ClassificationObjective or RegressionObjective
        The loss and its settings.
    feature_stats : tuple or None
        The rows' per-feature (mean, std) where a pass took them already.
    transfer : LabelledPartitions or None
        Transfer rows labelled on a Dask cluster, packed partition by
        partition as they are read; ``packed`` and ``weights`` then cover the
        labeled rows only.
    """

    packed: np.ndarray
    weights: np.ndarray
    n_labeled: int
    task: str
    n_outputs: int
    classes: object
    objective: object
    feature_stats: object = None
    transfer: object = None


@dataclass(frozen=True)
class SklearnTargets:
    """What a scikit-learn student fits on.

    Attributes
    ----------
    index : ndarray of shape (n_fit,) or None
        The training row of each fitted row (soft-label expansion repeats
        rows); None fits every row once, in order.
    target : ndarray of shape (n_fit,) or (n_fit, n_outputs)
        What the student learns.
    weights : ndarray of shape (n_fit,)
        Sample weights.
    """

    index: object
    target: np.ndarray
    weights: np.ndarray


class KerasStudentFitter:
    """A Keras student: built fresh at each fit and trained on a Keras loss.

    Parameters
    ----------
    student : None, callable or keras.Model
        The estimator's ``student`` parameter.
    """

    keras = True

    def __init__(self, student):
        # A keras.Model is callable too.
        if student is not None and not callable(student):
            raise TypeError(
                "student must be None, an unfitted scikit-learn estimator, a "
                "callable that returns a keras.Model (a builder), or a "
                "keras.Model to use as a template; got "
                f"{type(student).__name__}."
            )
        self.student = student

    def check_settings(self, callbacks, optimizer, learning_rate):
        """Check the training settings that only a Keras student uses."""
        check_training_settings(callbacks, optimizer, learning_rate, keras=True)

    def seeded(self, seed):
        """A context in which Keras's random generators follow ``seed``."""
        return keras_seed(seed)

    def fit(self, rows, targets, *, input_shape, n_features_in, settings):
        """Build a fresh student and train it; return it and its history.

        Parameters
        ----------
        rows : ndarray or BlockReader
            Every training row, labeled rows first (only the labeled rows
            where ``targets.transfer`` holds the others, on a Dask cluster,
            which are released from it once trained on).
        targets : KerasTargets
            What it learns from, and the loss.
        input_shape : tuple
            The shape of one row.
        n_features_in : int
            ``X.shape[1]``, as scikit-learn counts features.
        settings : TrainingSettings
            The training settings.

        Returns
        -------
        model : keras.Model
            The trained student.
        history : dict of str to list of float
        """
        if targets.transfer is not None:
            rows = ClusterRows(rows, targets.transfer)
        try:
            return self._train(rows, targets, input_shape, n_features_in, settings)
        finally:
            if targets.transfer is not None:
                targets.transfer.release()

    def _train(self, rows, targets, input_shape, n_features_in, settings):
        meta = student_meta(
            rows,
            task=targets.task,
            n_outputs=targets.n_outputs,
            classes=targets.classes,
            input_shape=input_shape,
            n_features_in=n_features_in,
            feature_stats=targets.feature_stats,
        )
        model = build_student(self.student, meta)
        history = train_student(
            import_keras(),
            model,
            rows,
            targets.packed,
            targets.weights,
            n_labeled=targets.n_labeled,
            input_shape=input_shape,
            objective=targets.objective,
            settings=settings,
        )
        history = {name: [float(v) for v in values] for name, values in history.items()}
        return model, history

    @staticmethod
    def forward_pass():
        """What a fitted estimator keeps to run the student's forward pass."""
        return ForwardPass()

    @staticmethod
    def outputs(model, X, *, source, forward, batch_size):
        """The student's outputs (logits or predictions) on ``X``.

        ``source`` is what the user passed: a memory-mapped array is read
        a block at a time rather than whole.
        """
        run = (forward or ForwardPass())(model, int(batch_size))
        if source is not None:
            return map_blocks(BlockReader([source], ["X"]), run)
        return run(X)


class SklearnStudentFitter:
    """A scikit-learn student: cloned and fitted on targets its ``fit`` takes.

    Parameters
    ----------
    student : estimator
        The estimator's ``student`` parameter, unfitted.
    task : {"classification", "regression"}
        What it is distilled for.
    """

    keras = False

    def __init__(self, student, task):
        check_sklearn_student(student, task)
        self.student = student

    def check_settings(self, callbacks, optimizer, learning_rate):
        """Keras's settings are not used; only their container types are checked."""
        check_training_settings(callbacks, optimizer, learning_rate, keras=False)

    def seeded(self, seed):
        """No Keras generators to seed."""
        return contextlib.nullcontext()

    def fit(self, rows, targets, *, input_shape, n_features_in, settings):
        """Fit a clone of the student on ``targets``; return it (and no history).

        Parameters
        ----------
        rows : ndarray, sparse matrix or DataFrame of shape (n_rows, n_features)
            Every training row, as the student reads it.
        targets : SklearnTargets
            What it fits on.
        input_shape, n_features_in
            Unused: a scikit-learn student takes the rows as they are.
        settings : TrainingSettings
            Only its ``seed`` is used: given to the student as
            ``random_state`` where it has that parameter and it is None.

        Returns
        -------
        student : estimator
            The fitted clone.
        history : None
        """
        student = clone(self.student)
        seed = settings.seed
        if seed is not None and student.get_params().get("random_state", 0) is None:
            student.set_params(random_state=seed)
        X = rows if targets.index is None else take_rows(rows, targets.index)
        target, weights = targets.target, targets.weights
        if target.ndim == 2 and not get_tags(student).target_tags.multi_output:
            student = MultiOutputRegressor(student)
        if takes_sample_weight(student):
            return student.fit(X, target, **weight_arguments(student, weights)), None
        if not np.allclose(weights, weights[0] if len(weights) else 1.0):
            raise ValueError(
                f"student {type(self.student).__name__}'s fit takes no "
                "sample_weight, but the rows it would learn from are weighted "
                "(by sample_weight, or by 1 - alpha on transfer rows): the "
                "weights would be ignored. Use a regressor whose fit takes "
                "sample_weight, alpha=0 without sample_weight, or a Keras "
                "student (MLPStudent())."
            )
        return student.fit(X, target), None


def student_fitter(student, task):
    """The fitter for ``student``'s kind, checked for ``task``.

    Raises
    ------
    TypeError
        For a student of neither kind, or a scikit-learn student that cannot
        learn ``task``'s targets.
    """
    if is_sklearn_student(student):
        return SklearnStudentFitter(student, task)
    return KerasStudentFitter(student)
