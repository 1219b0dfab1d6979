"""
==========================================
Distilling from a memory-mapped data set
==========================================

When the training rows live in a ``.npy`` file too large to hold in memory
twice, open it with ``np.load(path, mmap_mode="r")`` and pass the memory map to
:meth:`~skdistill.DistilledClassifier.fit`. The estimator then streams it: rows
are read, checked and run through the teacher a block of about 16 MiB at a
time, and the student is trained from a ``keras.utils.PyDataset`` that reads
one block at a time, mixing rows from many places in the file. Nothing the size
of the data set is built in memory; ``predict`` and ``score`` stream a
memory map the same way.

This example writes a small file (20 MB) so that it runs in seconds; the
benchmark ``benchmarks/bench_out_of_core.py`` measures peak memory on 2 and 4 GiB
files.
"""

import tempfile
from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from skdistill import DistilledClassifier, MLPStudent

# %%
# Write the rows to a file, as a data pipeline would, and open it as a memory
# map. The teacher here is fitted on a small sample held in memory.
X, y = make_classification(
    n_samples=40_000,
    n_features=128,
    n_informative=20,
    n_classes=4,
    random_state=0,
)
path = Path(tempfile.mkdtemp()) / "rows.npy"
np.save(path, X.astype(np.float32))
del X
X_map = np.load(path, mmap_mode="r")
print(type(X_map).__name__, X_map.shape, f"{X_map.nbytes / 2**20:.0f} MiB")

teacher = LogisticRegression(max_iter=1000).fit(X_map[:5000], y[:5000])

# %%
# Fit on the memory map. ``verbose=1`` reports the teacher's pass over the
# rows and Keras's progress over the batches.
student = DistilledClassifier(
    teacher=teacher,
    student=MLPStudent(hidden_units=(64,), standardize=True),
    temperature=2.0,
    epochs=2,
    batch_size=256,
    random_state=0,
    verbose=1,
).fit(X_map, y)
print(f"student accuracy on all rows: {student.score(X_map, y):.3f}")
print(f"teacher accuracy on all rows: {teacher.score(X_map, y):.3f}")

# %%
# The student's predictions on the memory map equal its predictions on the
# same rows loaded into memory.
rows = np.asarray(X_map[:1000])
print(np.allclose(student.predict_proba(X_map[:1000]), student.predict_proba(rows)))

# %%
# Options that need every row in memory at once, ``augment`` and
# ``teacher_cv``, are refused with a memory map, with the fix in the message
# (wrapped here to the page's width).
import textwrap

try:
    DistilledClassifier(teacher=teacher, augment="munge").fit(X_map, y)
except ValueError as exc:
    print(textwrap.fill(str(exc), width=79, break_on_hyphens=False))
