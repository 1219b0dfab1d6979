"""
Shipping the student: its own size, and an ONNX graph
======================================================

A fitted :class:`~skdistill.DistilledClassifier` keeps its teacher: the
teacher is a parameter, and ``fit`` may have fitted or cached it. Pickle the
estimator and the file holds the teacher too, so a 300-tree forest distilled
into one tree still saves as a file of the forest's size, and loading it
needs skdistill.

What goes into production is the student. This example distils a 300-tree
random forest into a depth-8 decision tree on scikit-learn's digits, then
ships the tree two ways:

- :meth:`~skdistill.DistilledClassifier.export_student` returns the fitted
  student alone, an ordinary scikit-learn ``DecisionTreeClassifier`` that
  pickles without the forest and loads with scikit-learn alone;
- :func:`skdistill.to_onnx` converts the estimator into an ONNX graph that
  onnxruntime serves, with neither scikit-learn nor skdistill in the serving
  process. ``to_onnx`` needs the ``onnx`` extra
  (``pip install "skdistill[onnx]"``).

It compares their sizes, and the time to predict one row and 1,000 rows with
the forest, the estimator and the ONNX graph. No Keras is loaded: the teacher
and the student are scikit-learn estimators.
"""

# %%
# The forest and the distilled tree
# ---------------------------------
# The digits are 1,797 images of 8 x 8 pixels. A quarter of them is held out
# for testing. Of the other rows, 600 keep their label; the forest is fitted
# on them and labels the remaining rows for the tree (``X_unlabeled``).
import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from skdistill import DistilledClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
X_few, X_unlabeled, y_few, _ = train_test_split(
    X_train, y_train, train_size=600, stratify=y_train, random_state=0
)

forest = RandomForestClassifier(n_estimators=300, random_state=0)
forest.fit(X_few, y_few)
clf = DistilledClassifier(
    teacher=forest,
    student=DecisionTreeClassifier(max_depth=8),
    temperature=1.0,  # a forest's vote shares are soft already
    alpha=0.1,
    random_state=0,
).fit(X_few, y_few, X_unlabeled=X_unlabeled)

