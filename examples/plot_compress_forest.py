"""
Compressing a random forest into a small network with unlabeled transfer rows
=============================================================================

A random forest trained on plenty of labeled data is accurate but large, and
slow to predict with. Suppose its owner shares the fitted forest, but not the
labeled data, with someone who has only a tenth as many labels of their own,
plus plenty of unlabeled rows. This example distils the forest into a network
about a thousand times smaller, using those unlabeled rows as transfer data,
and compares it with a network trained on the few labels alone.
"""

# %%
# Data
# ----
# One synthetic problem, split four ways: 5,000 labeled rows to train the
# forest; 500 labeled and 4,500 unlabeled rows for the student; and 2,000 rows
# held out to score everything.
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

X, y = make_classification(
    n_samples=12_000, n_features=20, n_informative=10, n_redundant=5, random_state=0
)
X_forest, X_rest, y_forest, y_rest = train_test_split(
    X, y, train_size=5_000, stratify=y, random_state=0
)
X_student, X_test, y_student, y_test = train_test_split(
    X_rest, y_rest, test_size=2_000, stratify=y_rest, random_state=0
)
X_few, X_unlabeled, y_few, _ = train_test_split(
    X_student, y_student, train_size=500, stratify=y_student, random_state=0
)
# The labels of X_unlabeled are thrown away: the student never sees them.

# %%
# The teacher
# -----------
from sklearn.ensemble import RandomForestClassifier

forest = RandomForestClassifier(n_estimators=100, random_state=0)
forest.fit(X_forest, y_forest)

# %%
# Three students
# --------------
# All three are the same network, two hidden layers of 32 units, and all take
# about the same number of gradient steps: a student that sees the 500
# labeled rows alone gets ten times the epochs of one that also sees the 4,500
# transfer rows.
#
# - From scratch: ``alpha=1`` trains on the 500 labels only and ignores the
#   forest.
# - Distilled on the 500 labeled rows: the forest's soft predictions on those
#   rows join their labels.
# - Distilled with transfer rows: the forest also labels the 4,500 unlabeled
#   rows, which carry only its soft predictions (``X_unlabeled``).
#
# A forest's probabilities are vote shares, often exactly 0 for most classes;
# a low temperature keeps the student from paying too much attention to the
# few trees that voted for a wrong class.
from sklearn.base import clone

from skdistill import DistilledClassifier, MLPStudent

distilled = DistilledClassifier(
    teacher=forest,
    student=MLPStudent(hidden_units=(32, 32), standardize=True),
    temperature=2.0,
    alpha=0.1,
    epochs=10,
    batch_size=32,
    learning_rate=0.01,
    random_state=0,
)
distilled.fit(X_few, y_few, X_unlabeled=X_unlabeled)
labeled_only = clone(distilled).set_params(epochs=100).fit(X_few, y_few)
scratch = clone(distilled).set_params(alpha=1.0, epochs=100).fit(X_few, y_few)

# %%
# Accuracy, speed and size
# ------------------------
# The columns: accuracy on the 2,000 held-out rows; agreement, the share of
# those rows on which a model predicts the forest's class; prediction time in
# milliseconds per 1,000 rows (the median of five runs over the 2,000 test
# rows); and size in KiB. The forest's size is its pickle; a student's is its
# number of weights times 4 bytes (they are 32-bit floats), which is what a
# saved model mostly holds.
import pickle
import time

import numpy as np
import pandas as pd


def ms_per_1000_rows(model, X, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(X)
        times.append(time.perf_counter() - start)
    return 1000 * np.median(times) * 1000 / len(X)


def size_kib(model):
    if isinstance(model, DistilledClassifier):
        return 4 * model.student_model_.count_params() / 1024
    return len(pickle.dumps(model)) / 1024


models = {
    "forest, 5,000 labels (teacher)": forest,
    "from scratch, 500 labels": scratch,
    "distilled, 500 labels": labeled_only,
    "distilled, 500 + 4,500 unlabeled": distilled,
}
table = pd.DataFrame(
    {
        "accuracy": [m.score(X_test, y_test) for m in models.values()],
        "agrees with teacher": [
            np.mean(m.predict(X_test) == forest.predict(X_test))
            for m in models.values()
        ],
        "predict ms / 1k rows": [ms_per_1000_rows(m, X_test) for m in models.values()],
        "size (KiB)": [size_kib(m) for m in models.values()],
    },
    index=list(models),
)
print(
    table.to_string(
        # Short headers keep the printed table narrow.
        header=["accuracy", "agreement", "ms/1k rows", "KiB"],
        formatters={
            "accuracy": "{:.3f}".format,
            "agrees with teacher": "{:.3f}".format,
            "predict ms / 1k rows": "{:.1f}".format,
            "size (KiB)": "{:,.1f}".format,
        },
    )
)
ratio = table["size (KiB)"].iloc[0] / table["size (KiB)"].iloc[-1]
print(f"\nthe student has {distilled.student_model_.count_params():,} weights")
print(f"the forest's pickle is {ratio:,.0f} times the student's weights")

# %%
# The trade-off in one picture: accuracy on the left, size on the right (on a
# logarithmic scale, since the forest is about a thousand times larger).
import matplotlib.pyplot as plt

fig, (ax_acc, ax_size) = plt.subplots(
    1, 2, figsize=(10, 3.6), sharey=True, layout="constrained"
)
names = table.index[::-1]
colors = ["tab:green" if "teacher" in n else "tab:orange" for n in names]
bars = ax_acc.barh(names, table.loc[names, "accuracy"], color=colors)
ax_acc.bar_label(bars, fmt="%.3f", padding=3)
ax_acc.set_xlim(0.8, 0.96)
ax_acc.set_xticks([0.80, 0.85, 0.90, 0.95])
ax_acc.set_xlabel("accuracy on 2,000 held-out rows")
ax_acc.set_title("Accuracy")
bars = ax_size.barh(names, table.loc[names, "size (KiB)"], color=colors)
ax_size.bar_label(bars, fmt="%.0f KiB", padding=3)
ax_size.set_xscale("log")
ax_size.set_xlim(1, 1e5)
ax_size.set_xlabel("model size, KiB (log scale)")
ax_size.set_title("Size")
fig.suptitle("Compressing a random forest into a 32x32-unit network")
plt.show()

# %%
# What the numbers say
# --------------------
# On its 500 labels alone, the forest's soft predictions do not help, and
# here slightly hurt: the student agrees with the forest more often, mistakes
# included, but 500 rows are too few to learn the forest's whole decision
# function. The transfer rows are what carry the forest's knowledge: 4,500
# rows on which the student learns to answer as the forest does, in regions
# the 500 labeled rows barely cover. That recovers most of the gap to the
# forest, without a single extra label, with a model about a thousand times
# smaller that also predicts faster.
#
# Distillation cannot exceed the transfer data it is given. Rows unlike the
# ones the student will meet later teach it little; and the more transfer
# rows, the closer the student can get to its teacher.
