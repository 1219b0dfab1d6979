"""The main job: teacher, student from scratch and distilled student, compared."""

import os
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, log_loss

from ._classification import DistilledClassifier
from ._keras import import_keras, predict_logits

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
    from ._training_set import _validation_split

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


def train_from_scratch(
    builder, X, y, *, epochs, batch_size, seed, verbose, callbacks=None
):
    """Train ``builder``'s model on the labels alone (``alpha=1``), timed.

    Returns
    -------
    clf : DistilledClassifier
        The fitted estimator (``student_model_`` is the trained model).
    seconds : float
        Wall-clock training time.
    """
    return fit_timed(
        X,
        y,
        student=builder,
        alpha=1.0,
        epochs=epochs,
        batch_size=batch_size,
        validation_fraction=VALIDATION_FRACTION,
        random_state=seed,
        verbose=verbose,
        callbacks=callbacks,
    )


def fit_timed(X, y, **params):
    """Fit a ``DistilledClassifier(**params)``; return it and the seconds taken.

    The command's runs train the epochs they name, as the notebook did: no
    early stopping unless ``params`` ask for it.
    """
    clf = DistilledClassifier(**{"n_iter_no_change": None, **params})
    start = time.perf_counter()
    clf.fit(X, y)
    return clf, time.perf_counter() - start


def latency_per_1000(model, X, repeats=7):
    """Median seconds for one forward pass over 1,000 rows (tiled if fewer).

    Timed as a served model runs: on TensorFlow through the traced forward
    pass that repeated ``predict`` calls use, traced by a warm-up call.
    """
    from ._keras import import_keras

    compiled = import_keras().backend.backend() == "tensorflow"
    rows = np.resize(X, (1000, *X.shape[1:])).astype(np.float32)
    kwargs = dict(batch_size=1000, probabilities=False, compiled=compiled)
    predict_logits(model, rows, **kwargs)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict_logits(model, rows, **kwargs)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def evaluate_model(
    model, X_test, y_test, *, classes, teacher_pred, path, train_seconds, repeats=7
):
    """The comparison table's row for one Keras model.

    Parameters
    ----------
    model : keras.Model
        A model whose outputs are logits, columns in the order of ``classes``.
    X_test, y_test : ndarray
        The test split.
    classes : ndarray
        Labels of the output columns.
    teacher_pred : ndarray or None
        The teacher's test predictions, for agreement.
    path : path-like
        Where the model is saved, to measure its size on disk.
    train_seconds : float or None
        Training time, ``None`` for a model loaded from disk.
    repeats : int, default=7
        Timed runs for the latency's median.

    Returns
    -------
    row : dict
        accuracy, log_loss, agreement, parameters, size_bytes,
        latency_ms_per_1000, train_seconds.
    """
    from scipy.special import softmax

    logits = predict_logits(model, X_test, batch_size=1024, probabilities=False)
    proba = softmax(logits.astype(np.float64), axis=1)
    pred = classes[np.argmax(logits, axis=1)]
    model.save(path)
    return {
        "accuracy": float(accuracy_score(y_test, pred)),
        "log_loss": float(log_loss(y_test, proba, labels=classes)),
        "agreement": None
        if teacher_pred is None
        else float(np.mean(pred == teacher_pred)),
        "parameters": int(model.count_params()),
        "size_bytes": int(os.path.getsize(path)),
        "latency_ms_per_1000": 1000 * latency_per_1000(model, X_test, repeats),
        "train_seconds": train_seconds,
        "_pred": pred,
    }


