"""
DistilledClassifier in a Pipeline
=================================

A :class:`~skdistill.DistilledClassifier` is a scikit-learn classifier, so it
can be the last step of a ``Pipeline`` and the whole pipeline can be
cross-validated like any other model. This example puts a PCA in front of it,
lets ``fit`` train the teacher (a logistic regression) on each training fold,
and shows how to pass unlabeled transfer rows through the pipeline to the
distillation step.
"""

# %%
# Data
# ----
# The 8x8 digits, with a stratified quarter held out for the final check.
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# The pipeline
# ------------
# PCA down to 30 components keeps 96% of the digits' variance and gives the
# student 30 inputs instead of 64; whitening gives every component unit
# variance, which suits the logistic regression. Teacher and student both see
# the PCA output, since the ``DistilledClassifier`` is the step after it.
#
# The teacher is passed *unfitted*: ``fit`` clones it and fits it on the same
# rows as the student, so anything that refits the pipeline (here
# ``cross_val_score``) refits the teacher too, and the teacher never sees the
# rows it is scored on. A logistic regression is a modest teacher, but its
# smooth ``predict_proba`` is easy for a small network to imitate, which
# matters when labels are few (below). On this little data the student learns
# faster with a larger ``learning_rate`` than the default.
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skdistill import DistilledClassifier, MLPStudent

pipe = make_pipeline(
    PCA(n_components=30, whiten=True, random_state=0),
    DistilledClassifier(
        teacher=LogisticRegression(max_iter=1000),
        student=MLPStudent(hidden_units=(16,), standardize=True),
        temperature=4.0,
        alpha=0.1,
        epochs=20,
        batch_size=32,
        learning_rate=0.01,
        random_state=0,
    ),
)
print(pipe)

# %%
# Cross-validating the whole procedure
# ------------------------------------
# Each of the three folds fits the PCA, the teacher and the student on the
# other two folds only. For comparison, the teacher alone after the same PCA
# is scored on the same folds.
import pandas as pd
from sklearn.model_selection import StratifiedKFold, cross_val_score

cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
teacher_pipe = make_pipeline(
    PCA(n_components=30, whiten=True, random_state=0),
    LogisticRegression(max_iter=1000),
)
scores = pd.DataFrame(
    {
        "PCA + logistic regression (teacher)": cross_val_score(
            teacher_pipe, X_train, y_train, cv=cv
        ),
        "PCA + distilled student": cross_val_score(pipe, X_train, y_train, cv=cv),
    },
    index=pd.RangeIndex(1, 4, name="fold"),
)
print(scores.round(3))
print(scores.agg(["mean", "std"]).round(3))

# %%
# Routing unlabeled rows through the pipeline
# -------------------------------------------
# Suppose only 150 of the training digits were labeled. The other rows can
# still teach: passed as ``X_unlabeled``, the teacher labels them with its
# soft predictions and the student learns from those alone. A ``Pipeline``
# routes a fit parameter to a step when it is named ``<step>__<parameter>``,
# here ``distilledclassifier__X_unlabeled``.
labeled, unlabeled = train_test_split(
    range(len(X_train)), train_size=150, stratify=y_train, random_state=0
)
X_few, y_few = X_train[labeled], y_train[labeled]
X_unlabeled = X_train[unlabeled]

# %%
# A pipeline passes fit parameters on *as they are*: it transforms ``X``
# through the PCA, but not ``X_unlabeled``. Raw 64-pixel rows would not match
# the student's 30 inputs, and ``fit`` says so:
try:
    pipe.fit(X_few, y_few, distilledclassifier__X_unlabeled=X_unlabeled)
except ValueError as exc:
    print(exc)

# %%
# So transform the unlabeled rows with the pipeline's preprocessing first,
# fitted on the same labeled rows that ``pipe.fit`` will fit it on. (With a
# preprocessing that keeps the number of columns, such as ``StandardScaler``
# alone, the untransformed rows would be accepted silently, and be wrong.)
from sklearn.base import clone

preprocess = clone(pipe[:-1]).fit(X_few)
pipe.fit(
    X_few, y_few, distilledclassifier__X_unlabeled=preprocess.transform(X_unlabeled)
)
with_unlabeled = pipe.score(X_test, y_test)

# %%
# For comparison, the student trained from scratch on the 150 labeled rows
# (``alpha=1.0`` ignores the teacher). With nine times fewer rows it gets ten
# times the epochs, so that both students take about the same number of
# gradient steps. ``teacher_`` is the logistic regression that ``fit`` trained
# on the 150 labeled rows, reachable through the pipeline.
scratch = clone(pipe).set_params(
    distilledclassifier__alpha=1.0, distilledclassifier__epochs=200
)
scratch.fit(X_few, y_few)
teacher = pipe[-1].teacher_

results = pd.Series(
    {
        "teacher (logistic regression, 150 labels)": teacher.score(
            pipe[:-1].transform(X_test), y_test
        ),
        "student from scratch, 150 labels": scratch.score(X_test, y_test),
        f"distilled, 150 labels + {len(X_unlabeled):,} unlabeled": with_unlabeled,
    },
    name="test accuracy",
)
print(results.round(3).to_string())

# %%
# The transfer rows carry the teacher's knowledge to parts of the input space
# that the 150 labeled digits do not cover, which is where a student trained
# on so few rows is weakest. The teacher itself is still limited to what it
# learned from 150 labels: unlabeled rows let the student catch up with it,
# not overtake it.
