"""The command's built-in data: scikit-learn's digits and Keras's MNIST."""

import os

from ._console import isatty
from ._errors import CommandError


def load_data(args, console):
    """The run's :class:`~._engine._data.Dataset`: digits (whole: each seed
    draws its test rows) or MNIST (its own test rows), the first
    ``--n-train`` rows if given."""
    import numpy as np
    from sklearn.datasets import load_digits

    from ..utils._datasets import MNIST_PATH_VARIABLE, MNISTDownloadError, load_mnist
    from ._engine._data import CLASSIFICATION, Dataset

    if args.dataset == "digits":
        X, y = load_digits(return_X_y=True)
        X, X_test, y_test = X.astype(np.float32), None, None
    else:
        try:
            X, X_test, y, y_test = _load_mnist_quietly(load_mnist, args.data, console)
        except MNISTDownloadError as exc:
            raise CommandError(
                f"{exc} Give a local mnist.npz in Keras's layout with --data PATH "
                f"or the environment variable {MNIST_PATH_VARIABLE}."
            ) from exc
    if args.n_train is not None:
        X, y = X[: args.n_train], y[: args.n_train]
    return Dataset(X, y, CLASSIFICATION, args.dataset, X_test=X_test, y_test=y_test)


def _load_mnist_quietly(load_mnist, path, console):
    """``load_mnist(path)``; off a terminal, without Keras's download bar."""
    from ..utils._datasets import MNIST_PATH_VARIABLE

    local = path is not None or os.environ.get(MNIST_PATH_VARIABLE)
    if local or isatty(console.stream):
        return load_mnist(path)
    from ..utils._keras import import_keras

    # Keras draws the download's progress with ANSI codes; off a terminal
    # its messages go to absl's log instead, which shows none by default.
    utils = import_keras().utils
    interactive = utils.is_interactive_logging_enabled()
    utils.disable_interactive_logging()
    try:
        return load_mnist(path)
    finally:
        if interactive:
            utils.enable_interactive_logging()
