"""
Few labels, a strong teacher: unlabeled and synthetic transfer rows
===================================================================

A gradient-boosting model trained on plenty of labeled rows is accurate but
slow to predict with. Its owner shares the fitted model; we have a tenth as
many labels of our own, plus unlabeled rows. The teacher can label any row,
so every row we have, labeled or not, can carry its knowledge to a small
network. Where no unlabeled rows exist, :class:`~skdistill.Munge` makes
synthetic ones near the labeled rows (Bucila, Caruana and Niculescu-Mizil,
2006, "Model Compression").

This example compares, on one synthetic tabular problem:

* the teacher, a 300-iteration ``HistGradientBoostingClassifier``;
* a small network trained on our labels alone, and scikit-learn's
  ``MLPClassifier`` of the same size;
* the network distilled with our unlabeled rows, with synthetic rows only,
  and with both.

``benchmarks/bench_transfer.py`` runs a larger version over several seeds.
"""

# %%
# Data
# ----
# 5 classes, each made of 3 clusters in 12 informative dimensions (plus 4
# redundant and 4 noise features). The teacher trains on 8,000 labeled rows;
# we have 800 labeled and 8,000 unlabeled rows; 2,000 rows are held out.
import numpy as np
from sklearn.datasets import make_classification

sizes = {"teacher": 8_000, "labeled": 800, "unlabeled": 8_000, "test": 2_000}
X, y = make_classification(
    n_samples=sum(sizes.values()),
    n_features=20,
    n_informative=12,
    n_redundant=4,
    n_classes=5,
    n_clusters_per_class=3,
    flip_y=0.0,
    random_state=0,
)
X = X.astype(np.float32)
bounds = np.cumsum([0, *sizes.values()])
X_teacher, X_few, X_unlabeled, X_test = np.split(X, bounds[1:-1])
y_teacher, y_few, _, y_test = np.split(y, bounds[1:-1])
# The labels of X_unlabeled are thrown away: nothing below sees them.

# %%
# The teacher
# -----------
from sklearn.ensemble import HistGradientBoostingClassifier

teacher = HistGradientBoostingClassifier(
    max_iter=300, early_stopping=False, random_state=0
).fit(X_teacher, y_teacher)

# %%
# The students
# ------------
# All networks have two hidden layers of 64 units. Distilled students see the
# teacher's probabilities softened at ``temperature=2``; ``alpha=0.1`` gives
# the few true labels a tenth of the weight. Transfer rows carry only the
# teacher's soft targets. ``Munge(size=10)`` makes ten synthetic rows per
# labeled row, at every fit, seeded by ``random_state``.
from sklearn.base import clone
from sklearn.neural_network import MLPClassifier

from skdistill import DistilledClassifier, MLPStudent, Munge

distilled = DistilledClassifier(
    teacher=teacher,
    student=MLPStudent(hidden_units=(64, 64), standardize=True),
    temperature=2.0,
    alpha=0.1,
    epochs=20,
    batch_size=128,
    random_state=0,
)
models = {"teacher (gradient boosting, 8,000 labels)": teacher}
models["network, 800 labels"] = clone(distilled).set_params(
    teacher=None, alpha=1.0, epochs=150
)
models["MLPClassifier, 800 labels"] = MLPClassifier(
    (64, 64), max_iter=500, random_state=0
)
models["distilled + 8,000 unlabeled rows"] = clone(distilled)
models["distilled + 8,000 synthetic rows"] = clone(distilled).set_params(
    augment=Munge(size=10.0)
)
models["distilled + unlabeled + synthetic"] = clone(distilled).set_params(
    augment=Munge(size=1.0)
)
for name, model in models.items():
    if model is teacher:
        continue
    if "unlabeled" in name:
        model.fit(X_few, y_few, X_unlabeled=X_unlabeled)
    else:
        model.fit(X_few, y_few)

# %%
# Accuracy and prediction time
# ----------------------------
# Prediction time is the median of 7 calls of ``predict`` on 1,000 rows.
import time

import pandas as pd


def predict_ms(model, X, repeats=7):
    rows = X[:1000]
    model.predict(rows)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(rows)
        times.append(time.perf_counter() - start)
    return 1000 * np.median(times)


table = pd.DataFrame(
    {
        "accuracy": [m.score(X_test, y_test) for m in models.values()],
        "predict ms / 1,000 rows": [predict_ms(m, X_test) for m in models.values()],
    },
    index=list(models),
)
print(table.to_string(float_format="{:.3f}".format))
teacher_ms = table["predict ms / 1,000 rows"].iloc[0]
student_ms = table.loc["distilled + 8,000 unlabeled rows", "predict ms / 1,000 rows"]
print(f"\nthe distilled network predicts {teacher_ms / student_ms:.0f}x faster")

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
names = table.index[::-1]
colors = [
    "tab:green" if "teacher" in n else "tab:blue" if "distilled" in n else "tab:gray"
    for n in names
]
bars = ax.barh(names, table.loc[names, "accuracy"], color=colors)
ax.bar_label(bars, fmt="%.3f", padding=3)
low = table["accuracy"].min()
ax.set_xlim(low - 0.05, 1.0)
ax.set_xlabel("accuracy on 2,000 held-out rows")
ax.set_title("Distilling gradient boosting with few labels")
plt.show()

# %%
# What the numbers say
# --------------------
# On 800 labels alone, neither network comes near the teacher, which learned
# from ten times as many. The teacher's soft targets on 8,000 unlabeled rows
# close most of the gap: the network learns to answer as the teacher does
# where the data lies, without a single extra label. Synthetic rows made from
# the 800 labeled rows recover part of it: they probe the teacher near the
# labeled rows only, so they cannot show the network regions those rows do
# not reach. Both together did best in this run: synthetic rows made from the
# unlabeled rows fill in between them. The network is then many times faster
# to predict with than the 1,500 trees of the teacher (300 iterations, one
# tree per class).
