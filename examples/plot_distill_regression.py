"""
Distilling a gradient-boosting regressor into a tree and a small network
========================================================================

A gradient-boosting regressor of 100 trees predicts well, but each prediction
walks all of its trees. Suppose its owner shares the fitted model, and not
the 4,000 labeled rows it was trained on, with someone who has 300 labels of
their own and plenty of rows without a label. This example distils the
booster, with :class:`~skdistill.DistilledRegressor`, into two small students
(a ``DecisionTreeRegressor`` of depth 6 and a Keras network with one hidden
layer of 32 units), the booster labelling the unlabeled rows for them, and
compares each with the same student trained on the 300 labels alone: R² on
held-out rows, and the time to predict.

On labeled rows the students are trained on
:math:`\\alpha \\, \\mathrm{MSE}(y, \\hat y_s) + (1 - \\alpha) \\,
\\mathrm{MSE}(\\hat y_t, \\hat y_s)`; unlabeled rows carry the teacher's term
alone. See :ref:`regression`.
"""

# %%
# Data
# ----
# Friedman's first problem (``make_friedman1``): ten features drawn uniformly
# from [0, 1], of which five enter the target,
# :math:`y = 10 \sin(\pi x_0 x_1) + 20 (x_2 - 0.5)^2 + 10 x_3 + 5 x_4`, plus
# Gaussian noise of standard deviation 1. The rows are split four ways:
# 4,000 labeled rows to train the teacher; 300 labeled and 2,700 unlabeled
# rows for the students; and 2,000 rows held out to score everything.
from sklearn.datasets import make_friedman1
from sklearn.model_selection import train_test_split

X, y = make_friedman1(n_samples=9_000, noise=1.0, random_state=0)
X_teacher, X_rest, y_teacher, y_rest = train_test_split(
    X, y, train_size=4_000, random_state=0
)
X_student, X_test, y_student, y_test = train_test_split(
    X_rest, y_rest, test_size=2_000, random_state=0
)
X_few, X_unlabeled, y_few, _ = train_test_split(
    X_student, y_student, train_size=300, random_state=0
)
# The labels of X_unlabeled are thrown away: no student sees them.

# %%
# The teacher
# -----------
# ``HistGradientBoostingRegressor`` with its defaults: 100 boosting
# iterations of trees with up to 31 leaves.
from sklearn.ensemble import HistGradientBoostingRegressor

booster = HistGradientBoostingRegressor(random_state=0)
booster.fit(X_teacher, y_teacher)

# %%
# Four students
# -------------
# Each student is trained twice with the same settings:
#
# - **on labels**: ``alpha=1`` trains the student on the 300 labels alone and
#   ignores the teacher;
# - **distilled**: ``alpha=0.1`` on the 300 labeled rows, whose target is
#   mostly the booster's prediction, plus the 2,700 unlabeled rows
#   (``X_unlabeled``), which the booster labels and which carry its term only.
#
# The tree is a scikit-learn regressor: it is fitted on the blended target
# ``alpha * y + (1 - alpha) * teacher`` on labeled rows and on the teacher's
# prediction, weighted ``1 - alpha``, on the unlabeled ones, which for
# squared error is the loss above exactly. The network is trained on the loss
# by gradient descent; its targets are standardised inside ``fit`` and
# ``predict`` scales them back, so the target needs no scaling by hand. The
# features already lie in [0, 1], so the network does not standardise them
# (``standardize=False``, the default). A learning rate of 0.01 and up to
# 1,000 epochs let both networks train until the loss stops improving.
from sklearn.base import clone
from sklearn.tree import DecisionTreeRegressor

from skdistill import DistilledRegressor, MLPStudent

distilled_tree = DistilledRegressor(
    teacher=booster,
    student=DecisionTreeRegressor(max_depth=6),
    alpha=0.1,
    random_state=0,  # passed on to the tree, which has none of its own
)
distilled_tree.fit(X_few, y_few, X_unlabeled=X_unlabeled)
tree_on_labels = clone(distilled_tree).set_params(alpha=1.0).fit(X_few, y_few)

distilled_mlp = DistilledRegressor(
    teacher=booster,
    student=MLPStudent(hidden_units=(32,)),
    alpha=0.1,
    epochs=1_000,
    learning_rate=0.01,
    random_state=0,
)
distilled_mlp.fit(X_few, y_few, X_unlabeled=X_unlabeled)
mlp_on_labels = clone(distilled_mlp).set_params(alpha=1.0).fit(X_few, y_few)

print(f"distilled network: {distilled_mlp.n_iter_} epochs")
print(f"network on labels: {mlp_on_labels.n_iter_} epochs")

# %%
# Accuracy, speed and size
# ------------------------
# The columns: R² on the 2,000 held-out rows (``score``, as for any
# scikit-learn regressor); R² of the model's predictions against the
# booster's, how closely it imitates the teacher; prediction time in
# milliseconds per 1,000 rows, the median of seven calls on the 2,000
# held-out rows after one untimed call (the first calls of a Keras student
# run eagerly, later ones a traced forward pass); and the model's size in
# KiB: the pickle of the booster or of the fitted tree, and for a network its
# number of weights times 4 bytes (32-bit floats), which is what a saved
# model mostly holds.
#
# scikit-learn's OpenMP threads are held to one while timing
# (``threadpoolctl``): in a process where TensorFlow's threads have run, the
# booster's parallel ``predict`` was several times slower, and varied from
# run to run. All four students are timed through the ``DistilledRegressor``
# that holds them; the fitted tree, ``student_``, is an ordinary
# ``DecisionTreeRegressor`` and can also be served without it.
import pickle
import time

