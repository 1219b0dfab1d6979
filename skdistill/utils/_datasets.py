"""Data sets for the main job, examples and benchmarks."""

import os
from pathlib import Path

import numpy as np

MNIST_PATH_VARIABLE = "SKDISTILL_MNIST_PATH"
_MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


class MNISTDownloadError(ConnectionError):
    """MNIST has no local path and Keras could not download it."""


def load_mnist(path=None):
    """Load MNIST as float32 images in [0, 1] with a channel axis.

    Parameters
    ----------
    path : str or path-like, default=None
        A local ``.npz`` file in the layout of Keras's ``mnist.npz`` (arrays
        ``x_train``, ``y_train``, ``x_test``, ``y_test``). ``None`` uses the
        environment variable ``SKDISTILL_MNIST_PATH`` if it is set, and
        otherwise ``keras.datasets.mnist.load_data()``, which downloads the
        file once and caches it under ``~/.keras/datasets``.

    Returns
    -------
    X_train : ndarray of shape (60000, 28, 28, 1), dtype float32
    X_test : ndarray of shape (10000, 28, 28, 1), dtype float32
    y_train : ndarray of shape (60000,), dtype uint8
    y_test : ndarray of shape (10000,), dtype uint8
        The same order as :func:`sklearn.model_selection.train_test_split`.

    Raises
    ------
    FileNotFoundError
        For a ``path`` that is not a file.
    ValueError
        For a file not in Keras's layout.
    MNISTDownloadError
        A :class:`ConnectionError`: no ``path`` was given and Keras could not
        download the file (no network, for example).
    """
    path = path if path is not None else os.environ.get(MNIST_PATH_VARIABLE)
    if path is None:
        from ._keras import import_keras

        mnist = import_keras().datasets.mnist
        try:
            (x_train, y_train), (x_test, y_test) = mnist.load_data()
        except Exception as exc:  # noqa: BLE001 - Keras raises a bare Exception
            raise MNISTDownloadError(
                f"MNIST could not be downloaded ({' '.join(str(exc).split())})."
            ) from exc
    else:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"No MNIST file at {str(path)!r}; pass the path of a Keras-layout "
                f"mnist.npz, or set {MNIST_PATH_VARIABLE}."
            )
        with np.load(path) as data:
            missing = [key for key in _MNIST_KEYS if key not in data]
            if missing:
                raise ValueError(
                    f"{str(path)!r} is not in Keras's mnist.npz layout: it lacks "
                    f"{missing}."
                )
            x_train, y_train, x_test, y_test = (data[key] for key in _MNIST_KEYS)
    return _as_images(x_train), _as_images(x_test), y_train, y_test


def _as_images(x):
    return (x.astype(np.float32) / 255.0)[..., np.newaxis]


def load_digits_split(test_size=0.25, random_state=0):
    """scikit-learn's 8x8 digits, split into stratified train and test parts.

    Parameters
    ----------
    test_size : float, default=0.25
        Fraction held out for testing.
    random_state : int, default=0
        Seed of the split.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarrays
        Pixel values 0..16 as float32, 64 features per row.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(
        X.astype(np.float32),
        y,
        test_size=test_size,
        stratify=y,
        random_state=random_state,
    )