def run_compare(
    data,
    *,
    teacher_builder,
    student_builder,
    teacher_epochs,
    epochs,
    distill_epochs,
    temperature,
    alpha,
    batch_size=32,
    seed=0,
    out,
    teacher_path=None,
    latency_repeats=7,
    verbose=1,
    log=print,
    progress=None,
):
    """Train (or load) a teacher, a student from scratch and a distilled student.

    Parameters
    ----------
    data : tuple
        ``(X_train, X_test, y_train, y_test)``.
    teacher_builder, student_builder : callable
        Student builders (see :class:`StudentBuilder`) for the two models.
    teacher_epochs, epochs, distill_epochs : int
        Epochs of the teacher, of the student from scratch and of the distilled
        student.
    temperature, alpha : float
        The distilled student's settings.
    batch_size : int, default=32
        Rows per gradient step, for all three.
    seed : int, default=0
        Random seed of every fit.
    out : path-like
        Folder for the saved models.
    teacher_path : path-like, default=None
        A saved Keras teacher to load instead of training one.
    latency_repeats : int, default=7
        Timed runs behind each latency's median.
    verbose : int, default=1
        Keras's verbosity while training.
    log : callable or None, default=print
        Receives one line per stage.
    progress : object or None, default=None
        Told the job's size, ``progress.start(total_epochs)``, before the
        first fit, then ``progress.advance()`` after every training epoch of
        every model.

    Returns
    -------
    result : dict
        ``models`` (rows by name: teacher, scratch, distilled) and
        ``histories``. Every fit holds out the same
        :data:`VALIDATION_FRACTION` of the training rows (see
        :func:`split_sizes`).
    """
    keras = import_keras()
    X_train, X_test, y_train, y_test = data
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    classes = np.unique(y_train)
    histories = {}
    callbacks = progress_callbacks(
        progress,
        (0 if teacher_path is not None else teacher_epochs) + epochs + distill_epochs,
    )

    if teacher_path is not None:
        stage(f"[1/4] loading the teacher from {teacher_path}", log)
        teacher_model = keras.models.load_model(teacher_path)
        teacher_seconds = None
    else:
        stage(f"[1/4] training the teacher ({teacher_epochs} epochs)", log)
        teacher_clf, teacher_seconds = train_from_scratch(
            teacher_builder,
            X_train,
            y_train,
            epochs=teacher_epochs,
            batch_size=batch_size,
            seed=seed,
            verbose=verbose,
            callbacks=callbacks,
        )
        teacher_model = teacher_clf.student_model_
        histories["teacher"] = teacher_clf.history_

    stage(f"[2/4] training the student from scratch ({epochs} epochs)", log)
    scratch, scratch_seconds = train_from_scratch(
        student_builder,
        X_train,
        y_train,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        verbose=verbose,
        callbacks=callbacks,
    )
    histories["scratch"] = scratch.history_

    stage(
        f"[3/4] distilling the student ({distill_epochs} epochs, "
        f"temperature={temperature}, alpha={alpha})",
        log,
    )
    distilled, distilled_seconds = fit_timed(
        X_train,
        y_train,
        teacher=teacher_model,
        student=student_builder,
        temperature=temperature,
        alpha=alpha,
        epochs=distill_epochs,
        batch_size=batch_size,
        validation_fraction=VALIDATION_FRACTION,
        random_state=seed,
        verbose=verbose,
        callbacks=callbacks,
    )
    histories["distilled"] = distilled.history_

    stage("[4/4] evaluating on the test split", log)
    rows = {}
    rows["teacher"] = evaluate_model(
        teacher_model,
        X_test,
        y_test,
        classes=classes,
        teacher_pred=None,
        path=out / "teacher.keras",
        train_seconds=teacher_seconds,
        repeats=latency_repeats,
    )
    teacher_pred = rows["teacher"]["_pred"]
    rows["teacher"]["agreement"] = 1.0
    for name, clf, seconds in (
        ("scratch", scratch, scratch_seconds),
        ("distilled", distilled, distilled_seconds),
    ):
        rows[name] = evaluate_model(
            clf.student_model_,
            X_test,
            y_test,
            classes=clf.classes_,
            teacher_pred=teacher_pred,
            path=out / f"student_{name}.keras",
            train_seconds=seconds,
            repeats=latency_repeats,
        )
    for row in rows.values():
        row.pop("_pred")
    return {"models": rows, "histories": histories}


