"""A Keras student's training settings: carried as one object, checked early."""

from dataclasses import dataclass

from ..utils._keras import import_keras


@dataclass(frozen=True)
class TrainingSettings:
    """The estimator's settings for a Keras student's training, as one object.

    Each field is the estimator's parameter of the same name; ``seed`` seeds
    shuffling, the validation split and trimming.
    """

    epochs: int
    batch_size: object
    optimizer: object
    learning_rate: object
    validation_fraction: float
    n_iter_no_change: object
    tol: float
    callbacks: object
    verbose: int
    seed: object


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
