"""CI: what a scikit-learn-only user gets from ``pip install .`` alone.

Run in a fresh virtual environment that has the project's core install and
pandas (the user's own table library, which skdistill does not require).
Checks that neither Keras nor TensorFlow came with it, that a scikit-learn
teacher distils into a tree on a data frame with categorical columns and
missing values, and that asking for a Keras student raises one ImportError
naming the extra to install; then prints the install's packages and size.
"""

import contextlib
import importlib.metadata
import importlib.util
import io
import pathlib
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

start = time.perf_counter()
import skdistill  # noqa: E402, F401  (timed: the import alone)
from skdistill import DistilledClassifier  # noqa: E402
from skdistill.cli._main import main  # noqa: E402

import_s = time.perf_counter() - start

for module in ("tensorflow", "keras", "jax", "torch", "scikeras"):
    assert importlib.util.find_spec(module) is None, f"{module} is installed"
assert "tensorflow" not in sys.modules and "keras" not in sys.modules

X, y = make_classification(2000, 6, n_informative=4, random_state=0)
frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
frame["band"] = pd.Categorical(np.digitize(X[:, 0], [-1, 0, 1]).astype(str))
frame["kind"] = np.where(X[:, 1] > 0, "a", "b").astype(object)
frame.loc[::9, "x3"] = np.nan
frame["kind"] = frame["kind"].astype("category")
teacher = HistGradientBoostingClassifier(
    categorical_features="from_dtype", random_state=0
).fit(frame[:1000], y[:1000])
student = DistilledClassifier(
    teacher=teacher,
    student=HistGradientBoostingClassifier(
        categorical_features="from_dtype", max_depth=3, max_iter=30, random_state=0
    ),
    alpha=0.0,
).fit(frame[1000:1100], y[1000:1100], X_unlabeled=frame[1100:1800])
accuracy = student.score(frame[1800:], y[1800:])
assert list(student.feature_names_in_) == list(frame.columns)
assert accuracy > 0.7, accuracy
# A tree reads numbers: a Pipeline student encodes the frame first, and the
# weights of soft-label expansion reach the tree.
tree = DistilledClassifier(
    teacher=teacher,
    student=make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["band", "kind"]),
            remainder=SimpleImputer(),
        ),
        DecisionTreeClassifier(max_depth=4, random_state=0),
    ),
    alpha=0.0,
).fit(frame[1000:1100], y[1000:1100], X_unlabeled=frame[1100:1800])
tree_accuracy = tree.score(frame[1800:], y[1800:])
assert tree_accuracy > 0.7, tree_accuracy

# The main job on a user's table, with scikit-learn students only.
with tempfile.TemporaryDirectory() as folder:
    table = pathlib.Path(folder) / "table.csv"
    frame.assign(target=y).to_csv(table, index=False)
    argv = ["compare", "--data", str(table), "--target", "target"]
    argv += ["--students", "tree4", "--seeds", "2", "--labeled", "100"]
    argv += ["--verbose", "0", "--out", str(pathlib.Path(folder) / "out")]
    with contextlib.redirect_stdout(io.StringIO()) as table_stdout:
        status = main(argv)
    assert status == 0, table_stdout.getvalue()
    assert (pathlib.Path(folder) / "out" / "report.json").exists()
assert "keras" not in sys.modules and "tensorflow" not in sys.modules

# The student shipped without the teacher needs no extra; its ONNX graph
# names the one it needs.
exported = tree.export_student()
assert (exported.predict(frame[1800:]) == tree.predict(frame[1800:])).all()
try:
    skdistill.to_onnx(tree, frame[1800:])
except ImportError as error:
    assert "skdistill[onnx]" in str(error), error
else:
    raise AssertionError("to_onnx without the onnx extra did not raise ImportError")

try:
    DistilledClassifier(teacher=teacher, alpha=0.0).fit(frame, y)
except ImportError as error:
    assert "skdistill[tensorflow]" in str(error), error
else:
    raise AssertionError("a Keras student without Keras did not raise ImportError")
assert "tensorflow" not in sys.modules


def _megabytes(distribution):
    files = distribution.files or []
    return sum(f.locate().stat().st_size for f in files if f.locate().is_file()) / 2**20


sizes = {
    d.metadata["Name"]: _megabytes(d)
    for d in importlib.metadata.distributions()
    if d.metadata["Name"] not in ("pip", "setuptools")
}
# pandas is the user's, with what it brings; the rest is skdistill's core.
users = {"pandas", "python-dateutil", "six", "tzdata"}
core = {name: mb for name, mb in sizes.items() if name not in users}
print(
    f"core install check passed: HGB teacher -> HGB student, accuracy "
    f"{accuracy:.3f}, and -> one-hot + depth-4 tree, {tree_accuracy:.3f}, on a "
    f"frame with categorical columns; import skdistill {import_s:.2f} s; a "
    "Keras student raises ImportError naming the extra; export_student() "
    "works and to_onnx names skdistill[onnx]; skdistill compare "
    "--data table.csv --target target --students tree4 runs without Keras"
)
print(
    f"core install (pip install .): {len(core)} packages, "
    f"{sum(core.values()):.0f} MB: "
    + ", ".join(f"{name} {mb:.0f}" for name, mb in sorted(core.items()))
)
print(
    f"with pandas for the frame: {sum(sizes.values()):.0f} MB; "
    "import skdistill never imports it"
)
