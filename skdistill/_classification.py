"""DistilledClassifier: a scikit-learn classifier trained by knowledge distillation.

The shared contract and ``fit`` live in :mod:`skdistill._base`; this module
holds the classifier's contract, its choice of task
(:class:`~skdistill.distill._targets.ClassificationTask`: the checks of ``y``,
the teacher's logits aligned with the classes, the soft targets and loss) and
its predictions.
"""

from numbers import Real

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.base import ClassifierMixin, is_classifier
from sklearn.utils._param_validation import Interval

from ._base import BaseDistiller
from .distill._targets import ClassificationTask
from .students._sklearn import student_outputs


class DistilledClassifier(ClassifierMixin, BaseDistiller):
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
    preprocessor : transformer or None, default=None
        A scikit-learn transformer between the rows and the student only,
        such as a ``ColumnTransformer`` that one-hot encodes a data frame's
        categorical columns for a Keras student. It is cloned and fitted on
        the student's training rows (labeled, transfer and synthetic) and
        applied in ``predict``; the teacher never sees it and reads the rows
        as given. The Keras student's input width is the transformer's output
        width. Searchable as ``preprocessor__<param>``; it serves
        scikit-learn students too. See the user guide on tables.
    temperature : float, default=4.0
        Softening temperature ``T`` (> 0) applied to teacher and student logits
        in the soft term.
    alpha : float, default=0.1
        Weight of the hard (true-label) term, in [0, 1]; ``1 - alpha`` weights
        the soft term. With ``alpha=1`` the teacher is never run (nor fitted),
        and the classes are those of ``y``, or a fitted teacher's ``classes_``.
    scale_soft_loss : bool, default=True
        Multiply the soft term by ``T**2``, so its gradients keep their size as
        ``T`` changes (Hinton et al. 2015). ``False`` leaves it out, for
        comparison with losses written without it.
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
        on rows it did not see; the user guide on transfer sets says when
        that pays. The teacher fitted on all rows becomes
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
        computes them afresh on every fit. The outputs on a Dask
        ``X_unlabeled`` are not cached: they stay beside their rows on the
        cluster for one fit.
    memory : str, path, joblib.Memory or None, default=None
        Also store the teacher's outputs, and the fit of an unfitted teacher,
        on disk through ``joblib.Memory`` (scikit-learn's ``memory``
        convention, as in ``Pipeline``): a directory path, or a ``Memory``
        object. Other processes then reuse them: the workers of a search with
        ``n_jobs``, and later runs. Entries are keyed by the same content
        fingerprints as the in-process cache; clear them with
        ``memory.clear()``. ``None`` stores nothing on disk. The outputs on a
        Dask ``X_unlabeled`` are not stored.
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
    preprocessor_ : transformer or None
        The fitted clone of ``preprocessor``; None without one.
    teacher_ : object or None
        The fitted teacher: ``teacher`` itself if it was fitted, else the clone
        fitted in ``fit``; ``None`` when trained from scratch without one, and
        with ``alpha=1``, which neither fits nor runs an unfitted teacher.
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
    DistilledRegressor : The same for regression.

    Notes
    -----
    Rows passed as ``X_unlabeled`` to :meth:`fit` have no label and carry only
    the soft term. ``sample_weight`` weights both terms of a row.
    ``X_unlabeled`` may be a ``dask.array.Array`` or a
    ``dask.dataframe.DataFrame`` too: the teacher labels each partition on
    the Dask worker that holds it (see :meth:`fit`, and "Scaling out" in
    the user guide).

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
    >>> clf = DistilledClassifier(
    ...     teacher=teacher, temperature=1.0, random_state=0
    ... )
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    _task = "classification"

    _parameter_constraints = {
        **BaseDistiller._parameter_constraints,
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "scale_soft_loss": ["boolean"],
    }

    def __init__(
        self,
        *,
        teacher=None,
        student=None,
        preprocessor=None,
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
        super().__init__(
            teacher=teacher,
            student=student,
            preprocessor=preprocessor,
            alpha=alpha,
            augment=augment,
            teacher_cv=teacher_cv,
            epochs=epochs,
            batch_size=batch_size,
            optimizer=optimizer,
            learning_rate=learning_rate,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            callbacks=callbacks,
            inference_batch_size=inference_batch_size,
            teacher_cache=teacher_cache,
            memory=memory,
            random_state=random_state,
            verbose=verbose,
        )
        self.temperature = temperature
        self.scale_soft_loss = scale_soft_loss

    def _make_task(self):
        return ClassificationTask(
            temperature=self.temperature,
            alpha=self.alpha,
            scale_soft_loss=self.scale_soft_loss,
        )

    def _set_task_attributes(self, task):
        self.classes_ = task.classes

    def _student_outputs(self, X, *, labels=False):
        """The student's outputs on ``X``, and their kind.

        The kind is ``"logits"`` (Keras students, scikit-learn regressors),
        ``"probabilities"`` (scikit-learn classifiers) or, when ``labels`` is
        asked for, ``"labels"`` from a scikit-learn classifier's ``predict``.
        """
        X, source = self._validated_X(X)
        if hasattr(self, "student_model_"):
            return self._keras_outputs(X, source), "logits"
        student = self.student_
        if not is_classifier(student):
            return student_outputs(student, X, self.classes_), "logits"
        if labels:
            return student.predict(X), "labels"
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
