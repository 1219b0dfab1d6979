"""The main job: teacher, student from scratch and distilled student, compared."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, log_loss

from ..utils._keras import import_keras, predict_logits
from ._evaluation import compare_rows
from ._fitting import VALIDATION_FRACTION, fit_timed, progress_callbacks, stage
from ._shipping import ship


@dataclass(frozen=True, kw_only=True)
class RunSettings:
    """What the teacher and students of one compare or sweep run train with.

    Attributes
    ----------
    teacher_builder, student_builder : callable
        Student builders (see :class:`StudentBuilder`) of the teacher and of
        the students.
    teacher_epochs, distill_epochs : int
        Epochs of the teacher and of the distilled students.
    batch_size : int, default=32
        Rows per gradient step, for every model.
    seed : int, default=0
        Random seed of every fit.
    teacher_path : path-like, default=None
        A saved Keras teacher to load instead of training one.
    """

    teacher_builder: object
    student_builder: object
    teacher_epochs: int
    distill_epochs: int
    batch_size: int = 32
    seed: int = 0
    teacher_path: object = None

    def teacher_epochs_to_train(self):
        """The teacher's epochs, 0 when it is loaded from ``teacher_path``."""
        return 0 if self.teacher_path is not None else self.teacher_epochs


@dataclass(frozen=True, kw_only=True)
class CompareSettings(RunSettings):
    """A :func:`run_compare` run's settings: :class:`RunSettings`' and these.

    Attributes
    ----------
    epochs : int
        Epochs of the student from scratch.
    temperature, alpha : float
        The distilled student's settings.
    latency_repeats : int, default=7
        Timed runs behind each latency's median.
    """

    epochs: int
    temperature: float
    alpha: float
    latency_repeats: int = 7


@dataclass(frozen=True, kw_only=True)
class SweepSettings(RunSettings):
    """A :func:`run_sweep` run's settings: :class:`RunSettings`' and the grid.

    Attributes
    ----------
    temperatures, alphas : sequence of float
        The grid; see :func:`sweep_settings`.
    """

    temperatures: tuple
    alphas: tuple


@dataclass(frozen=True)
class _Fits:
    """The training rows and options every fit of one run shares."""

    X: object
    y: object
    settings: RunSettings
    verbose: int
    callbacks: object


def _fit(fits, builder, *, epochs, **params):
    """Fit ``builder``'s model on the run's training rows with ``params``.

    Every fit holds out the same :data:`VALIDATION_FRACTION` of the rows.

    Returns
    -------
    clf : DistilledClassifier
    seconds : float
        Wall-clock training time.
    """
    return fit_timed(
        fits.X,
        fits.y,
        student=builder,
        epochs=epochs,
        batch_size=fits.settings.batch_size,
        validation_fraction=VALIDATION_FRACTION,
        random_state=fits.settings.seed,
        verbose=fits.verbose,
        callbacks=fits.callbacks,
        **params,
    )


def _load_or_train_teacher(fits, *, step, log):
    """The run's teacher: loaded from ``teacher_path`` if given, else trained.

    Parameters
    ----------
    fits : _Fits
    step : str
        The stage's place in the run, such as ``"1/4"``, for its line.
    log : callable or None

    Returns
    -------
    model : keras.Model
    clf : DistilledClassifier or None
        The fitted estimator; None for a loaded teacher.
    seconds : float or None
        Training time; None for a loaded teacher.
    """
    settings = fits.settings
    if settings.teacher_path is not None:
        stage(f"[{step}] loading the teacher from {settings.teacher_path}", log)
        model = import_keras().models.load_model(settings.teacher_path)
        return model, None, None
    stage(f"[{step}] training the teacher ({settings.teacher_epochs} epochs)", log)
    clf, seconds = _fit(
        fits, settings.teacher_builder, epochs=settings.teacher_epochs, alpha=1.0
    )
    return clf.student_model_, clf, seconds


def _output_folder(out):
    """``out`` as a :class:`~pathlib.Path`, created if missing."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _train_scratch_student(fits, log):
    """Stage 2 of compare: the student trained on the labels alone.

    Returns
    -------
    clf : DistilledClassifier
    seconds : float
    """
    settings = fits.settings
    stage(f"[2/4] training the student from scratch ({settings.epochs} epochs)", log)
    return _fit(fits, settings.student_builder, epochs=settings.epochs, alpha=1.0)


def _distil_student(fits, teacher_model, log):
    """Stage 3 of compare: the student distilled from ``teacher_model``.

    Returns
    -------
    clf : DistilledClassifier
    seconds : float
    """
    settings = fits.settings
    stage(
        f"[3/4] distilling the student ({settings.distill_epochs} epochs, "
        f"temperature={settings.temperature}, alpha={settings.alpha})",
        log,
    )
    return _fit(
        fits,
        settings.student_builder,
        epochs=settings.distill_epochs,
        teacher=teacher_model,
        temperature=settings.temperature,
        alpha=settings.alpha,
    )


def run_compare(data, settings, *, out, verbose=1, log=print, progress=None):
    """Train (or load) a teacher, a student from scratch and a distilled student.

    Parameters
    ----------
    data : tuple
        ``(X_train, X_test, y_train, y_test)``.
    settings : CompareSettings
    out : path-like
        Folder for the saved models.
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
    X_train, X_test, y_train, y_test = data
    out = _output_folder(out)
    total_epochs = (
        settings.teacher_epochs_to_train() + settings.epochs + settings.distill_epochs
    )
    callbacks = progress_callbacks(progress, total_epochs)
    fits = _Fits(X_train, y_train, settings, verbose, callbacks)
    teacher_model, teacher_clf, teacher_seconds = _load_or_train_teacher(
        fits, step="1/4", log=log
    )
    scratch = _train_scratch_student(fits, log)
    distilled = _distil_student(fits, teacher_model, log)
    histories = {} if teacher_clf is None else {"teacher": teacher_clf.history_}
    histories.update(scratch=scratch[0].history_, distilled=distilled[0].history_)
    stage("[4/4] evaluating on the test split", log)
    rows = compare_rows(
        (teacher_model, teacher_seconds),
        {"scratch": scratch, "distilled": distilled},
        X_test,
        y_test,
        classes=np.unique(y_train),
        out=out,
        repeats=settings.latency_repeats,
    )
    for name, (clf, _) in (("scratch", scratch), ("distilled", distilled)):
        rows[name]["shipped"] = ship(clf, X_test, repeats=settings.latency_repeats)[0]
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


