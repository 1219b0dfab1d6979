"""
Benchmarking the distilled student against other classifiers
============================================================

Is a distilled student worth it, compared with the classifiers scikit-learn
offers out of the box? This example cross-validates four of them and a
:class:`~skdistill.DistilledClassifier` on the digits data, with
``cross_validate`` on the same folds, and compares their accuracy, their
training time and how fast they predict.
"""

# %%
# The contenders
# --------------
# Each model is a scikit-learn estimator, so they all go through the same
# cross-validation with the same folds. The models that need scaled inputs get
# a ``StandardScaler`` in a pipeline; trees and the student do not (the
# student's first layer standardises its inputs itself). Gradient boosting is
# held to 50 rounds to keep the example short.
#
# The distilled student's teacher is the MLP of the table, passed *unfitted*:
# in every fold, ``fit`` trains it on the training part first, then the
# student. Its fit time therefore includes the teacher's, and its score is an
# honest one (the teacher never sees the fold it is scored on). The student is
# a Keras network with one hidden layer of 32 units, 8 times narrower than its
# teacher.
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdistill import DistilledClassifier, MLPStudent

mlp = make_pipeline(
    StandardScaler(),
    MLPClassifier(
        hidden_layer_sizes=(256,),
        solver="lbfgs",
        alpha=1.0,
        max_iter=300,
        random_state=0,
    ),
)
models = {
    "logistic regression": make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=1000)
    ),
    "random forest": RandomForestClassifier(random_state=0),
    "gradient boosting": HistGradientBoostingClassifier(max_iter=50, random_state=0),
    "MLP, 256 units (teacher)": mlp,
    "distilled student, 32 units": DistilledClassifier(
        teacher=mlp,
        student=MLPStudent(hidden_units=(32,), standardize=True),
        temperature=4.0,
        alpha=0.1,
        epochs=20,
        batch_size=32,
        learning_rate=0.01,
        random_state=0,
    ),
}

# %%
# Cross-validation
# ----------------
# Three stratified folds of the 1,797 digits, so each model is scored three
# times on 599 rows it did not train on. ``score_time`` is the time to predict
# those rows and count the correct ones; dividing it by the number of rows
# gives a prediction time per 1,000 rows.
#
# The scikit-learn models run on one thread each (``threadpool_limits``), so
# that the timings measure the work each model does, not how well it spreads
# over this machine's cores or copes with other programs competing for them.
# TensorFlow has its own thread pool, which this does not limit.
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold, cross_validate
from threadpoolctl import threadpool_limits

X, y = load_digits(return_X_y=True)
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
n_test = len(X) // cv.get_n_splits()

rows = {}
with threadpool_limits(limits=1):
    for name, model in models.items():
        result = cross_validate(model, X, y, cv=cv, return_train_score=False)
        rows[name] = {
            "accuracy": result["test_score"].mean(),
            "std": result["test_score"].std(),
            "fit time (s)": result["fit_time"].mean(),
            "predict ms / 1k rows": 1000 * result["score_time"].mean() * 1000 / n_test,
        }
table = pd.DataFrame(rows).T
print(
    table.to_string(
        formatters={
            "accuracy": "{:.3f}".format,
            "std": "{:.3f}".format,
            "fit time (s)": "{:.2f}".format,
            "predict ms / 1k rows": "{:.1f}".format,
        }
    )
)

# %%
# Accuracy and prediction speed side by side
# ------------------------------------------
# Error bars are one standard deviation over the three folds.
import matplotlib.pyplot as plt

fig, (ax_acc, ax_time) = plt.subplots(
    1, 2, figsize=(10, 3.8), sharey=True, layout="constrained"
)
names = table.index[::-1]
colors = ["tab:orange" if "distilled" in n else "tab:blue" for n in names]
ax_acc.barh(
    names,
    table.loc[names, "accuracy"],
    xerr=table.loc[names, "std"],
    color=colors,
)
ax_acc.set_xlim(0.9, 1.0)
ax_acc.set_xlabel("mean accuracy, 3-fold cross-validation")
ax_acc.set_title("Accuracy on held-out digits")
bars = ax_time.barh(names, table.loc[names, "predict ms / 1k rows"], color=colors)
ax_time.bar_label(bars, fmt="%.1f", padding=3)
ax_time.margins(x=0.15)
ax_time.set_xlabel("milliseconds to predict 1,000 rows")
ax_time.set_title("Prediction time (shorter is better)")
fig.suptitle("Four classifiers and a distilled student on the digits data")
plt.show()

# %%
# What the numbers say
# --------------------
# The student keeps most of its teacher's accuracy with an eighth of its
# hidden units, and predicts a few times faster than the forest and the
# boosted trees, whose cost grows with their number of trees. It is not faster
# than the linear model or than scikit-learn's own MLP: at this size, a
# network's arithmetic is cheap, and the student's time is mostly the fixed
# cost of a call into TensorFlow. Its fit time is the largest, since it
# includes training the teacher and then a Keras network; that is paid once,
# while prediction is paid on every request.
#
# Distillation pays off most when the teacher is expensive to run, such as a
# large forest or boosted ensemble (see
# :ref:`sphx_glr_auto_examples_plot_compress_forest.py`), and when the student
# is served where its small size matters. Timings depend on the machine and
# vary from run to run: compare them within a run, not across machines.