import numpy as np
import pandas as pd
from sklearn.metrics import r2_score
from threadpoolctl import threadpool_limits


def ms_per_1000_rows(model, X, repeats=7):
    with threadpool_limits(limits=1, user_api="openmp"):
        model.predict(X)  # untimed
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model.predict(X)
            times.append(time.perf_counter() - start)
    return 1000 * np.median(times) * 1000 / len(X)


def size_kib(model):
    if hasattr(model, "student_model_"):  # a Keras student: 32-bit weights
        return 4 * model.student_model_.count_params() / 1024
    return len(pickle.dumps(getattr(model, "student_", model))) / 1024


models = {
    "booster, 4,000 labels (teacher)": booster,
    "tree, 300 labels": tree_on_labels,
    "tree, distilled": distilled_tree,
    "network, 300 labels": mlp_on_labels,
    "network, distilled": distilled_mlp,
}
teacher_says = booster.predict(X_test)
table = pd.DataFrame(
    {
        "R²": [model.score(X_test, y_test) for model in models.values()],
        "R² vs teacher": [
            r2_score(teacher_says, model.predict(X_test)) for model in models.values()
        ],
        "ms / 1k rows": [ms_per_1000_rows(model, X_test) for model in models.values()],
        "KiB": [size_kib(model) for model in models.values()],
    },
    index=list(models),
)
print(
    table.to_string(
        formatters={
            "R²": "{:.3f}".format,
            "R² vs teacher": "{:.3f}".format,
            "ms / 1k rows": "{:.2f}".format,
            "KiB": "{:,.1f}".format,
        },
    )
)

# %%
# R² against prediction time
# --------------------------
# Each arrow goes from a student trained on the labels to the same student
# distilled. The time axis is logarithmic.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
styles = {
    "booster, 4,000 labels (teacher)": ("*", "black"),
    "tree, 300 labels": ("s", "tab:gray"),
    "tree, distilled": ("s", "tab:orange"),
    "network, 300 labels": ("o", "tab:gray"),
    "network, distilled": ("o", "tab:blue"),
}
for name, (marker, color) in styles.items():
    ms, r2 = table.loc[name, "ms / 1k rows"], table.loc[name, "R²"]
    ax.scatter(ms, r2, marker=marker, color=color, s=120, zorder=3)
    ax.annotate(name, (ms, r2), xytext=(8, -4), textcoords="offset points", fontsize=9)
for student in ("tree", "network"):
    start = table.loc[f"{student}, 300 labels"]
    end = table.loc[f"{student}, distilled"]
    ax.annotate(
        "",
        xy=(end["ms / 1k rows"], end["R²"]),
        xytext=(start["ms / 1k rows"], start["R²"]),
        arrowprops={"arrowstyle": "->", "color": "tab:gray"},
    )
ax.set_xscale("log")
ax.set_xlim(right=ax.get_xlim()[1] * 8)  # room for the labels
ax.set_xlabel("prediction time (ms per 1,000 rows, log scale)")
ax.set_ylabel("R² on held-out rows")
ax.set_title("Distilling a gradient-boosting regressor (make_friedman1)")
ax.grid(alpha=0.3)
plt.show()

# %%
# How far can a tree of depth 6 go?
# ---------------------------------
# For reference only, since the owner does not have these labels: the same
# tree fitted on the true labels of all 3,000 of the owner's rows.
all_labels = DecisionTreeRegressor(max_depth=6, random_state=0)
all_labels.fit(X_student, y_student)
print(f"tree on 3,000 true labels: R² {all_labels.score(X_test, y_test):.3f}")

# %%
# What the numbers say
# --------------------
# On this run, distillation raised the held-out R² of both students: the tree
# from 0.528 to 0.726 and the network from 0.856 to 0.927, against 0.942 for
# the booster. Both distilled students also imitate the booster more closely
# (R² against its predictions of 0.783 and 0.961, against 0.550 and 0.884).
# The gain comes from the unlabeled rows: the booster labels 2,700 rows the
# students on labels never see, so the distilled tree places its 63 splits
# and sets its 64 leaf values on 3,000 rows rather than 300. It comes close
# to the same tree fitted on the true labels of all 3,000 rows (0.731), so
# what is left between the distilled tree and the booster is mostly the
# tree's own limit: a function of 64 constant pieces. The network, a smooth
# function, gets much closer to the booster.
#
# Both students predict much faster than the booster, which walks 100 trees
# for each row. On 2 CPU cores, with one thread, over the runs made while
# writing this example, the booster took 7 to 10 ms per 1,000 rows, some 20
# to 25 times as long as the trees (0.3 to 0.5 ms) and 5 to 9 times as long
# as the networks (0.8 to 1.8 ms). Most of a network's time is a fixed cost
# per call into Keras rather than arithmetic (it has 385 weights), so larger
# calls spread it more thinly. The timings depend on the machine and its
# load; the R² values come from seeded fits.
#
# ``alpha`` and the student's hyperparameters can be tuned with
# ``GridSearchCV`` like any parameter (``{"alpha": [0.0, 0.1, 0.5],
# "student__max_depth": [4, 6, 8]}``); the fitted booster is shared by
# ``clone``, not refitted or copied, for each candidate. See
# :ref:`regression`.
