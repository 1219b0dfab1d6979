"""
Training the student to convergence
===================================

:class:`~skdistill.DistilledClassifier` trains a Keras student the way
scikit-learn's ``MLPClassifier`` trains its network: for at most ``epochs``
passes over the rows (200), in batches of ``min(200, n_rows)``, stopping once
more than ``n_iter_no_change`` (10) epochs in a row have not lowered the loss
below its best so far by at least ``tol`` (``1e-4``), exactly
``MLPClassifier``'s rule. This example trains the default student on the
digits data three ways, reads ``n_iter_`` and ``history_`` to see when and why
each fit stopped, and compares the test accuracy with ``MLPClassifier``'s.
:doc:`/user_guide/training` describes every setting.
"""

# %%
# Data
# ----
# The raw pixels, 0 to 16, as ``MLPClassifier`` would see them: the default
# :class:`~skdistill.MLPStudent` does not standardise its inputs, as
# ``MLPClassifier`` does not.
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# Three fits of the default student
# ---------------------------------
# ``alpha=1.0`` trains the student on the labels alone, with no teacher, so
# that it is the same problem ``MLPClassifier()`` solves: one hidden layer of
# 100 ReLU units, Adam at a learning rate of 0.001.
#
# * ``default``: every setting as it comes. The loss watched is the training
#   loss.
# * ``tol=1e-3``: an improvement must be ten times larger to count, so
#   training stops sooner.
# * ``validation_fraction=0.1``: a tenth of the rows is held out, the
#   held-out loss is watched instead, and the weights of the epoch with the
#   lowest held-out loss are the ones kept.
#
# A fit that uses all its epochs while the loss is still improving warns
# with scikit-learn's ``ConvergenceWarning``, as ``MLPClassifier`` does; the
# warnings are recorded here to print them.
import warnings

from sklearn.exceptions import ConvergenceWarning

from skdistill import DistilledClassifier

settings = {
    "default": {},
    "tol=1e-3": {"tol": 1e-3},
    "validation_fraction=0.1": {"validation_fraction": 0.1},
}
fitted = {}
for name, params in settings.items():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        clf = DistilledClassifier(alpha=1.0, random_state=0, **params)
        clf.fit(X_train, y_train)
    fitted[name] = clf
    converged = not any(w.category is ConvergenceWarning for w in caught)
    print(f"{name:<24} n_iter_ = {clf.n_iter_:>3}   converged: {converged}")

# %%
# All three fits stop early, well within 200 epochs, and none warns: the
# default one stops after about 120 epochs, close to ``MLPClassifier()``'s
# count on these rows (below). Once the student fits the training rows almost
# perfectly, its training loss still falls, but by less than ``1e-4`` an
# epoch, and that stops it. On data where the loss still falls by ``tol`` or
# more at the last epochs, the fit warns; then raise ``epochs``, accept a
# coarser ``tol``, watch a held-out loss with ``validation_fraction``, or ask
# for a fixed budget with ``n_iter_no_change=None``, which never warns.

# %%
# Test accuracy against MLPClassifier
# -----------------------------------
# ``MLPClassifier()`` with its defaults, on the same rows. Its ``n_iter_``
# counts epochs too.
from sklearn.neural_network import MLPClassifier

mlp = MLPClassifier(random_state=0).fit(X_train, y_train)

print(f"{'model':<46} {'epochs':>6} {'accuracy':>9}")
print(f"{'MLPClassifier()':<46} {mlp.n_iter_:>6} {mlp.score(X_test, y_test):>9.3f}")
for name, clf in fitted.items():
    label = f"DistilledClassifier, {name}"
    print(f"{label:<46} {clf.n_iter_:>6} {clf.score(X_test, y_test):>9.3f}")

# %%
# With 450 test digits each one is worth 0.2 points, and differences of that
# size move with ``random_state``: over three seeds,
# ``benchmarks/bench_convergence.py`` measured 97.1 ± 0.2% for the default
# student and 96.9 ± 0.8% for ``MLPClassifier()`` (see
# :doc:`/user_guide/training`).

# %%
# Where training stopped
# ----------------------
# ``history_`` holds one value per epoch, so ``len(history_["loss"])`` is
# ``n_iter_``. An epoch counts as an improvement when its loss is below the
# best loss so far by at least ``tol``; the best loss follows every decrease,
# however small. ``last_improving`` below finds the last improving epoch, and
# training stops ``n_iter_no_change + 1`` epochs after it, so it is epoch
# ``n_iter_ - n_iter_no_change - 1`` (the column ``expected``). Left: the
# training loss of the first two fits, with a dotted line where each ended;
# with the same ``random_state`` they follow the same curve until the coarser
# ``tol`` stops one of them. Right: the fit with a validation split watches
# ``val_loss``, and keeps the weights of the epoch where it was lowest, not
# those of its last.
import matplotlib.pyplot as plt
import numpy as np


def last_improving(losses, tol):
    """The last epoch (from 1) whose loss beat the best before it by ``tol``."""
    best, improved_at = np.inf, 0
    for epoch, loss in enumerate(losses, start=1):
        if loss <= best - tol:
            improved_at = epoch
        best = min(best, loss)
    return improved_at


print(f"{'fit':<24} {'watched':>8} {'last improving':>15} {'expected':>9}")
for name, clf in fitted.items():
    key = "val_loss" if clf.validation_fraction else "loss"
    improved = last_improving(clf.history_[key], clf.tol)
    expected = clf.n_iter_ - clf.n_iter_no_change - 1
    print(f"{name:<24} {key:>8} {improved:>15} {expected:>9}")


fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")

ax = axes[0]
for name in ("default", "tol=1e-3"):
    loss = fitted[name].history_["loss"]
    epochs = np.arange(1, len(loss) + 1)
    (line,) = ax.plot(epochs, loss, label=f"{name} ({len(loss)} epochs)")
    ax.axvline(len(loss), color=line.get_color(), linestyle=":")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel('history_["loss"]')
ax.set_title("Training loss watched")
ax.legend()

ax = axes[1]
history = fitted["validation_fraction=0.1"].history_
epochs = np.arange(1, len(history["loss"]) + 1)
ax.plot(epochs, history["loss"], label='history_["loss"] (training)')
ax.plot(epochs, history["val_loss"], label='history_["val_loss"] (held out)')
kept = int(np.argmin(history["val_loss"])) + 1
ax.axvline(kept, color="black", linestyle="--", label=f"weights kept (epoch {kept})")
ax.axvline(len(epochs), color="black", linestyle=":", label="training stopped")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_title("Held-out loss watched (validation_fraction=0.1)")
ax.legend()
fig.suptitle("Early stopping of the default student on the digits data")
plt.show()

# %%
# The held-out loss levels off long before the training loss stops falling,
# so the validation split stopped training sooner than the default, with the
# same ``tol``. The price is 10% fewer rows to train on, and an evaluation of
# the held-out rows after every epoch. The training loss with the default
# ``tol`` is ``MLPClassifier()``'s own rule, the one to keep for a
# like-for-like comparison; ``n_iter_no_change=None`` trains for exactly
# ``epochs`` epochs, for a comparison at a fixed budget.