print(f"forest accuracy:         {forest.score(X_test, y_test):.3f}")
print(f"distilled tree accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# The student alone
# -----------------
# ``export_student()`` returns a new fitted model without the teacher, and
# leaves the estimator as it is. For a tree fitted on arrays it is the
# fitted ``DecisionTreeClassifier`` itself (a copy): the tree casts rows to
# float32 as the estimator does, so it predicts the same on the same rows.
# Pickling it needs no skdistill to load.
import pickle

student = clf.export_student()
print(type(student).__name__, student.classes_)
print(
    "same probabilities as the estimator:",
    np.array_equal(student.predict_proba(X_test), clf.predict_proba(X_test)),
)

sizes = {
    "forest": len(pickle.dumps(forest)),
    "estimator": len(pickle.dumps(clf)),
    "export_student()": len(pickle.dumps(student)),
}

# %%
# An ONNX graph
# -------------
# ``to_onnx(clf, X)`` converts the estimator as skl2onnx converts a model:
# ``X`` are sample rows that fix the input's type (here float64 pixels, so
# the graph takes a float64 input named ``"X"`` and casts it to float32, as
# the estimator does), and before returning, ``to_onnx`` runs the graph on
# them and checks that it agrees with the estimator. The graph's outputs are
# ``"label"`` and ``"probabilities"``.
#
# The session here runs on one thread, as the scikit-learn models below do.
import onnxruntime as ort

from skdistill import to_onnx

graph = to_onnx(clf, X_train)
sizes["ONNX graph"] = len(graph.SerializeToString())

options = ort.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
session = ort.InferenceSession(
    graph.SerializeToString(), options, providers=["CPUExecutionProvider"]
)
print([i.name for i in session.get_inputs()], [o.name for o in session.get_outputs()])

labels, probabilities = session.run(["label", "probabilities"], {"X": X_test})
print(f"labels equal to the estimator's on {len(X_test)} test rows:", end=" ")
print(f"{np.mean(labels == clf.predict(X_test)):.1%}")
print(
    "largest difference in probability: "
    f"{np.abs(probabilities - clf.predict_proba(X_test)).max():.1e}"
)

# %%
# Sizes
# -----
# Bytes of each pickle, and of the serialised ONNX graph.
for name, n_bytes in sizes.items():
    print(f"{name:>17}: {n_bytes:>12,} bytes")

# %%
# Prediction time
# ---------------
# Each model predicts probabilities for one row, then for 1,000 rows; the
# figure is the median of repeated calls, after one call to warm up. The
# forest predicts with ``n_jobs=None``, on one thread, like the session.
import time

rng = np.random.default_rng(0)
one_row = X_test[:1]
many_rows = X_test[rng.integers(len(X_test), size=1000)]


def median_ms(predict, rows, repeats):
    """Median wall time of ``predict(rows)``, in milliseconds."""
    predict(rows)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict(rows)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def run_graph(rows):
    return session.run(["probabilities"], {"X": rows})


predictors = {
    "forest": forest.predict_proba,
    "estimator": clf.predict_proba,
    "export_student()": student.predict_proba,
    "ONNX graph": run_graph,
}
latency = {
    name: (median_ms(predict, one_row, 50), median_ms(predict, many_rows, 10))
    for name, predict in predictors.items()
}
print(f"{'':>17}  {'1 row (ms)':>10}  {'1,000 rows (ms)':>15}")
for name, (one, many) in latency.items():
    print(f"{name:>17}  {one:>10.3f}  {many:>15.3f}")

# %%
# The figure puts both on a log scale.
import matplotlib.pyplot as plt

names = list(predictors)
fig, (ax_time, ax_size) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
positions = np.arange(len(names))
width = 0.4
ax_time.bar(positions - width / 2, [latency[n][0] for n in names], width, label="1 row")
ax_time.bar(
    positions + width / 2, [latency[n][1] for n in names], width, label="1,000 rows"
)
ax_time.set_xticks(positions, names, rotation=20)
ax_time.set_yscale("log")
ax_time.set_ylabel("predict_proba time (ms, median)")
ax_time.legend()
bars = ax_size.bar(positions, [sizes[n] for n in names], color="tab:gray")
ax_size.bar_label(bars, [f"{sizes[n] / 1e3:,.0f} kB" for n in names])
ax_size.set_xticks(positions, names, rotation=20)
ax_size.set_yscale("log")
ax_size.set_ylim(1e4, 3e7)
ax_size.set_ylabel("pickled size (bytes; ONNX: serialised)")
plt.show()

# %%
# What the numbers say
# --------------------
# On 2 CPU cores, the estimator pickles to 8.2 MB, of which all but 48 kB is
# the forest: ``export_student()`` pickles to 48 kB, about 170 times less,
# and the ONNX graph takes 30 kB. Both make the estimator's predictions: the
# export returns the same probabilities, bit for bit, and the graph the same
# labels, with probabilities within 1e-7 (it computes in float32).
#
# For one row the forest took 9 to 14 ms over runs, most of it a fixed cost
# per call (1,000 rows took only about twice as long): dispatching 300 trees.
# The estimator took 0.13 ms: the tree, plus scikit-learn's checks of the
# input, done twice (by the estimator and by the tree). The export, 0.06 ms,
# does them once, and onnxruntime, about 5 microseconds, does none in
# Python: some 25 times less than the estimator and over 1,000 times less
# than the forest. On 1,000 rows the tree's own work counts for more, and
# the three ways to run it take 0.06 to 0.19 ms against the forest's 24 ms.
#
# The tree pays for its size in accuracy: 0.83 on the held-out digits
# against the forest's 0.96. Shipping changes nothing there, and a student
# with more capacity (see :ref:`students`) ships the same way. The user
# guide's page :ref:`shipping` covers Keras students, data frames, skops and
# what cannot be converted.