def _sweep_stage_label(temperature, alpha):
    """What a sweep's stage line says its student is."""
    if alpha == 1.0:
        return "student from scratch (alpha=1)"
    return f"distilling at T={temperature:g}, alpha={alpha:g}"


def _fit_sweep_student(fits, teacher_model, temperature, alpha):
    """Fit the sweep's student at one ``(temperature, alpha)`` of the grid.

    At ``alpha=1`` the student learns from the labels alone: no teacher, and
    ``temperature`` is None.

    Returns
    -------
    clf : DistilledClassifier
    seconds : float
    """
    return _fit(
        fits,
        fits.settings.student_builder,
        epochs=fits.settings.distill_epochs,
        teacher=None if alpha == 1.0 else teacher_model,
        temperature=1.0 if temperature is None else temperature,
        alpha=alpha,
    )


def _sweep_metrics(clf, X_test, y_test, *, teacher_pred):
    """A sweep student's test metrics: accuracy, log_loss and agreement."""
    proba = clf.predict_proba(X_test)
    pred = clf.classes_[np.argmax(proba, axis=1)]
    return {
        "accuracy": float(accuracy_score(y_test, pred)),
        "log_loss": float(log_loss(y_test, proba, labels=clf.classes_)),
        "agreement": float(np.mean(pred == teacher_pred)),
    }


def _test_predictions(model, X_test, classes):
    """A Keras model's predicted labels on the test split."""
    logits = predict_logits(model, X_test, batch_size=1024, probabilities=False)
    return classes[np.argmax(logits, axis=1)]


def _sweep_grid(fits, teacher_model, grid_settings, X_test, y_test, teacher_pred, log):
    """Train the sweep's students in order; the report's grid, one row each.

    Parameters
    ----------
    fits : _Fits
    teacher_model : keras.Model
    grid_settings : list of tuple
        The students' ``(temperature, alpha)``, from :func:`sweep_settings`.
    X_test, y_test : ndarray
    teacher_pred : ndarray
        The teacher's test predictions, for agreement.
    log : callable or None

    Returns
    -------
    grid : list of dict
        temperature, alpha, accuracy, log_loss, agreement, train_seconds.
    """
    n_stages = len(grid_settings) + 1
    epochs = fits.settings.distill_epochs
    grid = []
    for i, (temperature, alpha) in enumerate(grid_settings, start=2):
        label = _sweep_stage_label(temperature, alpha)
        stage(f"[{i}/{n_stages}] {label} ({epochs} epochs)", log)
        clf, seconds = _fit_sweep_student(fits, teacher_model, temperature, alpha)
        metrics = _sweep_metrics(clf, X_test, y_test, teacher_pred=teacher_pred)
        grid.append(
            {
                "temperature": temperature,
                "alpha": alpha,
                **metrics,
                "train_seconds": seconds,
            }
        )
    return grid


def run_sweep(data, settings, *, out, verbose=0, log=print, progress=None):
    """Distil one teacher into students over a grid of temperatures and alphas.

    The teacher is trained (or loaded) once; its outputs on the training rows
    are computed once and reused by every distillation through the teacher
    cache. ``alpha=1`` does not depend on the temperature and is trained once.
    Every fit holds out the same :data:`VALIDATION_FRACTION` of the training
    rows as :func:`run_compare`'s, so a student of the sweep and one of
    ``compare`` with the same settings are the same model.

    ``settings`` is a :class:`SweepSettings`; the other parameters are those
    of :func:`run_compare`.

    Returns
    -------
    result : dict
        ``teacher_accuracy``, ``grid`` (a list of dicts with temperature,
        alpha, accuracy, log_loss, agreement, train_seconds) and
        ``teacher_passes`` (how many times the teacher ran over the training
        rows).
    """
    from ..distill._cache import get_teacher_cache

    X_train, X_test, y_train, y_test = data
    out = _output_folder(out)
    grid_settings = sweep_settings(settings.temperatures, settings.alphas)
    n_stages = len(grid_settings) + 1
    total_epochs = (
        settings.teacher_epochs_to_train()
        + len(grid_settings) * settings.distill_epochs
    )
    callbacks = progress_callbacks(progress, total_epochs)
    fits = _Fits(X_train, y_train, settings, verbose, callbacks)
    teacher_model, teacher_clf, _ = _load_or_train_teacher(
        fits, step=f"1/{n_stages}", log=log
    )
    if teacher_clf is not None:
        teacher_model.save(out / "teacher.keras")
    teacher_pred = _test_predictions(teacher_model, X_test, np.unique(y_train))
    cache = get_teacher_cache()
    misses_before = cache.misses
    grid = _sweep_grid(
        fits, teacher_model, grid_settings, X_test, y_test, teacher_pred, log
    )
    return {
        "teacher_accuracy": float(accuracy_score(y_test, teacher_pred)),
        "grid": grid,
        "teacher_passes": cache.misses - misses_before,
    }
