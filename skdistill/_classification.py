"""DistilledClassifier: a scikit-learn classifier trained by knowledge distillation."""

import copy
import functools
import os
from numbers import Integral, Real

import joblib
import numpy as np
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    check_memory,
    check_scalar,
    validate_data,
)

from ._cache import fingerprint_array, get_teacher_cache
from ._keras import (
    import_keras,
    keras_seed,
    outputs_probabilities,
    predict_logits,
    training_data,
)
from ._outofcore import (
    BlockReader,
    is_memmap,
    map_blocks,
    stream_pass,
    streamed_batches,
)
from ._students import build_student
from ._teachers import (
    check_teacher_kind,
    clone_teacher,
    fingerprint_teacher,
    fit_teacher,
    is_fitted_teacher,
    resolve_teacher,
    teacher_logits,
)
from ._trainer import TRAINERS, Trainer, structure_key
from ._transfer import check_augment, out_of_fold_logits

_STEPS_PER_EXECUTION = 16


def _seed_or_none(random_state):
    """An integer seed drawn from ``random_state``, or None."""
    if random_state is None:
        return None
    if isinstance(random_state, Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _check_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float32)
    sample_weight = check_array(
        sample_weight, ensure_2d=False, dtype=np.float32, input_name="sample_weight"
    )
    if sample_weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per row of X; "
            f"got shape {sample_weight.shape}."
        )
    if np.any(sample_weight < 0):
        raise ValueError("sample_weight must be non-negative; got negative weights.")
    return sample_weight


def _align_to_teacher(y, t_classes, t_logits):
    """Sort the teacher's classes and check that every label in ``y`` is among them."""
    known = set(t_classes.tolist())
    missing = [c for c in np.unique(y).tolist() if c not in known]
    if missing:
        raise ValueError(
            f"y contains labels the teacher cannot produce: {missing}. The "
            f"teacher's classes are {t_classes.tolist()}. For a keras.Model "
            "teacher, name the label of each output with "
            "KerasTeacher(model, classes=[...])."
        )
    order = np.argsort(t_classes, kind="stable")
    if np.array_equal(order, np.arange(len(order))):
        # Sorted already (scikit-learn's classes_ are): no copy of the logits.
        return t_classes, t_logits
    return t_classes[order], t_logits[:, order]


def _memory_fit_teacher(teacher, X, y, sample_weight):
    # Module-level, so that joblib.Memory can key it across processes.
    return fit_teacher(teacher, X, y, sample_weight)


def _memory_teacher_logits(teacher, teacher_key, rows):
    # joblib.Memory keys this on teacher_key and the rows, not on the teacher.
    return teacher_logits(teacher, rows)


def _memory_out_of_fold(teacher, X, y, sample_weight, cv):
    return out_of_fold_logits(
        teacher, X, y, sample_weight, cv, fit=fit_teacher, logits=teacher_logits
    )


