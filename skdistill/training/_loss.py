"""The distillation losses and their per-term metrics, written in ``keras.ops``.

For classification, targets reach the loss packed in one float32 array of
shape ``(n_samples, 2 + n_classes)``:

* column 0: the index of the true class (any value where the row is unlabeled),
* column 1: 1 for a labeled row, 0 for a transfer row that has no label,
* columns 2 onward: the teacher's logits, one per class.

For regression (:func:`pack_regression_targets`) the array has shape
``(n_samples, 2 + 2 * n_outputs)``: column 0 is 0, column 1 the labeled mask,
then the labels and the teacher's predictions, ``n_outputs`` columns each.

Packing keeps Keras's own ``fit`` loop, data adapters, callbacks and
``sample_weight`` handling unchanged, on every backend. The teacher's logits are
stored rather than its softened probabilities, so the same packed array serves
every temperature.

This module imports Keras; the estimators import it only inside ``fit``.
"""

import numpy as np

from ..utils._keras import import_keras

keras = import_keras()
ops = keras.ops


def pack_targets(y_index, labeled, teacher_logits):
    """Pack labels, the labeled mask and teacher logits into one array.

    Parameters
    ----------
    y_index : array-like of shape (n_samples,)
        Index of each row's class in ``classes_``; ignored where unlabeled.
    labeled : array-like of shape (n_samples,)
        1 for rows with a true label, 0 for transfer rows.
    teacher_logits : array-like of shape (n_samples, n_classes)
        The teacher's logits, columns aligned with ``classes_``.

    Returns
    -------
    packed : ndarray of shape (n_samples, 2 + n_classes), dtype float32
        The array that :class:`DistillationLoss` takes as ``y_true``.
    """
    teacher_logits = np.asarray(teacher_logits, dtype=np.float32)
    packed = np.empty(
        (teacher_logits.shape[0], 2 + teacher_logits.shape[1]), np.float32
    )
    packed[:, 0] = y_index
    packed[:, 1] = labeled
    packed[:, 2:] = teacher_logits
    return packed


def hard_term(y_packed, student_logits):
    """Per-sample cross-entropy with the true label (0 on unlabeled rows).

    Returns
    -------
    hard : tensor of shape (batch,)
        Cross-entropy with the true label; 0 on unlabeled rows.
    labeled : tensor of shape (batch,)
        The labeled mask.
    """
    y_packed = ops.cast(y_packed, student_logits.dtype)
    labeled = y_packed[:, 1]
    y_index = ops.cast(y_packed[:, 0] * labeled, "int32")
    hard = keras.losses.sparse_categorical_crossentropy(
        y_index, student_logits, from_logits=True
    )
    return hard * labeled, labeled


def soft_term(y_packed, student_logits, temperature, scale_soft_loss=True):
    """Per-sample ``KL(softmax(teacher / T) || softmax(student / T))``.

    Times ``T**2`` when ``scale_soft_loss``.
    """
    teacher_logits = ops.cast(y_packed[:, 2:], student_logits.dtype)
    temperature = ops.cast(temperature, student_logits.dtype)
    log_p_teacher = ops.log_softmax(teacher_logits / temperature, axis=-1)
    log_p_student = ops.log_softmax(student_logits / temperature, axis=-1)
    soft = ops.sum(ops.exp(log_p_teacher) * (log_p_teacher - log_p_student), axis=-1)
    if scale_soft_loss:
        soft = soft * (temperature**2)
    return soft


def distillation_terms(y_packed, student_logits, temperature, scale_soft_loss=True):
    """Per-sample hard and soft terms of the distillation loss.

    Parameters
    ----------
    y_packed : tensor of shape (batch, 2 + n_classes)
        Targets packed by :func:`pack_targets`.
    student_logits : tensor of shape (batch, n_classes)
        The student's logits.
    temperature : float
        Softening temperature ``T`` applied to both teacher and student logits.
    scale_soft_loss : bool, default=True
        Multiply the soft term by ``T**2`` (Hinton et al. 2015).

    Returns
    -------
    hard : tensor of shape (batch,)
        Cross-entropy with the true label; 0 on unlabeled rows.
    soft : tensor of shape (batch,)
        ``KL(softmax(teacher / T) || softmax(student / T))``, times ``T**2``
        when ``scale_soft_loss``.
    labeled : tensor of shape (batch,)
        The labeled mask.
    """
    hard, labeled = hard_term(y_packed, student_logits)
    soft = soft_term(y_packed, student_logits, temperature, scale_soft_loss)
    return hard, soft, labeled


class _Setting:
    """A loss setting: a Python float, mirrored in a non-trainable variable.

    The traced training step reads the variable, so a compiled model can be
    retrained with another value without being traced again (see
    ``skdistill._trainer``); ``value_`` keeps the exact float for configs.
    """

    def __init__(self, value, name):
        self.value_ = float(value)
        self.variable = keras.Variable(
            self.value_, trainable=False, dtype="float32", name=name
        )

    def set(self, value):
        self.value_ = float(value)
        self.variable.assign(self.value_)


