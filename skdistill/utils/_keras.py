"""Lazy access to Keras, so that ``import skdistill`` stays fast, and seeding it."""

import functools
import logging
import os
import random
import re
import sys
import tempfile
import threading
from contextlib import contextmanager
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from ._keras_hooks import ThreadSeedSource, install_seed_source, set_random_seed

#: TensorFlow's C++ log severities, by the letter that starts a log line.
_SEVERITIES = {"I": 0, "W": 1, "E": 2, "F": 3}
# glog's prefix: severity, MMDD, time, thread, file:line] (TensorFlow 2.21's
# time reads 00:00:SECONDS-SINCE-EPOCH.MICROSECONDS).
_LOG_LINE = re.compile(r"^([IWEF])\d{4} [\d:.]+\s+\d+ [^\s\]]+:\d+\] ")
#: Errors TensorFlow logs at start-up on every machine without a usable GPU.
_HARMLESS_ERRORS = (
    "failed call to cuInit",
    "Unable to register cuDNN factory",
    "Unable to register cuFFT factory",
    "Unable to register cuBLAS factory",
)
#: Start-up lines that carry no log prefix.
_STARTUP_LINES = (
    # absl's notice, printed by each of TensorFlow's libraries as it loads.
    "WARNING: All log messages before absl::InitializeLog() is called are "
    "written to STDERR",
    # The second line of cpu_feature_guard's notice.
    "To enable the following instructions:",
)
_import_lock = threading.Lock()


#: What a user without Keras is told to install.
KERAS_MISSING = (
    "Keras students and teachers need Keras 3 with a backend, which "
    "skdistill's core install leaves out. Install them with "
    "pip install 'skdistill[tensorflow]' (or skdistill[jax], skdistill[torch]). "
    "scikit-learn teachers and students (student=DecisionTreeClassifier(), "
    "say) work without them."
)


def _import_keras_module():
    # Keras 3 without its backend fails at import too (no module named
    # 'tensorflow'): the same missing extra.
    try:
        import keras
    except ImportError as error:
        raise ImportError(f"{KERAS_MISSING} ({error})") from error
    return keras


def import_keras():
    """Import and return the ``keras`` module.

    TensorFlow writes start-up lines to the standard error at import and when
    it first looks for devices (oneDNN, missing CUDA drivers, ``cuInit``
    failing), and ``TF_CPP_MIN_LOG_LEVEL`` does not stop the ones its
    libraries log before they initialise their logging. On the first import,
    file descriptor 2 is pointed at a temporary file while Keras loads and
    TensorFlow finds its devices, then restored; whatever was written there
    meanwhile is copied to the standard error except those start-up lines
    below the level in force (``TF_CPP_MIN_LOG_LEVEL`` if the user set it,
    else 2: errors only) and the errors every machine without a GPU logs.
    Everything after the import reaches the standard error as usual, and
    ``TF_CPP_MIN_LOG_LEVEL`` is set (to 2) only if the user has not set it.
    With ``TF_CPP_MIN_LOG_LEVEL=0`` nothing is filtered.

    Raises
    ------
    ImportError
        Where Keras or its backend is not installed, naming the extra to
        install (``skdistill[tensorflow]``).
    """
    if "keras" in sys.modules:
        return _import_keras_module()
    with _import_lock:
        level = _min_log_level()
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        if level == 0 or "keras" in sys.modules:
            return _import_keras_module()
        with _startup_lines_filtered(level):
            keras = _import_keras_module()

            if keras.backend.backend() == "tensorflow":
                # The device search logs the cuInit failure; do it here.
                import tensorflow as tf

                tf.config.list_physical_devices()
    return keras


def _min_log_level():
    """The C++ log level in force: the user's ``TF_CPP_MIN_LOG_LEVEL``, else 2."""
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    except ValueError:
        return 2


def _is_startup_noise(line, level):
    """Whether ``line``, written while TensorFlow loads, is to be dropped."""
    match = _LOG_LINE.match(line)
    if match is not None:
        severity = _SEVERITIES[match.group(1)]
        return severity < level or (
            severity == 2 and any(text in line for text in _HARMLESS_ERRORS)
        )
    return any(line.startswith(text) for text in _STARTUP_LINES)


@contextmanager
def _startup_lines_filtered(level):
    """Filter what is written to file descriptor 2 meanwhile (see import_keras)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        # No standard error to redirect (closed, or not a file descriptor).
        yield
        return
    try:
        with tempfile.TemporaryFile() as captured:
            os.dup2(captured.fileno(), 2)
            try:
                yield
            finally:
                try:
                    sys.stderr.flush()
                except (OSError, ValueError, AttributeError):
                    pass
                os.dup2(saved, 2)
                captured.seek(0)
                text = captured.read().decode("utf-8", errors="replace")
                kept = [
                    line
                    for line in text.splitlines(keepends=True)
                    if not _is_startup_noise(line, level)
                ]
                data = "".join(kept).encode()
                while data:
                    data = data[os.write(2, data) :]
    finally:
        os.close(saved)


def outputs_probabilities(model):
    """Whether a Keras model's last layer applies a softmax.

    Looks at the last layer only: a ``Dense(..., activation="softmax")`` or a
    ``Softmax`` layer. Models whose structure cannot be inspected this way are
    taken to output logits.
    """
    keras = import_keras()
    layers = getattr(model, "layers", None)
    if not layers:
        return False
    last = layers[-1]
    if isinstance(last, keras.layers.Softmax):
        return True
    activation = getattr(last, "activation", None)
    return activation is keras.activations.softmax


def predict_logits(model, X, *, batch_size, probabilities, compiled=False):
    """Run ``model`` over ``X`` in chunks and return logits as a NumPy array.

    By default the model is called eagerly, which avoids the graph tracing
    that ``Model.predict`` performs on its first call and which dominates for
    the small arrays that scikit-learn passes to ``predict``. ``compiled=True``
    uses ``Model.predict_on_batch`` instead: its first call traces the
    forward pass, after which a call costs a fraction of an eager one.
    """

    keras = import_keras()
    chunks = []
    for start in range(0, len(X), batch_size):
        rows = X[start : start + batch_size]
        if compiled:
            with _quiet_retracing():
                out = model.predict_on_batch(rows)
        else:
            out = model(rows, training=False)
        chunks.append(np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float32))
    out = np.concatenate(chunks) if chunks else np.empty((0, 0), np.float32)
    if probabilities:
        out = np.log(np.clip(out, 1e-12, None))
    return out


class _RetracingFilter(logging.Filter):
    """Drops TensorFlow's warning that a function was traced again."""

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