class _TeacherOutputs:
    """Fit a teacher if it needs fitting, and run it, through the caches.

    With ``use_cache``, the fitting of an unfitted teacher and the teacher's
    pass over the rows are looked up in the process-wide cache by content
    fingerprints (see ``skdistill._cache``). With a ``memory``
    (``joblib.Memory``), they are also stored on disk, where other processes
    (``n_jobs`` workers, later runs) find them.
    """

    def __init__(self, teacher, X, y, sample_weight, *, use_cache, memory):
        check_teacher_kind(teacher)
        self.teacher, self.X, self.y, self.sample_weight = teacher, X, y, sample_weight
        self.use_cache, self.memory = use_cache, memory

    @functools.cached_property
    def _data_key(self):
        # Hashing X is the costly part: once per fit, for every key using it.
        return (
            fingerprint_array(self.X),
            fingerprint_array(self.y),
            fingerprint_array(self.sample_weight),
        )

    def fitted(self):
        """The fitted teacher and its key (None where it is not cached)."""
        teacher, X, y, sample_weight = self.teacher, self.X, self.y, self.sample_weight
        keyed = self.use_cache or self.memory is not None
        if is_fitted_teacher(teacher):
            fitted = fit_teacher(teacher, X, y, sample_weight)
            return fitted, fingerprint_teacher(fitted) if keyed else None
        if not keyed:
            return fit_teacher(teacher, X, y, sample_weight), None
        fit = fit_teacher
        if self.memory is not None:
            fit = self.memory.cache(_memory_fit_teacher)
        teacher_key = ("fitted-from", joblib.hash(teacher), *self._data_key)
        if not self.use_cache:
            return fit(teacher, X, y, sample_weight), teacher_key
        fitted = get_teacher_cache().fitted_teacher(
            teacher_key, lambda: fit(teacher, X, y, sample_weight)
        )
        return fitted, teacher_key

    def logits(self, X_all):
        """The fitted teacher, its classes and its logits on ``X_all``."""
        fitted, teacher_key = self.fitted()
        if teacher_key is None:
            return (fitted, *teacher_logits(fitted, X_all))
        key = (teacher_key, X_all.shape[1:], X_all.dtype.str)
        if self.memory is not None:
            on_disk = self.memory.cache(_memory_teacher_logits, ignore=["teacher"])
            compute = functools.partial(on_disk, fitted, key)
        else:
            compute = functools.partial(teacher_logits, fitted)
        if not self.use_cache:
            return (fitted, *compute(X_all))
        return (fitted, *get_teacher_cache().outputs(key, X_all, compute))

    def out_of_fold(self, X_all, cv):
        """Out-of-fold logits for ``X``, the full teacher's for the other rows."""
        teacher, X, y, sample_weight = self.teacher, self.X, self.y, self.sample_weight
        if is_fitted_teacher(teacher):
            raise ValueError(
                "teacher_cv needs an unfitted teacher, which fit trains once per "
                "fold; the teacher passed is fitted already. Pass an unfitted "
                "estimator (e.g. sklearn.base.clone(teacher)), or set "
                "teacher_cv=None."
            )
        run = _memory_out_of_fold
        if self.memory is not None:
            run = self.memory.cache(_memory_out_of_fold)

        def out_of_fold(rows):
            return run(teacher, X, y, sample_weight, cv)

        if self.use_cache:
            key = (
                "out-of-fold",
                joblib.hash(teacher),
                joblib.hash(cv),
                *self._data_key,
            )
            classes, oof = get_teacher_cache().outputs(key, X, out_of_fold)
        else:
            classes, oof = out_of_fold(X)
        if len(X_all) == len(X):
            return self.fitted()[0], classes, oof
        fitted, full_classes, rest = self.logits(X_all[len(X) :])
        if not np.array_equal(np.asarray(full_classes), np.asarray(classes)):
            raise ValueError(
                "teacher_cv: the teacher fitted on all rows has classes "
                f"{np.asarray(full_classes).tolist()}, its folds "
                f"{np.asarray(classes).tolist()}."
            )
        return fitted, classes, np.concatenate([oof, rest])


def _check_memory(memory):
    """None, or a joblib.Memory-like object (scikit-learn's ``memory`` convention)."""
    if memory is None:
        return None
    if isinstance(memory, os.PathLike):
        memory = os.fspath(memory)
    return check_memory(memory)


def _feature_stats(X):
    mean = np.mean(X, axis=0, dtype=np.float64)
    std = np.std(X, axis=0, dtype=np.float64)
    return mean.astype(np.float32), std.astype(np.float32)


