"""
Tuning temperature and alpha with GridSearchCV
==============================================

``temperature`` and ``alpha`` are the two settings that distillation adds to
a student's training. They depend on the teacher and the data, so they are
worth tuning, and ``GridSearchCV`` tunes them like any other hyperparameters.
This example searches them against one teacher trained beforehand, and shows
that the search neither refits nor copies that teacher, and runs it only once
per cross-validation split.
"""

# %%
# Data and teacher
# ----------------
# The teacher is trained once, on the training split only, so that the held-out
# quarter gives an honest final score. Its L2 penalty (the ``MLPClassifier``'s
# own ``alpha``, unrelated to the distillation ``alpha`` below) keeps its
# probabilities from saturating, so they still say which other digits an image
# resembles.
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
teacher = make_pipeline(
    StandardScaler(),
    MLPClassifier(
        hidden_layer_sizes=(512,),
        solver="lbfgs",
        alpha=1.0,
        max_iter=300,
        random_state=0,
    ),
)
teacher.fit(X_train, y_train)

# %%
# The search
# ----------
# ``alpha`` weights the true labels and ``1 - alpha`` the teacher, so
# ``alpha=1.0`` is the student trained from scratch: the baseline the other
# candidates must beat. That student never looks at the teacher, so its
# ``temperature`` has no effect and one value is enough: ``GridSearchCV``
# accepts a list of grids, and the second one holds the baseline alone. Each
# candidate costs three fits (one per fold), so this grid is kept small; adding
# ``0.5`` to the first grid's alphas, say, adds nine fits.
#
# The teacher is passed already fitted. ``GridSearchCV`` clones the estimator
# for every candidate and fold, and a ``DistilledClassifier`` hands a fitted
# teacher to its clones as the same object instead of an unfitted copy.
from sklearn.model_selection import GridSearchCV, StratifiedKFold

import skdistill
from skdistill import DistilledClassifier, MLPStudent

student = DistilledClassifier(
    teacher=teacher,
    student=MLPStudent(hidden_units=(16,), standardize=True),
    epochs=10,
    batch_size=32,
    learning_rate=0.01,
    random_state=0,
)
temperatures = [1.0, 4.0, 10.0]
param_grid = [
    {"temperature": temperatures, "alpha": [0.1]},
    {"temperature": [4.0], "alpha": [1.0]},
]
search = GridSearchCV(
    student, param_grid, cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
)

cache = skdistill.get_teacher_cache()
cache.clear()
search.fit(X_train, y_train)

# %%
# Results
# -------
# One row per candidate, best first: the mean and standard deviation of its
# accuracy over the three validation folds, its rank, and the mean time of one
# fit in seconds.
import pandas as pd

results = pd.DataFrame(search.cv_results_)
table = results[
    [
        "param_alpha",
        "param_temperature",
        "mean_test_score",
        "std_test_score",
        "rank_test_score",
        "mean_fit_time",
    ]
].sort_values("rank_test_score")
# Short headers keep the printed table narrow.
table = table.rename(
    columns={
        "param_alpha": "alpha",
        "param_temperature": "temperature",
        "mean_test_score": "mean score",
        "std_test_score": "std",
        "rank_test_score": "rank",
        "mean_fit_time": "fit time (s)",
    }
)
print(table.round(3).to_string(index=False))

# %%
# The same mean scores as a map: rows are values of ``alpha``, columns values
# of the temperature. The bottom row is the one student trained from scratch,
# which ignores the temperature, so it spans all three columns.
import matplotlib.pyplot as plt
import numpy as np

mean_score = results.set_index(["param_alpha", "param_temperature"])["mean_test_score"]
distilled_row = [mean_score[(0.1, t)] for t in temperatures]
scratch_score = mean_score[(1.0, 4.0)]
scores = np.array([distilled_row, [scratch_score] * len(temperatures)])

fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
image = ax.imshow(scores, cmap="viridis", aspect="auto")
threshold = scores.min() + (scores.max() - scores.min()) / 2
for j, score in enumerate(distilled_row):
    color = "white" if score < threshold else "black"
    ax.text(j, 0, f"{score:.3f}", ha="center", va="center", color=color)
color = "white" if scratch_score < threshold else "black"
ax.text(1, 1, f"{scratch_score:.3f}", ha="center", va="center", color=color)
ax.set_xticks(range(len(temperatures)), [f"{t:g}" for t in temperatures])
ax.set_yticks([0, 1], ["0.1 (distilled)", "1.0 (from scratch)"])
ax.set_xlabel("temperature T")
ax.set_ylabel("alpha (weight of the true labels)")
ax.set_title("Mean 3-fold CV accuracy of the 16-unit student")
fig.colorbar(image, ax=ax, label="mean validation accuracy")
plt.show()

# %%
# The teacher was shared, not refit
# ---------------------------------
# The refitted best estimator holds the very object trained above, as every
# candidate did: no clone of the 512-unit network was made or trained.
best = search.best_estimator_
print(f"best parameters: {search.best_params_}")
print(f"best_estimator_.teacher is teacher:  {best.teacher is teacher}")
print(f"best_estimator_.teacher_ is teacher: {best.teacher_ is teacher}")

# %%
# The teacher's outputs depend only on the rows it is shown, not on
# ``temperature`` or ``alpha``, so the teacher cache computed them once per row:
# the first fold's training rows, then the third of the rows that the second
# fold adds. The third fold and the final refit on the whole training split
# found every row known, as did every other candidate. (``clear()`` above reset
# the counts.)
n_fits = len(results) * search.n_splits_ + 1
print(f"student fits: {n_fits}")
print(f"teacher passes: {cache.misses}, fits served from the cache: {cache.hits}")
print(
    f"rows the teacher ran on: {cache.rows_computed} "
    f"(the training split has {len(X_train)}); rows reused: {cache.rows_reused}"
)

# %%
# Final check on held-out data
# ----------------------------
# The teacher was trained on the whole training split, validation folds
# included, and its soft targets pass a little of what it learned from those
# folds on to the distilled candidates. That flatters them, though not the
# baseline, which ignores the teacher: the search can rank temperatures, but
# the gap to the baseline above is optimistic. The untouched test rows give
# the honest comparison, for which the baseline is refitted once on the
# whole training split.
from sklearn.base import clone

scratch = clone(best).set_params(alpha=1.0).fit(X_train, y_train)
print(f"teacher (MLP, 512 units)          {teacher.score(X_test, y_test):.3f}")
print(f"student from scratch (16 units)   {scratch.score(X_test, y_test):.3f}")
print(f"best distilled student (16 units) {best.score(X_test, y_test):.3f}")

# %%
# On the test rows the two students are within a digit or two of each other
# (each of the 450 test digits is worth 0.2 points): the three points that
# cross-validation promised came from the teacher having seen the validation
# folds. To compare candidates with the baseline without this bias, train the
# teacher on rows that the search never sees, or pass it unfitted so that each
# fold fits its own: the teacher cache then fits it once per fold, not once
# per candidate.
