"""Compiled training models, kept and reused across fits of the same shape.

Each Keras ``fit`` of a new model traces its training step into a TensorFlow
graph first: about a second on 2 CPU cores for the notebook's student, more
than one epoch over 6,000 images. A grid search over ``temperature`` and
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

from ._keras import outputs_probabilities
from ._keras_hooks import flatten_layers
from ._lru import Bound, LRUCache
from ._training_set import fit_arguments

MAX_TRAINERS = 4
MAX_BYTES = 256 * 2**20
# Training steps per call into the backend: per-step Python overhead otherwise
# dominates for small students. Keras's PyTorch trainer takes one only.
STEPS_PER_EXECUTION = 16
# A pass of at most this many steps runs as one call into the backend, over
# rows repeated without end: Keras then keeps one data iterator for the whole
# fit, and calls back once per epoch. Starting an iterator per epoch cost more
# than a 3-step epoch's steps, and 99-step epochs ran a third faster as one
# call than as calls of 16 steps (on 2 CPU cores; see the training guide).
# Longer passes keep calls of STEPS_PER_EXECUTION steps, so that a progress
# bar still moves within an epoch.
MAX_REPEATED_STEPS = 128
# batch_size="auto" is min(AUTO_BATCH_SIZE, rows), as in MLPClassifier.
AUTO_BATCH_SIZE = 200
# Passes per Keras epoch, at most, when passes are grouped (see
# _grouped_passes): Keras's work at each epoch's start and end (resetting and
# reading every metric) cost more than a short pass's steps.
MAX_PASSES_PER_EPOCH = 32
#: The estimator's parameters that train_student takes by the same names.
TRAINING_SETTINGS = (
    "temperature",
    "alpha",
    "scale_soft_loss",
    "epochs",
    "batch_size",
    "optimizer",
    "learning_rate",
    "validation_fraction",
    "n_iter_no_change",
    "tol",
    "callbacks",
    "verbose",
)


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

    def load(self, student, temperature, alpha):
        """Start a fit: ``student``'s weights, a fresh optimizer, new settings."""
        for mine, theirs in zip(self.student.variables, student.variables, strict=True):
            mine.assign(theirs)
        for variable, value in zip(
            self.model.optimizer.variables, self._optimizer_start, strict=True
        ):
            variable.assign(value)
        self.loss.temperature = temperature
        self.loss.alpha = alpha
        for metric in self.metrics:
            metric.temperature = temperature

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


TRAINERS = TrainerCache()


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


def check_training_settings(callbacks, optimizer, learning_rate, *, keras=True):
    """Check ``callbacks`` and ``optimizer``; with ``keras=False``, load no Keras.

    Raises
    ------
    TypeError
        For callbacks that are not a list of ``keras.callbacks.Callback``, or an
        optimizer that is neither a name nor an optimizer.
    ValueError
        For an optimizer name Keras does not know.
    """
    if callbacks is not None and not isinstance(callbacks, (list, tuple)):
        raise TypeError(
            "callbacks must be None or a list of keras.callbacks.Callback; got "
            f"{type(callbacks).__name__}."
        )
    if not keras:
        return
    from ._keras import import_keras

    keras = import_keras()
    for callback in callbacks or ():
        if not isinstance(callback, keras.callbacks.Callback):
            raise TypeError(
                "callbacks must be None or a list of keras.callbacks.Callback; "
                f"got a {type(callback).__name__} in the list."
            )
    make_optimizer(keras, optimizer, learning_rate)


def make_optimizer(keras, optimizer, learning_rate):
    """A new optimizer from a name or an instance's config, at ``learning_rate``.

    Raises
    ------
    ValueError
        For a name Keras does not know.
    TypeError
        For anything but a name or a ``keras.optimizers.Optimizer``.
    """
    if isinstance(optimizer, str):
        try:
            optimizer = keras.optimizers.get(optimizer)
        except ValueError as exc:
            raise ValueError(
                f"optimizer={optimizer!r} is not a Keras optimizer name; use one "
                "such as 'adam', 'sgd' or 'rmsprop', or an instance of "
                "keras.optimizers.Optimizer."
            ) from exc
    elif not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(
            "optimizer must be a Keras optimizer name or a "
            f"keras.optimizers.Optimizer instance; got {type(optimizer).__name__}."
        )
    config = optimizer.get_config()
    if learning_rate is not None:
        config["learning_rate"] = float(learning_rate)
    return type(optimizer).from_config(config)