def sweep_settings(temperatures, alphas):
    """The (temperature, alpha) of each student of a sweep, in training order.

    Every temperature for each alpha other than 1, then ``(None, 1.0)`` once
    if ``alphas`` includes 1: at ``alpha=1`` the temperature plays no part.
    """
    settings = [(t, a) for a in alphas for t in temperatures if a != 1.0]
    if 1.0 in alphas:
        settings.append((None, 1.0))
    return settings


def run_sweep(
    data,
    *,
    teacher_builder,
    student_builder,
    teacher_epochs,
    distill_epochs,
    temperatures,
    alphas,
    batch_size=32,
    seed=0,
    out,
    teacher_path=None,
    verbose=0,
    log=print,
    progress=None,
):
    """Distil one teacher into students over a grid of temperatures and alphas.

    The teacher is trained (or loaded) once; its outputs on the training rows
    are computed once and reused by every distillation through the teacher
    cache. ``alpha=1`` does not depend on the temperature and is trained once.
    Every fit holds out the same :data:`VALIDATION_FRACTION` of the training
    rows as :func:`run_compare`'s, so a student of the sweep and one of
    ``compare`` with the same settings are the same model.

    Parameters are those of :func:`run_compare`; ``progress`` is told
    ``start(total_epochs)`` and ``advance()`` after every training epoch.

    Returns
    -------
    result : dict
        ``teacher_accuracy``, ``grid`` (a list of dicts with temperature,
        alpha, accuracy, log_loss, agreement, train_seconds) and
        ``teacher_passes`` (how many times the teacher ran over the training
        rows).
    """
    from ._cache import get_teacher_cache

    keras = import_keras()
    X_train, X_test, y_train, y_test = data
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    settings = sweep_settings(temperatures, alphas)
    n_stages = len(settings) + 1
    callbacks = progress_callbacks(
        progress,
        (0 if teacher_path is not None else teacher_epochs)
        + len(settings) * distill_epochs,
    )
    if teacher_path is not None:
        stage(f"[1/{n_stages}] loading the teacher from {teacher_path}", log)
        teacher_model = keras.models.load_model(teacher_path)
    else:
        stage(f"[1/{n_stages}] training the teacher ({teacher_epochs} epochs)", log)
        teacher_model = train_from_scratch(
            teacher_builder,
            X_train,
            y_train,
            epochs=teacher_epochs,
            batch_size=batch_size,
            seed=seed,
            verbose=verbose,
            callbacks=callbacks,
        )[0].student_model_
        teacher_model.save(out / "teacher.keras")
    classes = np.unique(y_train)
    teacher_logits = predict_logits(
        teacher_model, X_test, batch_size=1024, probabilities=False
    )
    teacher_pred = classes[np.argmax(teacher_logits, axis=1)]
    teacher_accuracy = float(accuracy_score(y_test, teacher_pred))

    cache = get_teacher_cache()
    misses_before = cache.misses
    grid = []
    for i, (temperature, alpha) in enumerate(settings, start=2):
        label = (
            "student from scratch (alpha=1)"
            if alpha == 1.0
            else f"distilling at T={temperature:g}, alpha={alpha:g}"
        )
        stage(f"[{i}/{n_stages}] {label} ({distill_epochs} epochs)", log)
        clf, seconds = fit_timed(
            X_train,
            y_train,
            teacher=None if alpha == 1.0 else teacher_model,
            student=student_builder,
            temperature=1.0 if temperature is None else temperature,
            alpha=alpha,
            epochs=distill_epochs,
            batch_size=batch_size,
            validation_fraction=VALIDATION_FRACTION,
            random_state=seed,
            verbose=verbose,
            callbacks=callbacks,
        )
        proba = clf.predict_proba(X_test)
        pred = clf.classes_[np.argmax(proba, axis=1)]
        grid.append(
            {
                "temperature": temperature,
                "alpha": alpha,
                "accuracy": float(accuracy_score(y_test, pred)),
                "log_loss": float(log_loss(y_test, proba, labels=clf.classes_)),
                "agreement": float(np.mean(pred == teacher_pred)),
                "train_seconds": seconds,
            }
        )
    return {
        "teacher_accuracy": teacher_accuracy,
        "grid": grid,
        "teacher_passes": cache.misses - misses_before,
    }
