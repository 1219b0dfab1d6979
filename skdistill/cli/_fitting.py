"""What the command's runs share: held-out rows, stage lines, progress, timed fits."""

import time

import numpy as np

from .._classification import DistilledClassifier
from ..utils._keras import import_keras

#: Fraction of the training rows every fit of compare and sweep holds out
#: (stratified, drawn with the run's seed: the same rows for every model).
VALIDATION_FRACTION = 0.1


def stage(message, log):
    if log is not None:
        log(message)


def split_sizes(y, seed, validation_fraction=VALIDATION_FRACTION):
    """Rows trained on and rows held out by a fit on labels ``y`` with ``seed``.

    The held-out rows are those :class:`DistilledClassifier` draws with
    ``validation_fraction`` and ``random_state=seed``: they depend only on
    the labels, the fraction and the seed, so every model of a run holds out
    the same rows.

    Returns
    -------
    n_fit, n_validation : int
    """
    from ..training._data import _validation_split

    labels = np.unique(np.asarray(y), return_inverse=True)[1].reshape(-1)
    split = _validation_split(
        labels[:, np.newaxis], len(labels), validation_fraction, seed
    )
    if split is None:
        return len(labels), 0
    return len(split[0]), len(split[1])


def epoch_callback(function):
    """A Keras callback that calls ``function()`` at the end of every epoch.

    Copies of it (``fit`` copies its callbacks) call the same function.
    """
    keras = import_keras()

    class EachEpoch(keras.callbacks.Callback):
        async_safe = True

        def __init__(self, function):
            super().__init__()
            self.function = function

        def on_epoch_end(self, epoch, logs=None):
            self.function()

        def __deepcopy__(self, memo):
            return type(self)(self.function)

    return EachEpoch(function)


def progress_callbacks(progress, total_epochs):
    """Start ``progress`` for ``total_epochs``; the callbacks that advance it."""
    if progress is None:
        return None
    progress.start(total_epochs)
    return [epoch_callback(progress.advance)]


def fit_timed(X, y, **params):
    """Fit a ``DistilledClassifier(**params)``; return it and the seconds taken.

    The command's runs train the epochs they name, as the notebook did: no
    early stopping unless ``params`` ask for it.
    """
    clf = DistilledClassifier(**{"n_iter_no_change": None, **params})
    start = time.perf_counter()
    clf.fit(X, y)
    return clf, time.perf_counter() - start