_RETRACING_FILTER = _RetracingFilter()


@contextmanager
def _quiet_retracing():
    """Keep TensorFlow's retracing warning off the console during ``predict``.

    Each fitted student traces its own forward pass once, by design (see
    :class:`ForwardPass`); TensorFlow counts the traces of every student's
    pass together and, after five fitted estimators, warns of "excessive"
    retracing on stderr. Only that warning, and only during this call, is
    dropped.
    """
    logger = logging.getLogger("tensorflow")
    logger.addFilter(_RETRACING_FILTER)
    try:
        yield
    finally:
        logger.removeFilter(_RETRACING_FILTER)


class ForwardPass:
    """A Keras student's forward pass for ``predict``, with a count of calls.

    The first prediction after ``fit`` runs eagerly: one-off calls (scoring
    in a search) pay no tracing. Later ones, on TensorFlow, reuse a traced
    forward pass (``predict_on_batch``), several times faster per call when
    a model is served. The estimator holds one per fit, so nothing is stored
    on the student model itself.
    """

    def __init__(self):
        self.calls = 0

    def __call__(self, model, batch_size):
        """A function of ``X`` that returns ``model``'s logits on it."""
        self.calls += 1
        keras = import_keras()
        return functools.partial(
            predict_logits,
            model,
            batch_size=batch_size,
            probabilities=outputs_probabilities(model),
            compiled=self.calls > 1 and keras.backend.backend() == "tensorflow",
        )


def training_data(x, y, sample_weight, *, batch_size, seed, repeat=False):
    """What to pass to ``Model.fit`` as ``x`` for shuffled mini-batches.

    On the TensorFlow backend a ``tf.data`` pipeline (shuffle, then batch)
    cuts Keras's per-batch and per-epoch overhead for in-memory arrays several
    times over; other backends get the arrays, and ``fit`` shuffles them.

    ``repeat=True`` (TensorFlow only) repeats the shuffled passes without end
    and sets ``steps_per_epoch`` to one pass, so that Keras keeps one iterator
    for the whole fit instead of starting one per epoch: for epochs of a few
    steps that start-up costs more than the steps. Each epoch is still
    exactly one pass, reshuffled.

    Returns
    -------
    fit_kwargs : dict
        Keyword arguments for ``Model.fit``.
    """
    keras = import_keras()
    if keras.backend.backend() != "tensorflow":
        return {
            "x": x,
            "y": y,
            "sample_weight": sample_weight,
            "batch_size": batch_size,
            "shuffle": True,
        }
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((x, y, sample_weight))
    dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    kwargs = {}
    if repeat:
        # Batching before repeating keeps each pass's last, short batch, so
        # epochs stay aligned with passes.
        dataset = dataset.repeat()
        kwargs["steps_per_epoch"] = -(-len(x) // batch_size)
    # The pipeline shuffles; Keras must not try to.
    return {"x": dataset.prefetch(tf.data.AUTOTUNE), "shuffle": False, **kwargs}


def held_out_data(x, y, sample_weight, *, batch_size):
    """What to pass to ``Model.fit`` as ``validation_data``.

    On the TensorFlow backend a ``tf.data`` pipeline of batches: Keras turns
    arrays into a pipeline whose iterator, started at every epoch's
    evaluation, can cost more than the epoch's training steps on small data;
    this one starts in a fraction of that.
    Other backends get the arrays.
    """
    keras = import_keras()
    if keras.backend.backend() != "tensorflow":
        return (x, y, sample_weight)
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((x, y, sample_weight))
    return dataset.batch(batch_size)


def seed_from(random_state):
    """An integer seed drawn from ``random_state``, or None."""
    if random_state is None:
        return None
    if isinstance(random_state, Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextmanager
def keras_seed(seed):
    """Seed Keras (and the global RNGs it uses) for the duration of ``fit``.

    ``keras.utils.set_random_seed`` seeds Python's, NumPy's and the backend's
    global generators; the first two are restored afterwards so that fitting
    does not change the user's random streams. Keras's default seeds come from
    a generator of this thread's own meanwhile (see
    :class:`skdistill._keras_hooks.ThreadSeedSource`).
    """
    if seed is None:
        yield
        return
    numpy_state, python_state = np.random.get_state(), random.getstate()
    set_random_seed(import_keras(), seed)
    install_seed_source()
    local = ThreadSeedSource.local
    outer_rng = getattr(local, "rng", None)
    local.rng = random.Random(seed)
    try:
        yield
    finally:
        local.rng = outer_rng  # a fit inside a fit
        np.random.set_state(numpy_state)
        random.setstate(python_state)
