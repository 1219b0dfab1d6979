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

import json
import threading
from collections import OrderedDict

import joblib
import numpy as np

MAX_TRAINERS = 4
MAX_BYTES = 256 * 2**20


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
    copy) in all; a larger one is not kept.
    """

    def __init__(self, max_trainers=MAX_TRAINERS, max_bytes=MAX_BYTES):
        self.max_trainers = max_trainers
        self.max_bytes = max_bytes
        self._idle = OrderedDict()
        self._lock = threading.Lock()
        self.reused = 0

    def take(self, key):
        """An idle trainer for ``key``, removed from the cache, or None."""
        with self._lock:
            trainers = self._idle.get(key)
            if not trainers:
                return None
            trainer = trainers.pop()
            if not trainers:
                del self._idle[key]
            self.reused += 1
            return trainer

    def put(self, key, trainer):
        """Return ``trainer`` to the cache, dropping the least recently used."""
        if self.max_trainers <= 0 or trainer.nbytes > self.max_bytes:
            return
        with self._lock:
            self._idle.setdefault(key, []).append(trainer)
            self._idle.move_to_end(key)
            while (
                sum(len(t) for t in self._idle.values()) > self.max_trainers
                or sum(t.nbytes for ts in self._idle.values() for t in ts)
                > self.max_bytes
            ):
                oldest = next(iter(self._idle))
                self._idle[oldest].pop(0)
                if not self._idle[oldest]:
                    del self._idle[oldest]

    def clear(self):
        with self._lock:
            self._idle.clear()
            self.reused = 0


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
    for position, layer in enumerate(student._flatten_layers(include_self=True)):
        config = config.replace(json.dumps(layer.name), f'"layer #{position}"')
    variables = [(tuple(v.shape), str(v.dtype)) for v in student.variables]
    # The classes themselves, not their names: a class redefined under the
    # same name (in a notebook) must not reuse the old one's graph. A kept
    # trainer holds instances, so these ids cannot be recycled meanwhile.
    classes = [id(type(layer)) for layer in student._flatten_layers(include_self=True)]
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