def loss_terms(alpha):
    """Which terms of the loss have weight: "hard only", "soft only" or "both"."""
    return {0: "soft only", 1: "hard only"}.get(alpha, "both")


def train_student(
    keras,
    student,
    rows,
    targets,
    weights,
    *,
    n_labeled,
    input_shape,
    soft,
    temperature,
    alpha,
    scale_soft_loss,
    epochs,
    batch_size,
    optimizer,
    learning_rate,
    validation_fraction,
    n_iter_no_change,
    tol,
    callbacks,
    verbose,
    seed,
):
    """Train ``student`` in place with Keras's ``fit``; return the History.

    Parameters
    ----------
    keras : module
        The Keras module.
    student : keras.Model
        The freshly built student; its weights are trained.
    rows : ndarray or BlockReader
        The training rows, labeled rows first, then transfer rows.
    targets : ndarray of shape (n_rows, 2 + n_classes)
        The packed targets (see :func:`skdistill._loss.pack_targets`).
    weights : ndarray of shape (n_rows,)
        Per-row weights.
    n_labeled : int
        How many of the first rows carry a label; the validation split
        (``validation_fraction``) is drawn from them.
    input_shape : tuple
        The shape of one row.
    soft : bool
        Whether the targets hold a teacher's logits (the soft term's metric
        is recorded only then).
    temperature, alpha, scale_soft_loss
        The loss's settings (see :class:`skdistill._loss.DistillationLoss`).
    epochs, batch_size, optimizer, learning_rate, validation_fraction, \
n_iter_no_change, tol, callbacks, verbose
        As the estimator's parameters of the same names.
    seed : int or None
        Seeds shuffling, the validation split and trimming.

    Returns
    -------
    history : dict of str to list of float
        Each epoch's (each pass's) loss and metrics, as ``History.history``.

    Notes
    -----
    The compiled training model is taken from, and returned to,
    :data:`TRAINERS` when one of the same structure exists, which saves
    tracing the training step again.

    Unless ``n_iter_no_change`` is None or ``callbacks`` hold an
    ``EarlyStopping`` of the user's, training stops early (see
    :func:`_early_stopping`); a fit that runs all ``epochs`` without meeting
    that test warns with a ``ConvergenceWarning``, as ``MLPClassifier`` does.
    """
    if batch_size == "auto":
        batch_size = min(AUTO_BATCH_SIZE, len(targets))
    batch_size = int(batch_size)
    data, validation_data, n_fit_rows = fit_arguments(
        rows,
        targets,
        weights,
        n_labeled=n_labeled,
        batch_size=batch_size,
        validation_fraction=validation_fraction,
        seed=seed,
        max_repeated_steps=MAX_REPEATED_STEPS,
    )
    steps_per_epoch = -(-n_fit_rows // batch_size)
    # Repeated rows: one call per pass, so that each call ends on a pass.
    steps_per_execution = data.get(
        "steps_per_epoch", min(STEPS_PER_EXECUTION, steps_per_epoch)
    )
    if keras.backend.backend() == "torch":
        steps_per_execution = 1
    optimizer = make_optimizer(keras, optimizer, learning_rate)
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
        batch_size=batch_size,
        steps_per_execution=steps_per_execution,
        scale_soft_loss=bool(scale_soft_loss),
        # The loss leaves out a term of weight 0: alpha's value is a
        # variable, whether it is 0, 1 or in between is structure.
        alpha_kind=loss_terms(alpha),
        soft=soft,
        validation=validation_data is not None,
        input_shape=tuple(input_shape),
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
            input_shape,
            steps_per_execution=steps_per_execution,
            soft=soft,
            temperature=temperature,
            alpha=alpha,
            scale_soft_loss=scale_soft_loss,
        )
    if trainer.student is not student:
        trainer.load(student, temperature, alpha)
    callbacks = [copy.deepcopy(c) for c in callbacks or ()]
    stopper = _early_stopping(
        keras, callbacks, n_iter_no_change, tol, validation=validation_data is not None
    )
    passes = _grouped_passes(data, validation_data, callbacks, verbose, epochs)
    if passes is not None:
        # Several passes per Keras epoch; each pass's figures and the
        # stopping rule come from the pass log instead of Keras's epochs.
        log = _pass_log_class(keras)(int(epochs), stopper)
        callbacks.append(log)
        data = {**data, "steps_per_epoch": passes * data["steps_per_epoch"]}
        fit_epochs = -(-int(epochs) // passes)
    else:
        fit_epochs = int(epochs)
        if stopper is not None:
            callbacks.append(stopper)
    if int(verbose) == 1 and not any(
        isinstance(c, keras.callbacks.ProgbarLogger) for c in callbacks
    ):
        # Keras reports the last step of each execution of steps_per_execution
        # steps, counted as if every execution were full: 38 steps run as
        # 16 + 16 + 6 are reported as steps 16, 32 and 48, and the bar shows
        # 48/38. This bar counts up to the epoch's true number of steps.
        class StepProgbarLogger(keras.callbacks.ProgbarLogger):
            async_safe = True  # as Keras's own, which this replaces

            def set_params(self, params):
                super().set_params(params)
                if self.target is None:
                    self.target = steps_per_epoch

            def on_train_batch_end(self, batch, logs=None):
                super().on_train_batch_end(min(batch, self.target - 1), logs)

        callbacks.append(StepProgbarLogger())
    history = trainer.model.fit(
        **data,
        validation_data=validation_data,
        epochs=fit_epochs,
        callbacks=callbacks,
        verbose=int(verbose),
    )
    if trainer.student is not student:
        trainer.unload(student)
    if key is not None:
        TRAINERS.put(key, trainer)
    history = dict(log.history if passes is not None else history.history)
    if stopper is not None and stopper.stopped_epoch is None:
        warnings.warn(
            f"The student's training ran all epochs={int(epochs)} and the "
            f"{stopper.monitor} was still improving by at least tol={tol} in "
            f"the last n_iter_no_change={n_iter_no_change} epochs. Raise "
            "epochs to train it to convergence.",
            ConvergenceWarning,
            stacklevel=5,
        )
    return history


def _grouped_passes(data, validation_data, callbacks, verbose, epochs):
    """Passes per Keras epoch when short passes are grouped, or None.

    Rows repeated without end (short passes on TensorFlow) can run several
    passes per Keras epoch, which saves Keras's per-epoch work: 200 passes
    of 3 steps spent more time resetting and reading metrics than in the
    steps. Each pass is still one call into the backend, so the pass log
    (:func:`_pass_log_class`) reads each pass's figures at its end and the
    stopping rule still acts pass by pass. Only when nothing else watches the
    epochs: no held-out rows, no callbacks of the user's, no progress output.
    """
    if (
        "steps_per_epoch" not in data
        or validation_data is not None
        or callbacks
        or int(verbose)
    ):
        return None
    return max(1, min(MAX_PASSES_PER_EPOCH, int(epochs)))


@functools.cache
def _pass_log_class(keras):
    class PassLog(keras.callbacks.Callback):
        """Each pass's loss and metrics, when a Keras epoch holds several.

        Keras's logs after a pass are means since the epoch began, over equal
        amounts of data per pass (every row once), so a pass's own mean is
        ``j * mean_j - (j - 1) * mean_{j - 1}`` for the epoch's j-th pass. The
        pass's figures go to ``history`` and to the stopping rule; training
        stops after ``max_passes`` passes.
        """

        def __init__(self, max_passes, stopper):
            super().__init__()
            self.max_passes = max_passes
            self.stopper = stopper

        def on_train_begin(self, logs=None):
            self.history = {}
            self.passes = 0
            if self.stopper is not None:
                self.stopper.set_model(self.model)
                self.stopper.on_train_begin()

        def on_epoch_begin(self, epoch, logs=None):
            self.in_epoch = 0
            self.means = {}

        def on_train_batch_end(self, batch, logs=None):
            j = self.in_epoch = self.in_epoch + 1
            means = {name: float(value) for name, value in (logs or {}).items()}
            figures = {
                name: j * mean - (j - 1) * self.means.get(name, 0.0)
                for name, mean in means.items()
            }
            self.means = means
            for name, value in figures.items():
                self.history.setdefault(name, []).append(value)
            if self.stopper is not None:
                self.stopper.on_epoch_end(self.passes, figures)
            self.passes += 1
            if self.passes >= self.max_passes:
                self.model.stop_training = True

        def on_train_end(self, logs=None):
            if self.stopper is not None:
                self.stopper.on_train_end()

    return PassLog


def _early_stopping(keras, callbacks, n_iter_no_change, tol, *, validation):
    """The early-stopping callback that ``fit`` adds, or None.

    ``MLPClassifier``'s rule: an epoch whose loss is not below the best so far
    by at least ``tol`` counts against the fit, an epoch that is resets the
    count, and training stops once more than ``n_iter_no_change`` epochs in a
    row have counted. The best loss follows every decrease, however small,
    so a loss that creeps down by less than ``tol`` an epoch stops the fit
    (Keras's ``EarlyStopping`` would wait for the decreases to add up to its
    ``min_delta``). The loss is the held-out one when there is a validation
    split, and the best epoch's weights are then restored at the end; else it
    is the training loss. None when ``n_iter_no_change`` is None or the
    user's ``callbacks`` stop early themselves.
    """
    if n_iter_no_change is None or any(
        isinstance(c, keras.callbacks.EarlyStopping) for c in callbacks
    ):
        return None
    return _stopping_class(keras)(
        monitor="val_loss" if validation else "loss",
        n_iter_no_change=int(n_iter_no_change),
        tol=float(tol),
        restore_best_weights=validation,
    )


@functools.cache
def _stopping_class(keras):
    class ConvergenceStopping(keras.callbacks.Callback):
        """Stop as ``MLPClassifier`` does (see :func:`_early_stopping`)."""

        def __init__(self, monitor, n_iter_no_change, tol, restore_best_weights):
            super().__init__()
            self.monitor = monitor
            self.n_iter_no_change = n_iter_no_change
            self.tol = tol
            self.restore_best_weights = restore_best_weights

        def on_train_begin(self, logs=None):
            self.best = np.inf
            self.best_weights = None
            self.no_improvement = 0
            self.stopped_epoch = None

        def on_epoch_end(self, epoch, logs=None):
            current = (logs or {}).get(self.monitor)
            if current is None:
                return
            if current > self.best - self.tol:
                self.no_improvement += 1
            else:
                self.no_improvement = 0
            if current < self.best:
                self.best = current
                if self.restore_best_weights:
                    self.best_weights = self.model.get_weights()
            if self.no_improvement > self.n_iter_no_change:
                self.stopped_epoch = epoch
                self.model.stop_training = True

        def on_train_end(self, logs=None):
            if self.best_weights is not None:
                self.model.set_weights(self.best_weights)

    return ConvergenceStopping


def _new_trainer(
    keras,
    student,
    optimizer,
    input_shape,
    *,
    steps_per_execution,
    soft,
    temperature,
    alpha,
    scale_soft_loss,
):
    from ._loss import DistillationLoss, training_metrics

    # The student stays uncompiled (clean to save or serve); a thin
    # functional wrapper sharing its layers carries the loss.
    inputs = keras.Input(shape=tuple(input_shape))
    outputs = student(inputs)
    if outputs_probabilities(student):
        outputs = keras.ops.log(keras.ops.clip(outputs, 1e-12, 1.0))
    train_model = keras.Model(inputs, outputs)
    loss = DistillationLoss(temperature, alpha, scale_soft_loss)
    metrics = training_metrics(temperature, scale_soft_loss, soft=soft)
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
