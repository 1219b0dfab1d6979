"""Compiled training models, kept and reused across fits of the same shape.

Each Keras ``fit`` of a new model traces its training step into a TensorFlow
graph first, which for a small student can cost more than several epochs of
training (the performance page gives figures). A grid search over ``temperature`` and
``alpha`` fits the same architecture many times, so this module keeps the
compiled training model of a finished fit and, for the next fit with the same
structure, loads the new student's initial weights into it, resets the
optimizer and sets the loss's temperature and alpha, instead of tracing again.

Reuse is exact: the new student's initial weights and random-generator states
are copied in, the optimizer's variables are restored to their values before
the first step, and the trained weights are copied back to the new student,
which is what the estimator keeps. The graph reads ``temperature`` and
``alpha`` from variables; its structure depends only on the key below.

It is used on the TensorFlow backend only: JAX's compiled step takes the loss's
settings as constants, and PyTorch traces nothing.
"""

import copy
import functools
import itertools
import json
import threading
import warnings

import joblib
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..utils._keras import outputs_probabilities
from ..utils._keras_hooks import flatten_layers
from ..utils._lru import Bound, LRUCache, register_cache
from ._data import fit_arguments
from ._settings import make_optimizer
from ._stopping import early_stopping, grouped_passes, pass_log_class

MAX_TRAINERS = 4
MAX_BYTES = 256 * 2**20
# Training steps per call into the backend: per-step Python overhead otherwise
# dominates for small students. Keras's PyTorch trainer takes one only.
STEPS_PER_EXECUTION = 16
# A pass of at most this many steps runs as one call into the backend, over
# rows repeated without end: Keras then keeps one data iterator for the whole
# fit, and calls back once per epoch: starting an iterator per epoch can cost
# more than a short epoch's steps (the training guide gives figures). Longer
# passes keep calls of STEPS_PER_EXECUTION steps, so that a progress
# bar still moves within an epoch.
MAX_REPEATED_STEPS = 128
# batch_size="auto" is min(AUTO_BATCH_SIZE, rows), as in MLPClassifier.
AUTO_BATCH_SIZE = 200


class Trainer:
    """A compiled training model wrapping a student that this module owns."""

    def __init__(self, model, student, loss, metrics):
        self.model = model
        self.student = student
        self.loss = loss
        self.metrics = metrics
        optimizer = model.optimizer
        optimizer.build(model.trainable_variables)
        self._optimizer_start = [v.numpy() for v in optimizer.variables]
        self.nbytes = sum(
            int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize
            for v in [*model.variables, *optimizer.variables]
        ) + sum(a.nbytes for a in self._optimizer_start)

    def load(self, student, objective):
        """Start a fit: ``student``'s weights, a fresh optimizer, new settings."""
        for mine, theirs in zip(self.student.variables, student.variables, strict=True):
            mine.assign(theirs)
        for variable, value in zip(
            self.model.optimizer.variables, self._optimizer_start, strict=True
        ):
            variable.assign(value)
        objective.load(self.loss, self.metrics)

    def unload(self, student):
        """Copy the trained weights into ``student``."""
        for theirs, mine in zip(student.variables, self.student.variables, strict=True):
            theirs.assign(mine)


class TrainerCache:
    """Least-recently-used store of idle :class:`Trainer` objects.

    A trainer is taken out while a fit uses it and put back afterwards, so two
    threads never train the same one. At most ``max_trainers`` are kept, of at
    most ``max_bytes`` of variables (weights, optimizer state and its starting
    copy) in all; a larger one is not kept. :func:`skdistill.clear_caches`
    empties it.
    """

    def __init__(self, max_trainers=MAX_TRAINERS, max_bytes=MAX_BYTES):
        # Several idle trainers may share a structure: each is stored under
        # (structure key, serial number).
        self._idle = LRUCache(
            max_entries=max_trainers, max_bytes=max_bytes, sizeof=lambda t: t.nbytes
        )
        self._serial = itertools.count()
        self._lock = threading.Lock()
        self.reused = 0

    max_trainers = Bound("_idle", "max_entries")
    max_bytes = Bound("_idle", "max_bytes")

    def take(self, key):
        """An idle trainer for ``key``, removed from the cache, or None."""
        with self._lock:
            for entry, _ in reversed(self._idle.items()):
                if entry[0] == key:
                    self.reused += 1
                    return self._idle.pop(entry)
        return None

    def put(self, key, trainer):
        """Return ``trainer`` to the cache, dropping the least recently used."""
        self._idle.put((key, next(self._serial)), trainer)

    def clear(self):
        """Drop every idle trainer and reset the count of reuses."""
        with self._lock:
            self._idle.clear()
            self.reused = 0

    def __len__(self):
        return len(self._idle)


