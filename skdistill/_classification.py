"""DistilledClassifier: a scikit-learn classifier trained by knowledge distillation.

This module holds the estimator's contract: its parameters and their checks,
``clone``, and a ``fit`` that reads as the steps it takes. Each step lives in
the module of its concept: the teacher's outputs in ``_teacher_outputs``, the
training rows and their targets in ``_training_set``, the student in
``_students`` and its training in ``_trainer``.
"""

import contextlib
import sys
from numbers import Integral, Real

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    _fit_context,
    clone,
    is_classifier,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._keras import ForwardPass, import_keras, keras_seed, seed_from
from ._outofcore import BlockReader, is_memmap, map_blocks
from ._sklearn_students import fit_sklearn_student, is_sklearn_student, student_outputs
from ._students import build_student, check_student, student_meta
from ._teacher_outputs import check_memory, teacher_outputs
from ._teachers import check_teacher, clone_teacher
from ._trainer import TRAINING_SETTINGS, check_training_settings, train_student
from ._training_set import (
    check_sample_weight,
    check_streamable,
    check_unlabeled,
    packed_targets,
    row_weights,
    training_rows,
)
from ._transfer import check_augment


class DistilledClassifier(ClassifierMixin, BaseEstimator):
    r"""A small classifier trained to imitate a teacher (knowledge distillation).

    The student is trained on a weighted sum of the cross-entropy with the true
    labels and the divergence from the teacher's temperature-softened
    predictions (Hinton, Vinyals and Dean, 2015):

    .. math::

        L = \alpha \, \mathrm{CE}(y, z_s) + (1 - \alpha) \, T^2 \,
            \mathrm{KL}\big(\mathrm{softmax}(z_t / T) \,\|\,
            \mathrm{softmax}(z_s / T)\big)

    with ``z_s`` and ``z_t`` the student's and teacher's logits. ``alpha=1`` is
    the student trained from scratch; ``alpha=0`` is pure distillation. See the
    user guide for the conventions. A Keras student is trained on this loss; a
    scikit-learn student learns the same targets, ``alpha`` times the labels
    plus ``1 - alpha`` times the softened teacher, through its own ``fit``.

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
    student : estimator, callable, keras.Model or None, default=None
        The student, fresh at each ``fit``. An unfitted scikit-learn
        estimator is cloned and fitted on the soft targets: a classifier
        whose ``fit`` takes ``sample_weight`` by soft-label expansion, a
        regressor by matching the teacher's logits (see the user guide on
        students); its hyperparameters are searchable as
        ``student__max_depth`` and so on. Otherwise a Keras student: a
        callable returning an uncompiled ``keras.Model`` with one output per
        class, given ``meta`` when its signature asks (see
        :class:`StudentBuilder`); a ``keras.Model`` used as a template (its
        architecture is cloned with fresh weights); or ``None`` for
        ``MLPStudent()``. The training settings below (``epochs`` to
        ``inference_batch_size``, ``scale_soft_loss``) apply to Keras
        students only.
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
    epochs : int, default=200
        The most passes over the training rows; training stops earlier once
        the loss stops improving (see ``n_iter_no_change``).
    batch_size : int or "auto", default="auto"
        Rows per gradient step; ``"auto"`` is ``min(200, n_rows)`` over the
        labeled and transfer rows, as in ``MLPClassifier``.
    optimizer : str or keras.optimizers.Optimizer, default="adam"
        The optimizer, by name or as an instance; an instance is copied from its
        config, never trained in place.
    learning_rate : float or None, default=0.001
        Learning rate; ``None`` keeps the optimizer's own.
    validation_fraction : float, default=0.0
        Fraction of the labeled rows held out (stratified where possible) to
        report ``val_*`` metrics in ``history_`` each epoch, in [0, 1). When
        above 0, early stopping watches the held-out loss and the best
        epoch's weights are kept.
    n_iter_no_change : int or None, default=10
        Stop training once the loss (the held-out loss when
        ``validation_fraction > 0``, else the training loss) has not improved
        by at least ``tol`` for this many epochs in a row, as
        ``MLPClassifier`` does. ``None`` always trains all ``epochs``. An
        ``EarlyStopping`` in ``callbacks`` replaces this rule.
    tol : float, default=1e-4
        The least decrease of the loss that counts as an improvement for
        ``n_iter_no_change``.
    callbacks : list of keras.callbacks.Callback, default=None
        Keras callbacks for the student's training, e.g. ``EarlyStopping``
        with settings of your own. Each ``fit`` uses deep copies.
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
    student_ : estimator or keras.Model
        The fitted student, of either kind.
    student_model_ : keras.Model
        The trained Keras student, uncompiled, ready to save or serve (the
        same object as ``student_``); absent for a scikit-learn student.
    n_iter_ : int
        Epochs the Keras student was trained for: ``epochs``, or fewer when
        training stopped early. Keras students only.
    history_ : dict of str to list of float
        Per-epoch ``loss`` (total), ``hard_loss``, ``soft_loss`` and
        ``accuracy`` on the training rows, and ``val_``-prefixed versions when
        ``validation_fraction > 0``. Without a teacher (``alpha=1``,
        ``teacher=None``) there is no ``soft_loss``. Keras students only.

    See Also
    --------
    KerasTeacher : Reading a Keras model's outputs as a teacher.
    EnsembleTeacher : Several teachers combined.
    MLPStudent : The default student.

    Notes
    -----
    Rows passed as ``X_unlabeled`` to :meth:`fit` have no label and carry only
    the soft term. ``sample_weight`` weights both terms of a row.

    Every parameter is checked at the start of :meth:`fit`, before the teacher
    is fitted or run, so a typo costs no teacher pass. The teacher's outputs
    are checked too: non-finite values, probability rows that do not sum to 1
    or a wrong number of columns raise a ``ValueError`` naming the teacher (or
    the ensemble member) and how many rows are affected.

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
    >>> clf = DistilledClassifier(teacher=teacher, temperature=1.0, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    _parameter_constraints = {
        # Objects of several kinds, checked in _validate_params with messages
        # that list the kinds accepted.
        "teacher": "no_validation",
        "student": "no_validation",
        "augment": "no_validation",
        "optimizer": "no_validation",
        "callbacks": "no_validation",
        "memory": "no_validation",
        "teacher_cv": [None, "cv_object"],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "scale_soft_loss": ["boolean"],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [None, Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "n_iter_no_change": [None, Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "inference_batch_size": [Interval(Integral, 1, None, closed="left")],
        "teacher_cache": ["boolean"],
        "random_state": ["random_state"],
        "verbose": [Interval(Integral, 0, 2, closed="both")],
    }

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
        epochs=200,
        batch_size="auto",
        optimizer="adam",
        learning_rate=0.001,
        validation_fraction=0.0,
        n_iter_no_change=10,
        tol=1e-4,
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
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
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
        keras_module = sys.modules.get("keras")
        if keras_module is None or not isinstance(student, keras_module.Model):
            student = clone(student, safe=False)
        new = type(self)(teacher=clone_teacher(teacher), student=student, **params)
        # What scikit-learn's clone carries over besides the parameters: the
        # metadata requests (set_fit_request), its callbacks, set_output.
        if hasattr(self, "_metadata_request"):
            new._metadata_request = clone(self._metadata_request)
        if hasattr(self, "_skl_callbacks"):
            new._skl_callbacks = self._skl_callbacks
        if hasattr(self, "_sklearn_output_config"):
            new._sklearn_output_config = dict(self._sklearn_output_config)
        return new

    def _validate_params(self):
        """Check every parameter; called by ``fit`` before any teacher work.

        Ranges and types are scikit-learn's ``_parameter_constraints``; the
        parameters that take objects of several kinds are checked here.
        """
        super()._validate_params()
        check_teacher(self.teacher, alpha=self.alpha, teacher_cv=self.teacher_cv)
        check_student(self.student)
        check_augment(self.augment)
        check_memory(self.memory)
        # Keras is loaded to check a Keras student's training settings only.
        keras_student = not is_sklearn_student(self.student)
        check_training_settings(
            self.callbacks, self.optimizer, self.learning_rate, keras=keras_student
        )

    def _validate_fit_data(self, X, y, sample_weight, X_unlabeled):
        """Checked ``X``, ``y``, weights and transfer rows, and whether to stream."""
        # A memory-mapped X is streamed block by block to a Keras student,
        # never copied whole; a scikit-learn student fits on rows in memory.
        streamed = (is_memmap(X) or is_memmap(X_unlabeled)) and not (
            is_sklearn_student(self.student)
        )
        X, y = validate_data(
            self,
            X,
            y,
            allow_nd=True,
            dtype="numeric" if streamed else np.float32,
            ensure_all_finite=not streamed,
        )
        check_classification_targets(y)
        sample_weight = check_sample_weight(sample_weight, len(X))
        X_unlabeled = check_unlabeled(X_unlabeled, X, streamed)
        if streamed:
            check_streamable(self)
        return X, y, sample_weight, X_unlabeled, streamed

    @_fit_context(prefer_skip_nested_validation=False)
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
        sources = (X, X_unlabeled)
        X, y, sample_weight, X_unlabeled, streamed = self._validate_fit_data(
            X, y, sample_weight, X_unlabeled
        )
        # Transfer rows, synthetic rows and out-of-fold targets serve only
        # the soft term.
        soft_term = self.alpha != 1
        input_shape = tuple(X.shape[1:])
        seed = seed_from(self.random_state)
        keras_student = not is_sklearn_student(self.student)
        with keras_seed(seed) if keras_student else contextlib.nullcontext():
            rows = training_rows(
                X,
                X_unlabeled if soft_term else None,
                sources=sources if streamed else None,
                augment=self.augment if soft_term else None,
                seed=seed,
            )
            taught = teacher_outputs(
                self.teacher,
                X,
                y,
                sample_weight,
                rows,
                teacher_cv=self.teacher_cv if soft_term else None,
                use_cache=self.teacher_cache,
                memory=self.memory,
                verbose=self.verbose,
            )
            if keras_student:
                targets, weights = packed_targets(
                    taught.classes, y, sample_weight, taught.logits
                )
                taught = taught._replace(logits=None)  # targets hold a copy
                student, history = self._fit_keras_student(
                    rows,
                    targets,
                    weights,
                    taught,
                    n_labeled=len(X),
                    input_shape=input_shape,
                    seed=seed,
                )
            else:
                student = fit_sklearn_student(
                    self.student,
                    rows,
                    taught.logits,
                    np.searchsorted(taught.classes, y),
                    row_weights(sample_weight, len(rows)),
                    taught.classes,
                    alpha=self.alpha,
                    temperature=self.temperature,
                    seed=seed,
                )
        self.teacher_ = taught.teacher
        self.classes_ = taught.classes
        self.input_shape_ = input_shape
        self.student_ = student
        if keras_student:
            self.student_model_ = student
            self.history_ = {
                name: [float(v) for v in values] for name, values in history.items()
            }
            self.n_iter_ = len(self.history_["loss"])
            self._forward = ForwardPass()
        return self

    def _fit_keras_student(
        self, rows, targets, weights, taught, *, n_labeled, input_shape, seed
    ):
        """Build a fresh Keras student and train it; return it and its History."""
        meta = student_meta(
            rows,
            taught.classes,
            input_shape=input_shape,
            n_features_in=self.n_features_in_,
            feature_stats=taught.feature_stats,
        )
        student = build_student(self.student, meta)
        settings = {name: getattr(self, name) for name in TRAINING_SETTINGS}
        history = train_student(
            import_keras(),
            student,
            rows,
            targets,
            weights,
            n_labeled=n_labeled,
            input_shape=input_shape,
            soft=taught.teacher is not None,
            seed=seed,
            **settings,
        )
        return student, history

    def _student_outputs(self, X, *, labels=False):
        """The student's outputs on ``X``, and their kind.

        The kind is ``"logits"`` (Keras students, scikit-learn regressors),
        ``"probabilities"`` (scikit-learn classifiers) or, when ``labels`` is
        asked for, ``"labels"`` from a scikit-learn classifier's ``predict``.
        """
        check_is_fitted(self)
        keras_student = hasattr(self, "student_model_")
        # A Keras student reads a memory-mapped X a block at a time.
        source, streamed = X, is_memmap(X) and keras_student
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
        if keras_student:
            forward = getattr(self, "_forward", None) or ForwardPass()
            logits = forward(self.student_model_, int(self.inference_batch_size))
            if streamed:
                return map_blocks(BlockReader([source], ["X"]), logits), "logits"
            return logits(X), "logits"
        student = self.student_
        if not is_classifier(student):
            return student_outputs(student, X, self.classes_), "logits"
        if labels:
            return student.predict(X.reshape(len(X), -1)), "labels"
        return student_outputs(student, X, self.classes_), "probabilities"

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
        outputs, kind = self._student_outputs(X)
        if kind == "probabilities":
            return outputs
        return softmax(outputs.astype(np.float64), axis=1)

    def predict_log_proba(self, X):
        """Log of the class probabilities from the student.

        From logits (Keras students, regressors) it is a log-softmax, which
        stays finite where ``np.log(predict_proba(X))`` would underflow to
        ``-inf``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Samples of the shape seen in ``fit``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.
        """
        outputs, kind = self._student_outputs(X)
        if kind == "probabilities":
            with np.errstate(divide="ignore"):
                return np.log(outputs)
        return log_softmax(outputs.astype(np.float64), axis=1)

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
        outputs, kind = self._student_outputs(X, labels=True)
        if kind == "labels":
            return outputs
        return self.classes_[np.argmax(outputs, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