@keras.saving.register_keras_serializable(package="skdistill")
class DistillationLoss(keras.losses.Loss):
    r"""Hinton et al.'s knowledge-distillation loss for a student's logits.

    Per sample,

    .. math::

        \ell = \alpha \, m \, \mathrm{CE}(y, z_s)
             + (1 - \alpha) \, c \, \mathrm{KL}\big(\mathrm{softmax}(z_t / T)
               \,\|\, \mathrm{softmax}(z_s / T)\big)

    where ``z_s`` and ``z_t`` are the student's and teacher's logits, ``m`` is 1
    on labeled rows and 0 on transfer rows, and ``c = T**2`` when
    ``scale_soft_loss`` else 1.

    Parameters
    ----------
    temperature : float, default=1.0
        Softening temperature ``T``.
    alpha : float, default=0.1
        Weight of the hard (true-label) term; ``1 - alpha`` weights the soft term.
    scale_soft_loss : bool, default=True
        Multiply the soft term by ``T**2``.
    name : str, default="distillation_loss"
        Name of the loss.
    reduction : str, default="sum_over_batch_size"
        Keras reduction.
    dtype : str, default=None
        Keras dtype policy for the loss computation.

    See Also
    --------
    pack_targets : Builds the ``y_true`` this loss expects.
    skdistill.DistilledClassifier : Trains a student with this loss.
    """

    def __init__(
        self,
        temperature=1.0,
        alpha=0.1,
        scale_soft_loss=True,
        name="distillation_loss",
        reduction="sum_over_batch_size",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self._temperature = _Setting(temperature, "temperature")
        self._alpha = _Setting(alpha, "alpha")
        self.scale_soft_loss = bool(scale_soft_loss)

    temperature = property(
        lambda self: self._temperature.value_,
        lambda self, value: self._temperature.set(value),
        doc="Softening temperature ``T``.",
    )
    alpha = property(
        lambda self: self._alpha.value_,
        lambda self, value: self._alpha.set(value),
        doc="Weight of the hard term.",
    )

    def call(self, y_true, y_pred):
        # A term of weight 0 is left out of the graph: the graph's structure
        # depends on whether alpha is 0, 1 or in between, its values do not.
        alpha = self.alpha
        alpha_t = ops.cast(self._alpha.variable, y_pred.dtype)
        loss = 0.0
        if alpha > 0:
            loss = alpha_t * hard_term(y_true, y_pred)[0]
        if alpha < 1:
            soft = soft_term(
                y_true, y_pred, self._temperature.variable, self.scale_soft_loss
            )
            loss = loss + (1.0 - alpha_t) * soft
        return loss

    def get_config(self):
        config = super().get_config()
        config.update(
            temperature=self.temperature,
            alpha=self.alpha,
            scale_soft_loss=self.scale_soft_loss,
        )
        return config


class _MaskedMean(keras.metrics.Metric):
    """Weighted mean of a per-sample quantity over the rows a mask selects."""

    def __init__(self, temperature, scale_soft_loss, name, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._temperature = _Setting(temperature, "temperature")
        self.scale_soft_loss = bool(scale_soft_loss)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    temperature = property(
        lambda self: self._temperature.value_,
        lambda self, value: self._temperature.set(value),
    )

    def _values_and_mask(self, y_packed, y_pred):
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.cast(y_pred, self.dtype)
        values, mask = self._values_and_mask(ops.cast(y_true, self.dtype), y_pred)
        if sample_weight is not None:
            mask = mask * ops.reshape(ops.cast(sample_weight, self.dtype), (-1,))
        self.total.assign_add(ops.sum(values * mask))
        self.count.assign_add(ops.sum(mask))

    def result(self):
        return ops.divide_no_nan(self.total, self.count)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)


class HardLoss(_MaskedMean):
    """Mean cross-entropy with the true labels, over labeled rows."""

    def _values_and_mask(self, y_packed, y_pred):
        return hard_term(y_packed, y_pred)


class SoftLoss(_MaskedMean):
    """Mean soft (distillation) term, over all rows."""

    def _values_and_mask(self, y_packed, y_pred):
        soft = soft_term(
            y_packed, y_pred, self._temperature.variable, self.scale_soft_loss
        )
        return soft, ops.ones_like(soft)


class LabeledAccuracy(_MaskedMean):
    """Accuracy of the student's argmax against the true labels, labeled rows."""

    def _values_and_mask(self, y_packed, y_pred):
        y_index = ops.cast(y_packed[:, 0], "int32")
        predicted = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        correct = ops.cast(ops.equal(predicted, y_index), self.dtype)
        return correct, y_packed[:, 1]


def training_metrics(temperature, scale_soft_loss, soft=True):
    """The metrics that ``DistilledClassifier.history_`` records each epoch.

    ``soft=False`` leaves out the soft term, which means nothing without a
    teacher.
    """
    metrics = [
        HardLoss(temperature, scale_soft_loss, name="hard_loss"),
        LabeledAccuracy(temperature, scale_soft_loss, name="accuracy"),
    ]
    if soft:
        metrics.insert(1, SoftLoss(temperature, scale_soft_loss, name="soft_loss"))
    return metrics


def pack_regression_targets(y, labeled, teacher_predictions):
    """Pack the labels, the labeled mask and the teacher's predictions.

    Parameters
    ----------
    y : array-like of shape (n_samples, n_outputs)
        The labels (any value where the row is unlabeled).
    labeled : array-like of shape (n_samples,)
        1 for rows with a label, 0 for transfer rows.
    teacher_predictions : array-like of shape (n_samples, n_outputs)
        The teacher's predictions.

    Returns
    -------
    packed : ndarray of shape (n_samples, 2 + 2 * n_outputs), dtype float32
        The array that :class:`RegressionDistillationLoss` takes as ``y_true``.
    """
    y = np.asarray(y, dtype=np.float32)
    n_rows, n_outputs = y.shape
    packed = np.zeros((n_rows, 2 + 2 * n_outputs), np.float32)
    packed[:, 1] = labeled
    packed[:, 2 : 2 + n_outputs] = y
    packed[:, 2 + n_outputs :] = teacher_predictions
    return packed


def regression_terms(y_packed, predictions):
    """Per-sample squared errors against the label and against the teacher.

    Returns
    -------
    hard : tensor of shape (batch,)
        Mean squared error with the label over the outputs; 0 on unlabeled
        rows.
    soft : tensor of shape (batch,)
        Mean squared error with the teacher's predictions.
    labeled : tensor of shape (batch,)
        The labeled mask.
    """
    n_outputs = predictions.shape[-1]
    y_packed = ops.cast(y_packed, predictions.dtype)
    labeled = y_packed[:, 1]
    y = y_packed[:, 2 : 2 + n_outputs]
    teacher = y_packed[:, 2 + n_outputs :]
    hard = ops.mean(ops.square(y - predictions), axis=-1) * labeled
    soft = ops.mean(ops.square(teacher - predictions), axis=-1)
    return hard, soft, labeled


@keras.saving.register_keras_serializable(package="skdistill")
class RegressionDistillationLoss(keras.losses.Loss):
    r"""The regression distillation loss for a student's predictions.

    Per sample,

    .. math::

        \ell = \alpha \, m \, \mathrm{MSE}(y, \hat y_s)
             + (1 - \alpha) \, \mathrm{MSE}(\hat y_t, \hat y_s)

    where ``m`` is 1 on labeled rows and 0 on transfer rows.

    Parameters
    ----------
    alpha : float, default=0.1
        Weight of the term against the labels.
    name : str, default="regression_distillation_loss"
        Name of the loss.
    reduction : str, default="sum_over_batch_size"
        Keras reduction.
    dtype : str, default=None
        Keras dtype policy for the loss computation.
    """

    def __init__(
        self,
        alpha=0.1,
        name="regression_distillation_loss",
        reduction="sum_over_batch_size",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self._alpha = _Setting(alpha, "alpha")

    alpha = property(
        lambda self: self._alpha.value_,
        lambda self, value: self._alpha.set(value),
        doc="Weight of the term against the labels.",
    )

    def call(self, y_true, y_pred):
        alpha = self.alpha
        alpha_t = ops.cast(self._alpha.variable, y_pred.dtype)
        hard, soft, _ = regression_terms(y_true, y_pred)
        loss = 0.0
        if alpha > 0:
            loss = alpha_t * hard
        if alpha < 1:
            loss = loss + (1.0 - alpha_t) * soft
        return loss

    def get_config(self):
        config = super().get_config()
        config.update(alpha=self.alpha)
        return config


class RegressionHardLoss(_MaskedMean):
    """Mean squared error with the labels, over labeled rows."""

    def _values_and_mask(self, y_packed, y_pred):
        hard, _, labeled = regression_terms(y_packed, y_pred)
        return hard, labeled


class RegressionSoftLoss(_MaskedMean):
    """Mean squared error with the teacher's predictions, over all rows."""

    def _values_and_mask(self, y_packed, y_pred):
        _, soft, _ = regression_terms(y_packed, y_pred)
        return soft, ops.ones_like(soft)


def regression_metrics(soft=True):
    """The metrics that ``DistilledRegressor.history_`` records each epoch."""
    metrics = [RegressionHardLoss(1.0, False, name="hard_loss")]
    if soft:
        metrics.append(RegressionSoftLoss(1.0, False, name="soft_loss"))
    return metrics