class DistilledClassifier(ClassifierMixin, BaseEstimator):
    r"""A small Keras classifier trained to imitate a teacher (knowledge distillation).

    The student is trained on a weighted sum of the cross-entropy with the true
    labels and the divergence from the teacher's temperature-softened
    predictions (Hinton, Vinyals and Dean, 2015):

    .. math::

        L = \alpha \, \mathrm{CE}(y, z_s) + (1 - \alpha) \, T^2 \,
            \mathrm{KL}\big(\mathrm{softmax}(z_t / T) \,\|\,
            \mathrm{softmax}(z_s / T)\big)

    with ``z_s`` and ``z_t`` the student's and teacher's logits. ``alpha=1`` is
    the student trained from scratch; ``alpha=0`` is pure distillation. See the
    user guide for the conventions.

    The teacher's outputs are computed once per ``fit``, not on every batch.

    Parameters
    ----------
    teacher : object, default=None
        Required unless ``alpha=1`` (training from scratch). One of: a fitted
        scikit-learn classifier or Pipeline (soft targets from
        ``predict_proba``, else ``decision_function``); a fitted
        scikeras ``KerasClassifier``; a trained ``keras.Model`` (see
        :class:`KerasTeacher` for how its outputs are read); a list of these,
        combined as an :class:`EnsembleTeacher`; or an unfitted scikit-learn
        classifier, which ``fit`` clones and fits on the training data. Fitted
        teachers are used as they are and are shared, not copied, by ``clone``.
        A fitted teacher wrapped in :class:`ScatteredTeacher` is sent once to
        a Dask cluster, and a search there passes only its name with each
        task (see "Scaling out").
    student : callable, keras.Model or None, default=None
        Builds the student: a callable returning an uncompiled ``keras.Model``
        with one output per class, given ``meta`` when its signature asks (see
        :class:`StudentBuilder`); a ``keras.Model`` used as a template (its
        architecture is cloned with fresh weights); or ``None`` for
        ``MLPStudent()``. Each ``fit`` builds a fresh student.
    temperature : float, default=4.0
        Softening temperature ``T`` (> 0) applied to teacher and student logits
        in the soft term.
    alpha : float, default=0.1
        Weight of the hard (true-label) term, in [0, 1]; ``1 - alpha`` weights
        the soft term.
    scale_soft_loss : bool, default=True
        Multiply the soft term by ``T**2``, so its gradients keep their size as
        ``T`` changes (Hinton et al. 2015). ``False`` reproduces losses without
        the factor, such as the original notebook's.
    augment : {None, "munge", "image"} or TransferAugmenter, default=None
        Synthetic transfer rows, made from the training rows (``X`` and
        ``X_unlabeled``) at each ``fit``, seeded by ``random_state``, and
        labelled by the teacher's soft targets only: ``"munge"`` is
        ``Munge()`` for tables, ``"image"`` is ``ImageAugment()`` for images;
        an instance sets the size and knobs, searchable as ``augment__size``.
        Ignored when ``alpha=1``. See the user guide on transfer sets.
    teacher_cv : int, cross-validation generator, iterable or None, default=None
        For an unfitted teacher only: the labeled rows' soft targets come from
        teachers fitted on the other folds (``cross_val_predict``-style, as in
        ``StackingClassifier``), so the student learns the teacher's behaviour
        on rows it did not see. In a benchmark here this lowered accuracy (see
        the user guide on transfer sets). The teacher fitted on all rows becomes
        ``teacher_`` and labels ``X_unlabeled`` and synthetic rows. An int is
        the number of stratified folds. ``None`` uses the teacher fitted on all
        rows for every row. Ignored when ``alpha=1``.
    epochs : int, default=20
        Passes over the training rows.
    batch_size : int, default=32
        Rows per gradient step.
    optimizer : str or keras.optimizers.Optimizer, default="adam"
        The optimizer, by name or as an instance; an instance is copied from its
        config, never trained in place.
    learning_rate : float or None, default=0.001
        Learning rate; ``None`` keeps the optimizer's own.
    validation_fraction : float, default=0.0
        Fraction of the labeled rows held out (stratified where possible) to
        report ``val_*`` metrics in ``history_`` each epoch, in [0, 1).
    callbacks : list of keras.callbacks.Callback, default=None
        Keras callbacks for the student's training, e.g. ``EarlyStopping``.
        Each ``fit`` uses deep copies.
    inference_batch_size : int, default=4096
        Rows per forward pass of the student in ``predict`` and
        ``predict_proba`` (a Keras teacher's pass uses ``KerasTeacher.batch_size``).
    teacher_cache : bool, default=True
        Reuse the teacher's outputs (and an unfitted teacher's fit) across fits
        on the same rows with the same teacher, through a process-wide cache
        keyed by a hash of each row and the contents of the teacher, so grid
        searches and repeated fits run the teacher once per distinct row. It
        holds at most 256 MiB of logits and row hashes; see
        :func:`skdistill.get_teacher_cache` to clear or resize it. ``False``
        computes them afresh on every fit.
    memory : str, path, joblib.Memory or None, default=None
        Also store the teacher's outputs, and the fit of an unfitted teacher,
        on disk through ``joblib.Memory`` (scikit-learn's ``memory``
        convention, as in ``Pipeline``): a directory path, or a ``Memory``
        object. Other processes then reuse them: the workers of a search with
        ``n_jobs``, and later runs. Entries are keyed by the same content
        fingerprints as the in-process cache; clear them with
        ``memory.clear()``. ``None`` stores nothing on disk.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the validation split; the
        same value gives the same predictions.
    verbose : int, default=0
        0 is silent, 1 shows Keras's progress bar, 2 one line per epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, the teacher's classes in sorted order.
    n_features_in_ : int
        Number of features (``X.shape[1]``) seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` had string column names.
    input_shape_ : tuple
        Shape of one sample, ``X.shape[1:]``.
    teacher_ : object or None
        The fitted teacher: ``teacher`` itself if it was fitted, else the clone
        fitted in ``fit``; ``None`` when trained from scratch without one.
    student_model_ : keras.Model
        The trained student, uncompiled, ready to save or serve.
    history_ : dict of str to list of float
        Per-epoch ``loss`` (total), ``hard_loss``, ``soft_loss`` and
        ``accuracy`` on the training rows, and ``val_``-prefixed versions when
        ``validation_fraction > 0``. Without a teacher (``alpha=1``,
        ``teacher=None``) there is no ``soft_loss``.

    See Also
    --------
    KerasTeacher : Reading a Keras model's outputs as a teacher.
    EnsembleTeacher : Several teachers combined.
    MLPStudent : The default student.

    Notes
    -----
    Rows passed as ``X_unlabeled`` to :meth:`fit` have no label and carry only
    the soft term. ``sample_weight`` weights both terms of a row.

    References
    ----------
    G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural
    Network", NIPS Deep Learning Workshop, 2015.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skdistill import DistilledClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> teacher = RandomForestClassifier(random_state=0).fit(X, y)
    >>> # A forest's probabilities are soft already: no further softening.
    >>> clf = DistilledClassifier(
    ...     teacher=teacher, temperature=1.0, epochs=5, random_state=0
    ... )
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    def __init__(
        self,
        *,
        teacher=None,
        student=None,
        temperature=4.0,
        alpha=0.1,
        scale_soft_loss=True,
        augment=None,
        teacher_cv=None,
        epochs=20,
        batch_size=32,
        optimizer="adam",
        learning_rate=0.001,
        validation_fraction=0.0,
        callbacks=None,
        inference_batch_size=4096,
        teacher_cache=True,
        memory=None,
        random_state=None,
        verbose=0,
    ):
        self.teacher = teacher
        self.student = student
        self.temperature = temperature
        self.alpha = alpha
        self.scale_soft_loss = scale_soft_loss
        self.augment = augment
        self.teacher_cv = teacher_cv
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.callbacks = callbacks
        self.inference_batch_size = inference_batch_size
        self.teacher_cache = teacher_cache
        self.memory = memory
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_clone__(self):
        # Like scikit-learn's clone, except that a fitted teacher (and a Keras
        # model used as a student template) is shared rather than copied:
        # cloning must not unfit a teacher trained elsewhere, and tuning
        # temperature or alpha must not copy a large model per candidate.
        params = self.get_params(deep=False)
        teacher, student = params.pop("teacher"), params.pop("student")
        params = {name: clone(value, safe=False) for name, value in params.items()}
        keras_module = _loaded_keras()
        if keras_module is None or not isinstance(student, keras_module.Model):
            student = clone(student, safe=False)
        return type(self)(teacher=clone_teacher(teacher), student=student, **params)

    def _validate_params(self):
        check_scalar(
            self.temperature,
            "temperature",
            Real,
            min_val=0,
            include_boundaries="neither",
        )
        check_scalar(self.alpha, "alpha", Real, min_val=0, max_val=1)
        check_scalar(self.epochs, "epochs", Integral, min_val=1)
        check_scalar(self.batch_size, "batch_size", Integral, min_val=1)
        check_scalar(
            self.inference_batch_size, "inference_batch_size", Integral, min_val=1
        )
        check_scalar(
            self.validation_fraction,
            "validation_fraction",
            Real,
            min_val=0,
            max_val=1,
            include_boundaries="left",
        )
        check_scalar(self.verbose, "verbose", Integral, min_val=0, max_val=2)
        if self.learning_rate is not None:
            check_scalar(
                self.learning_rate,
                "learning_rate",
                Real,
                min_val=0,
                include_boundaries="neither",
            )
        for name in ("scale_soft_loss", "teacher_cache"):
            value = getattr(self, name)
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False; got {value!r}.")
        check_augment(self.augment)
        if self.callbacks is not None and not isinstance(self.callbacks, (list, tuple)):
            raise TypeError(
                "callbacks must be None or a list of keras.callbacks.Callback; got "
                f"{type(self.callbacks).__name__}."
            )

    def _make_optimizer(self, keras):
        optimizer = self.optimizer
        if isinstance(optimizer, str):
            try:
                optimizer = keras.optimizers.get(optimizer)
            except ValueError as exc:
                raise ValueError(
                    f"optimizer {optimizer!r} is not a Keras optimizer name such as "
                    "'adam', 'sgd' or 'rmsprop'."
                ) from exc
        elif not isinstance(optimizer, keras.optimizers.Optimizer):
            raise TypeError(
                "optimizer must be a Keras optimizer name or instance; got "
                f"{type(optimizer).__name__}."
            )
        config = optimizer.get_config()
        if self.learning_rate is not None:
            config["learning_rate"] = float(self.learning_rate)
        return type(optimizer).from_config(config)

    def _check_unlabeled(self, X_unlabeled, X, streamed):
        if X_unlabeled is None:
            return None
        X_unlabeled = check_array(
            X_unlabeled,
            allow_nd=True,
            dtype="numeric" if streamed else np.float32,
            ensure_all_finite=not streamed,
            input_name="X_unlabeled",
        )
        if X_unlabeled.shape[1:] != X.shape[1:]:
            raise ValueError(
                f"X_unlabeled rows must have the shape of X's rows, {X.shape[1:]}; "
                f"got {X_unlabeled.shape[1:]}."
            )
        return X_unlabeled

    def fit(self, X, y, sample_weight=None, X_unlabeled=None):
        """Fit the teacher if it is unfitted, then train a fresh student.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training rows: a table, or n-D samples such as images
            ``(n_samples, 28, 28, 1)``. A ``numpy.memmap``
            (``np.load(path, mmap_mode="r")``) is streamed in blocks rather
            than copied; see "Scaling out" in the docs.
        y : array-like of shape (n_samples,)
            Labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each labeled row, applied to both loss terms
            (and passed to an unfitted teacher's ``fit`` where it accepts it).
        X_unlabeled : array-like of shape (n_unlabeled, ...), default=None
            Transfer rows with no label: the teacher labels them and they carry
            only the soft term. Ignored when ``alpha=1``.

        Returns
        -------
        self : DistilledClassifier
            The fitted estimator.
        """
        self._validate_params()
        # A memory-mapped X is streamed block by block, never copied whole.
        streamed = is_memmap(X) or is_memmap(X_unlabeled)
        X_source, X_unlabeled_source = X, X_unlabeled
        X, y = validate_data(
            self,
            X,
            y,
            allow_nd=True,
            dtype="numeric" if streamed else np.float32,
            ensure_all_finite=not streamed,
        )
        check_classification_targets(y)
        sample_weight = _check_sample_weight(sample_weight, len(X))
        X_unlabeled = self._check_unlabeled(X_unlabeled, X, streamed)
        if self.alpha == 1:
            X_unlabeled = None
        if streamed:
            self._check_streamable()
        self.input_shape_ = tuple(X.shape[1:])

        keras = import_keras()
        seed = _seed_or_none(self.random_state)
        with keras_seed(seed):
            if streamed:
                # Read from the memmaps themselves, whose pages can be released.
                arrays, names = [X_source if is_memmap(X_source) else X], ["X"]
                if X_unlabeled is not None:
                    arrays.append(
                        X_unlabeled_source
                        if is_memmap(X_unlabeled_source)
                        else X_unlabeled
                    )
                    names.append("X_unlabeled")
                rows = BlockReader(arrays, names)
            else:
                rows = X if X_unlabeled is None else np.concatenate([X, X_unlabeled])
                rows = self._augmented(rows, seed)
            t_logits, stats = self._fit_teacher_outputs(X, y, sample_weight, rows)
            packed, weights = self._packed_targets(y, sample_weight, t_logits)
            del t_logits  # packed holds a copy; free it before training
            student = build_student(self.student, self._meta(stats, len(packed)))
            history = self._train(keras, student, rows, packed, weights, len(X), seed)
        self.student_model_ = student
        self.history_ = {
            name: [float(v) for v in values] for name, values in history.history.items()
        }
        return self

    def _check_streamable(self):
        """Options that need every row in memory at once cannot stream."""
        for name in ("augment", "teacher_cv"):
            if getattr(self, name) is not None and self.alpha != 1:
                raise ValueError(
                    f"{name}={getattr(self, name)!r} needs the training rows in "
                    "memory, but X or X_unlabeled is a numpy.memmap, which fit "
                    f"streams block by block. Set {name}=None, or pass in-memory "
                    "arrays (np.asarray(X))."
                )

    def _augmented(self, X_all, seed):
        """``X_all`` followed by the synthetic rows ``augment`` makes from it."""
        augmenter = check_augment(self.augment)
        if augmenter is None or self.alpha == 1:
            return X_all
        synthetic = augmenter.generate(X_all, random_state=seed)
        synthetic = np.asarray(synthetic, dtype=np.float32)
        if synthetic.shape[1:] != X_all.shape[1:]:
            raise ValueError(
                f"augment made rows of shape {synthetic.shape[1:]}; the training "
                f"rows have shape {X_all.shape[1:]}."
            )
        return np.concatenate([X_all, synthetic])

    def _fit_teacher_outputs(self, X, y, sample_weight, rows):
        """Set ``teacher_`` and ``classes_``; return logits and feature statistics.

        ``rows`` is the in-memory array of every training row, or a
        :class:`BlockReader` over memory-mapped ones, which are then read in
        one pass that checks them, accumulates the feature statistics and runs
        the teacher block by block, bypassing the caches (hashing the rows
        would read them once more).
        """
        streamed = isinstance(rows, BlockReader)
        if self.teacher is None and self.alpha == 1:
            # Training from scratch needs no teacher.
            self.teacher_ = None
            self.classes_ = np.unique(y)
            logits = np.zeros((len(rows), len(self.classes_)), np.float32)
            if streamed:
                return logits, stream_pass(rows, None, verbose=self.verbose)[1]
            return logits, _feature_stats(rows)
        outputs = _TeacherOutputs(
            resolve_teacher(self.teacher),
            X,
            y,
            sample_weight,
            use_cache=self.teacher_cache and not streamed,
            memory=None if streamed else _check_memory(self.memory),
        )
        # Without the soft term, out-of-fold targets would change nothing.
        if streamed:
            self.teacher_ = outputs.fitted()[0]
            (t_classes, t_logits), stats = stream_pass(
                rows, self.teacher_, verbose=self.verbose
            )
        elif self.teacher_cv is None or self.alpha == 1:
            self.teacher_, t_classes, t_logits = outputs.logits(rows)
            stats = _feature_stats(rows)
        else:
            self.teacher_, t_classes, t_logits = outputs.out_of_fold(
                rows, self.teacher_cv
            )
            stats = _feature_stats(rows)
        self.classes_, t_logits = _align_to_teacher(y, np.asarray(t_classes), t_logits)
        return t_logits, stats

    def _packed_targets(self, y, sample_weight, t_logits):
        """Targets for the loss (labeled rows first) and per-row weights."""
        from ._loss import pack_targets

        n_rows, n_labeled = len(t_logits), len(y)
        labeled = np.zeros(n_rows, dtype=np.float32)
        labeled[:n_labeled] = 1.0
        y_index = np.zeros(n_rows, dtype=np.float32)
        y_index[:n_labeled] = np.searchsorted(self.classes_, y)
        weights = np.ones(n_rows, dtype=np.float32)
        weights[:n_labeled] = sample_weight
        return pack_targets(y_index, labeled, t_logits), weights

    def _meta(self, stats, n_samples):
        feature_mean, feature_std = stats
        return {
            "input_shape": self.input_shape_,
            "n_features_in_": self.n_features_in_,
            "n_classes_": len(self.classes_),
            "classes_": self.classes_,
            "feature_mean": feature_mean,
            "feature_std": feature_std,
            "n_samples": n_samples,
        }

    def _train(self, keras, student, rows, packed, weights, n_labeled, seed):
        """Train ``student`` with Keras's ``fit``; return the History.

        The compiled training model is taken from, and returned to, the cache of
        ``skdistill._trainer`` when one of the same structure exists, which
        saves tracing the training step again.
        """
        batch_size = int(self.batch_size)
        data, validation_data, n_fit_rows = self._training_data(
            rows, packed, weights, n_labeled, seed
        )
        steps_per_epoch = -(-n_fit_rows // batch_size)
        # Several steps per call into the backend: per-step Python overhead
        # otherwise dominates for small students. Keras's PyTorch trainer
        # takes one step per call only.
        steps_per_execution = min(_STEPS_PER_EXECUTION, steps_per_epoch)
        if keras.backend.backend() == "torch":
            steps_per_execution = 1
        optimizer = self._make_optimizer(keras)
        soft = self.teacher_ is not None
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
            scale_soft_loss=bool(self.scale_soft_loss),
            # The loss leaves out a term of weight 0: alpha's value is a
            # variable, whether it is 0, 1 or in between is structure.
            alpha_kind={0: "soft only", 1: "hard only"}.get(self.alpha, "both"),
            soft=soft,
            validation=validation_data is not None,
            input_shape=self.input_shape_,
        )
        trainer = TRAINERS.take(key) if key is not None else None
        if trainer is None:
            # A student of the cache's own when it will be kept for reuse.
            owned = student if key is None else _clone_or_none(keras, student)
            if owned is None:
                owned, key = student, None
            trainer = self._new_trainer(
                keras, owned, optimizer, steps_per_execution, soft
            )
        if trainer.student is not student:
            trainer.load(student, self.temperature, self.alpha)
        history = trainer.model.fit(
            **data,
            validation_data=validation_data,
            epochs=int(self.epochs),
            callbacks=[copy.deepcopy(c) for c in self.callbacks or ()],
            verbose=int(self.verbose),
        )
        if trainer.student is not student:
            trainer.unload(student)
        if key is not None:
            TRAINERS.put(key, trainer)
        return history

    def _new_trainer(self, keras, student, optimizer, steps_per_execution, soft):
        from ._loss import DistillationLoss, training_metrics

        train_model = self._training_model(keras, student)
        loss = DistillationLoss(self.temperature, self.alpha, self.scale_soft_loss)
        metrics = training_metrics(self.temperature, self.scale_soft_loss, soft=soft)
        train_model.compile(
            optimizer=optimizer,
            loss=loss,
            metrics=metrics,
            steps_per_execution=steps_per_execution,
        )
        return Trainer(train_model, student, loss, metrics)

    def _training_model(self, keras, student):
        # The student stays uncompiled (clean to save or serve); a thin
        # functional wrapper sharing its layers carries the loss.
        inputs = keras.Input(shape=self.input_shape_)
        outputs = student(inputs)
        if outputs_probabilities(student):
            outputs = keras.ops.log(keras.ops.clip(outputs, 1e-12, 1.0))
        return keras.Model(inputs, outputs)

    def _training_data(self, rows, packed, weights, n_labeled, seed):
        """Keras ``fit`` arguments for the training rows, the validation data and
        the number of training rows.

        In-memory rows become a shuffled ``tf.data`` pipeline (or arrays, off
        TensorFlow); a :class:`BlockReader` becomes a ``PyDataset`` that reads
        a block at a time. Under a Keras distribution that splits each batch
        across devices, the row counts are trimmed to a multiple of the number
        of devices (see :func:`_trim_to_shards`).
        """
        batch_size = int(self.batch_size)
        split = self._validation_split(packed, n_labeled, seed)
        if split is None:
            fit_rows, val_idx = np.arange(len(packed)), None
        else:
            train_idx, val_idx = split
            fit_rows = np.concatenate([train_idx, np.arange(n_labeled, len(packed))])
        shards = _batch_shards(batch_size)
        if shards > 1:
            fit_rows = _trim_to_shards(fit_rows, shards, seed)
            if val_idx is not None:
                val_idx = _trim_to_shards(val_idx, shards, seed)
        n_fit_rows = len(fit_rows)

        if isinstance(rows, BlockReader):
            batches = functools.partial(
                streamed_batches,
                rows,
                packed,
                weights,
                batch_size=batch_size,
                seed=seed,
            )
            data = {"x": batches(fit_rows, shuffle=True), "shuffle": False}
            validation_data = (
                None if val_idx is None else batches(val_idx, shuffle=False)
            )
            return data, validation_data, n_fit_rows

        if n_fit_rows == len(packed) and split is None:
            # Every row in order: a slice indexes without copying the rows.
            fit_rows = slice(None)
        data = training_data(
            rows[fit_rows],
            packed[fit_rows],
            weights[fit_rows],
            batch_size=batch_size,
            seed=seed,
        )
        validation_data = (
            None
            if val_idx is None
            else (rows[val_idx], packed[val_idx], weights[val_idx])
        )
        return data, validation_data, n_fit_rows

    def _validation_split(self, packed, n_labeled, seed):
        """Training and held-out labeled rows (``validation_fraction``), or None."""
        if not self.validation_fraction:
            return None
        labels = packed[:n_labeled, 0]
        counts = np.bincount(labels.astype(int))
        n_classes = np.count_nonzero(counts)
        n_val = int(np.ceil(self.validation_fraction * n_labeled))
        # Stratify where every class can appear on both sides of the split.
        can_stratify = counts[counts > 0].min() >= 2 and (
            n_classes <= n_val <= n_labeled - n_classes
        )
        stratify = labels if can_stratify else None
        return train_test_split(
            np.arange(n_labeled),
            test_size=self.validation_fraction,
            stratify=stratify,
            random_state=seed,
        )

    def _student_logits(self, X):
        check_is_fitted(self)
        source, streamed = X, is_memmap(X)
        X = validate_data(
            self,
            X,
            reset=False,
            allow_nd=True,
            dtype="numeric" if streamed else np.float32,
            ensure_all_finite=not streamed,
        )
        if tuple(X.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {tuple(X.shape[1:])}, but "
                f"{type(self).__name__} was fitted on samples of shape "
                f"{self.input_shape_}."
            )
        model = self.student_model_
        # The first prediction runs eagerly: one-off calls (scoring in a
        # search) pay no tracing. Later ones reuse a traced forward pass,
        # several times faster per call when a model is served.
        calls = getattr(model, "_skdistill_predict_calls", 0)
        model._skdistill_predict_calls = calls + 1
        predict = functools.partial(
            predict_logits,
            model,
            batch_size=int(self.inference_batch_size),
            probabilities=outputs_probabilities(model),
            compiled=calls > 0 and _loaded_keras().backend.backend() == "tensorflow",
        )
        if not streamed:
            return predict(X)
        # A memory-mapped X is read, checked and predicted a block at a time.
        return map_blocks(BlockReader([source], ["X"]), predict)

    def predict_proba(self, X):
        """Class probabilities from the student.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Samples of the shape seen in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        return softmax(self._student_logits(X).astype(np.float64), axis=1)

    def predict(self, X):
        """Predict a class for each sample with the student.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Samples of the shape seen in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        logits = self._student_logits(X)
        return self.classes_[np.argmax(logits, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


def _batch_shards(batch_size):
    """Devices a global Keras distribution splits each batch across (1 if none).

    Checks that ``batch_size`` splits evenly across them.
    """
    keras = _loaded_keras()
    distribution = keras.distribution.distribution() if keras is not None else None
    mesh = getattr(distribution, "device_mesh", None)
    batch_dim = getattr(distribution, "batch_dim_name", None)
    if mesh is None or batch_dim not in mesh.axis_names:
        return 1
    shards = int(mesh.shape[list(mesh.axis_names).index(batch_dim)])
    if shards > 1 and batch_size % shards:
        raise ValueError(
            f"batch_size={batch_size} does not split across the {shards} devices "
            f"of the Keras distribution ({type(distribution).__name__}): set "
            f"batch_size to a multiple of {shards}."
        )
    return shards


def _trim_to_shards(rows, shards, seed):
    """``rows`` less a few chosen at random, so that ``shards`` divides their count.

    Under a data-parallel distribution each batch, the last one included, is
    split evenly across devices; up to ``shards - 1`` rows sit out the fit.
    """
    extra = len(rows) % shards
    if not extra:
        return rows
    drop = np.random.default_rng(seed).choice(len(rows), size=extra, replace=False)
    return np.delete(rows, drop)


def _clone_or_none(keras, model):
    """A fresh copy of ``model``'s architecture, or None where it cannot be made."""
    try:
        return keras.models.clone_model(model)
    except Exception:  # noqa: BLE001 - any failure means: do not reuse
        return None


def _loaded_keras():
    import sys

    return sys.modules.get("keras")