TRAINERS = register_cache(TrainerCache())


def structure_key(keras, student, **settings):
    """What a compiled training model's graph depends on, or None.

    Parameters
    ----------
    keras : module
        The Keras module.
    student : keras.Model
        The freshly built student.
    **settings
        Everything else the graph's structure depends on (optimizer config,
        batch size, steps per execution, loss variant, metrics, validation).

    Returns
    -------
    key : str or None
        ``None`` where reuse is not safe: a backend other than TensorFlow, or a
        student whose architecture cannot be serialised and cloned.
    """
    if keras.backend.backend() != "tensorflow":
        return None
    try:
        config = json.dumps(
            keras.saving.serialize_keras_object(student), sort_keys=True, default=repr
        )
    except Exception:  # noqa: BLE001 - subclassed models may not serialise
        return None
    # Keras numbers layer names per process (dense, dense_1, ...): name them by
    # position instead, so that two builds of one architecture match. Weights
    # given to constructors (a Normalization layer's mean) stay in the config,
    # so students that differ in them never share a graph.
    layers = flatten_layers(student)
    for position, layer in enumerate(layers):
        config = config.replace(json.dumps(layer.name), f'"layer #{position}"')
    variables = [(tuple(v.shape), str(v.dtype)) for v in student.variables]
    # The classes themselves, not their names: a class redefined under the
    # same name (in a notebook) must not reuse the old one's graph. A kept
    # trainer holds instances, so these ids cannot be recycled meanwhile.
    classes = [id(type(layer)) for layer in layers]
    return joblib.hash(
        (
            classes,
            config,
            variables,
            keras.config.floatx(),
            keras.config.dtype_policy().name,
            sorted(settings.items()),
        )
    )


def train_student(
    keras,
    student,
    rows,
    targets,
    weights,
    *,
    n_labeled,
    input_shape,
    objective,
    settings,
):
    """Train ``student`` in place with Keras's ``fit``; return the history.

    Parameters
    ----------
    keras : module
        The Keras module.
    student : keras.Model
        The freshly built student; its weights are trained.
    rows : ndarray, BlockReader or ClusterRows
        The training rows, labeled rows first, then transfer rows.
    targets : ndarray of shape (n_rows, n_packed)
        The packed targets the objective's loss reads.
    weights : ndarray of shape (n_rows,)
        Per-row weights.
    n_labeled : int
        How many of the first rows carry a label; the validation split
        (``validation_fraction``) is drawn from them.
    input_shape : tuple
        The shape of one row.
    objective : ClassificationObjective or RegressionObjective
        The loss and metrics, and their settings.
    settings : TrainingSettings
        Epochs, batches, optimizer, validation, stopping, callbacks.

    Returns
    -------
    history : dict of str to list of float
        Each epoch's (each pass's) loss and metrics, as ``History.history``.

    Raises
    ------
    ValueError
        When the loss or the trained weights are not finite.

    Notes
    -----
    The compiled training model is taken from, and returned to,
    :data:`TRAINERS` when one of the same structure exists, which saves
    tracing the training step again.

    Unless ``n_iter_no_change`` is None or ``callbacks`` hold an
    ``EarlyStopping`` of the user's, training stops early (see
    :func:`skdistill.training._stopping.early_stopping`); a fit that runs all
    ``epochs`` without meeting that test warns with a ``ConvergenceWarning``,
    as ``MLPClassifier`` does.
    """
    data, validation_data, batch_size, steps_per_epoch, steps_per_execution = (
        _keras_data(keras, rows, targets, weights, n_labeled, settings)
    )
    optimizer = make_optimizer(keras, settings.optimizer, settings.learning_rate)
    structure = dict(
        batch_size=batch_size,
        steps_per_execution=steps_per_execution,
        validation=validation_data is not None,
        input_shape=tuple(input_shape),
        **objective.structure(),
    )
    trainer, key = _take_trainer(keras, student, optimizer, objective, structure)
    callbacks, stopper, data, fit_epochs, log = _fit_callbacks(
        keras, settings, data, validation_data, steps_per_epoch
    )
    history = trainer.model.fit(
        **data,
        validation_data=validation_data,
        epochs=fit_epochs,
        callbacks=callbacks,
        verbose=int(settings.verbose),
    )
    if trainer.student is not student:
        trainer.unload(student)
    if key is not None:
        TRAINERS.put(key, trainer)
    history = dict(log.history if log is not None else history.history)
    check_finite_training(student, history)
    if stopper is not None and stopper.stopped_epoch is None:
        warnings.warn(
            f"The student's training ran all epochs={int(settings.epochs)} and "
            f"the {stopper.monitor} was still improving by at least "
            f"tol={settings.tol} in the last "
            f"n_iter_no_change={settings.n_iter_no_change} epochs. Raise "
            "epochs to train it to convergence.",
            ConvergenceWarning,
            stacklevel=5,
        )
    return history


