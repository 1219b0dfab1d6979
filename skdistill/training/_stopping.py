"""When a Keras student's training stops: MLPClassifier's rule, pass by pass.

:func:`early_stopping` gives the callback that stops a fit as
``MLPClassifier`` does; :func:`grouped_passes` and :func:`pass_log_class` let
several short passes run in one Keras epoch while the rule and ``history_``
still see each pass on its own.
"""

import functools

import numpy as np

# Passes per Keras epoch, at most, when passes are grouped (see
# grouped_passes): Keras's work at each epoch's start and end (resetting and
# reading every metric) cost more than a short pass's steps.
MAX_PASSES_PER_EPOCH = 32


def grouped_passes(data, validation_data, callbacks, verbose, epochs):
    """Passes per Keras epoch when short passes are grouped, or None.

    Rows repeated without end (short passes on TensorFlow) can run several
    passes per Keras epoch, which saves Keras's per-epoch work: 200 passes
    of 3 steps spent more time resetting and reading metrics than in the
    steps. Each pass is still one call into the backend, so the pass log
    (:func:`pass_log_class`) reads each pass's figures at its end and the
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
def pass_log_class(keras):
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


def early_stopping(keras, callbacks, n_iter_no_change, tol, *, validation):
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
    return stopping_class(keras)(
        monitor="val_loss" if validation else "loss",
        n_iter_no_change=int(n_iter_no_change),
        tol=float(tol),
        restore_best_weights=validation,
    )


@functools.cache
def stopping_class(keras):
    class ConvergenceStopping(keras.callbacks.Callback):
        """Stop as ``MLPClassifier`` does (see :func:`early_stopping`)."""

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
            if not np.isfinite(current):
                # Nothing learns from here on: stop, and let fit say why.
                self.stopped_epoch = epoch
                self.model.stop_training = True
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