def _keras_data(keras, rows, targets, weights, n_labeled, settings):
    """Keras ``fit``'s data, its batch size, steps per epoch and per call."""
    batch_size = settings.batch_size
    if batch_size == "auto":
        batch_size = min(AUTO_BATCH_SIZE, len(rows))
    batch_size = int(batch_size)
    data, validation_data, n_fit_rows = fit_arguments(
        rows,
        targets,
        weights,
        n_labeled=n_labeled,
        batch_size=batch_size,
        validation_fraction=settings.validation_fraction,
        seed=settings.seed,
        max_repeated_steps=MAX_REPEATED_STEPS,
    )
    steps_per_epoch = -(-n_fit_rows // batch_size)
    # Repeated rows: one call per pass, so that each call ends on a pass.
    steps_per_execution = data.get(
        "steps_per_epoch", min(STEPS_PER_EXECUTION, steps_per_epoch)
    )
    if keras.backend.backend() == "torch":
        steps_per_execution = 1
    return data, validation_data, batch_size, steps_per_epoch, steps_per_execution


def check_finite_training(student, history):
    """Raise a ValueError if the training loss or the weights are not finite."""
    losses = np.asarray(history.get("loss", []), dtype=np.float64)
    bad_epochs = np.flatnonzero(~np.isfinite(losses))
    weights_finite = all(np.all(np.isfinite(w)) for w in student.get_weights())
    if weights_finite and len(bad_epochs) == 0:
        return
    when = f" from epoch {bad_epochs[0] + 1}" if len(bad_epochs) else ""
    raise ValueError(
        "The student's training produced non-finite weights or loss (NaN or "
        f"infinity){when}: the model cannot predict. The input data may contain "
        "large values and need to be preprocessed: scale the features "
        "(MLPStudent(standardize=True), or a StandardScaler before the "
        "estimator in a Pipeline), or lower learning_rate."
    )


def _take_trainer(keras, student, optimizer, objective, structure):
    """A compiled training model for ``student``, reused where one is idle.

    Returns
    -------
    trainer : Trainer
        Loaded with ``student``'s initial weights and the objective's settings.
    key : str or None
        Its structure key, under which it goes back to :data:`TRAINERS`.
    """
    key = structure_key(
        keras,
        student,
        optimizer=(
            type(optimizer).__qualname__,
            # Keras numbers optimizer names too (adam, adam_1, ...).
            joblib.hash(
                {k: v for k, v in optimizer.get_config().items() if k != "name"}
            ),
        ),
        **structure,
    )
    trainer = TRAINERS.take(key) if key is not None else None
    if trainer is None:
        # A student of the cache's own when it will be kept for reuse.
        owned = student if key is None else _clone_or_none(keras, student)
        if owned is None:
            owned, key = student, None
        trainer = _new_trainer(
            keras,
            owned,
            optimizer,
            structure["input_shape"],
            steps_per_execution=structure["steps_per_execution"],
            objective=objective,
        )
    if trainer.student is not student:
        trainer.load(student, objective)
    return trainer, key


def _fit_callbacks(keras, settings, data, validation_data, steps_per_epoch):
    """Callbacks, stopping rule, data and epochs for Keras's ``fit``.

    Returns
    -------
    callbacks : list
        Copies of the user's, then the stopping rule or pass log, then a
        progress bar.
    stopper : callback or None
        The built-in stopping rule.
    data : dict
        ``data`` with ``steps_per_epoch`` covering grouped passes.
    fit_epochs : int
        Keras epochs to run.
    log : callback or None
        The pass log when passes are grouped.
    """
    callbacks = [copy.deepcopy(c) for c in settings.callbacks or ()]
    stopper = early_stopping(
        keras,
        callbacks,
        settings.n_iter_no_change,
        settings.tol,
        validation=validation_data is not None,
    )
    passes = grouped_passes(
        data, validation_data, callbacks, settings.verbose, settings.epochs
    )
    log = None
    if passes is not None:
        # Several passes per Keras epoch; each pass's figures and the
        # stopping rule come from the pass log instead of Keras's epochs.
        log = pass_log_class(keras)(int(settings.epochs), stopper)
        callbacks.append(log)
        data = {**data, "steps_per_epoch": passes * data["steps_per_epoch"]}
        fit_epochs = -(-int(settings.epochs) // passes)
    else:
        fit_epochs = int(settings.epochs)
        if stopper is not None:
            callbacks.append(stopper)
    if int(settings.verbose) == 1 and not any(
        isinstance(c, keras.callbacks.ProgbarLogger) for c in callbacks
    ):
        callbacks.append(_step_progbar_class(keras)(steps_per_epoch))
    return callbacks, stopper, data, fit_epochs, log


@functools.cache
def _step_progbar_class(keras):
    class StepProgbarLogger(keras.callbacks.ProgbarLogger):
        """Keras's progress bar, counting up to the epoch's true steps.

        Keras reports the last step of each execution of steps_per_execution
        steps, counted as if every execution were full: 38 steps run as
        16 + 16 + 6 are reported as steps 16, 32 and 48, and its bar shows
        48/38.
        """

        async_safe = True  # as Keras's own, which this replaces

        def __init__(self, steps_per_epoch):
            super().__init__()
            self.steps_per_epoch = steps_per_epoch

        def set_params(self, params):
            super().set_params(params)
            if self.target is None:
                self.target = self.steps_per_epoch

        def on_train_batch_end(self, batch, logs=None):
            super().on_train_batch_end(min(batch, self.target - 1), logs)

    return StepProgbarLogger


def _new_trainer(
    keras, student, optimizer, input_shape, *, steps_per_execution, objective
):
    # The student stays uncompiled (clean to save or serve); a thin
    # functional wrapper sharing its layers carries the loss.
    inputs = keras.Input(shape=tuple(input_shape))
    outputs = student(inputs)
    if objective.outputs_log_probabilities and outputs_probabilities(student):
        outputs = keras.ops.log(keras.ops.clip(outputs, 1e-12, 1.0))
    train_model = keras.Model(inputs, outputs)
    loss, metrics = objective.build()
    train_model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=metrics,
        steps_per_execution=steps_per_execution,
    )
    return Trainer(train_model, student, loss, metrics)


def _clone_or_none(keras, model):
    """A fresh copy of ``model``'s architecture, or None where it cannot be made."""
    try:
        return keras.models.clone_model(model)
    except Exception:  # noqa: BLE001 - any failure means: do not reuse
        return None
