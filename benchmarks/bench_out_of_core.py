"""Peak memory of fitting on a memory-mapped array, against the array's size.

Writes a synthetic float32 table of ``--size-gib`` GiB to an ``.npy`` file (in
a child process, once; kept for later runs), fits a scikit-learn teacher on a
small in-memory sample, then, in a fresh child process, measures:

* the resident set right after ``import skdistill``, the issue's baseline;
* the resident set after Keras and its backend are loaded (their fixed cost,
  independent of the data);
* the peak resident set (``VmHWM``, which counts mapped file pages) of
  ``DistilledClassifier.fit`` on ``np.load(path, mmap_mode="r")`` and of a
  streamed ``score`` on the whole array.

It prints the peak above each baseline as a fraction of the array's size; the
target is below 0.25 above the post-import baseline. With ``--in-memory`` it
also measures the same fit on the array loaded into memory, for comparison.

Usage::

    python benchmarks/bench_out_of_core.py                 # 2 GiB, default backend
    KERAS_BACKEND=jax python benchmarks/bench_out_of_core.py --size-gib 2
    python benchmarks/bench_out_of_core.py --in-memory --size-gib 1

``--quick`` (a 0.02 GiB array) takes seconds; CI runs it. Linux only (reads
``/proc/self/status``).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import make_parser, parse, status_kib, write_json

DEFAULT_DIR = Path(tempfile.gettempdir()) / "skdistill-bench-out-of-core"


def make_data(args):
    """Write X.npy, y.npy, a test set and a fitted teacher (child process)."""
    import joblib
    import numpy as np
    from sklearn.neural_network import MLPClassifier

    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    n_rows = int(args.size_gib * 2**30) // (4 * args.features)
    rng = np.random.default_rng(0)
    # Classes are Gaussian clusters around centres in a 16-dimensional
    # subspace, so a nonlinear teacher has something to teach.
    centres = rng.normal(scale=1.5, size=(args.classes, 16)).astype(np.float32)
    mixing = rng.normal(size=(16, args.features)).astype(np.float32) / 4

    def rows(n):
        y = rng.integers(0, args.classes, size=n)
        latent = centres[y] + rng.normal(size=(n, 16)).astype(np.float32)
        X = np.tanh(latent) @ mixing
        X += rng.normal(scale=0.5, size=X.shape).astype(np.float32)
        return X.astype(np.float32), y.astype(np.int16)

    X = np.lib.format.open_memmap(
        directory / "X.npy", mode="w+", dtype=np.float32, shape=(n_rows, args.features)
    )
    y = np.empty(n_rows, dtype=np.int16)
    chunk = 65536
    for start in range(0, n_rows, chunk):
        stop = min(start + chunk, n_rows)
        X[start:stop], y[start:stop] = rows(stop - start)
    X.flush()
    del X
    np.save(directory / "y.npy", y)
    X_test, y_test = rows(20000)
    np.savez(directory / "test.npz", X=X_test, y=y_test)
    X_teach, y_teach = rows(20000)
    teacher = MLPClassifier((256,), max_iter=50, random_state=0)
    teacher.fit(X_teach, y_teach)
    joblib.dump(teacher, directory / "teacher.joblib")
    (directory / "meta.json").write_text(json.dumps(vars(args)))


def measure(args):
    """Fit on the memory-mapped (or loaded) array and report memory (child)."""
    start_status = status_kib("VmRSS")
    import skdistill

    after_import = status_kib("VmRSS")["VmRSS"]
    import joblib
    import numpy as np

    from skdistill import DistilledClassifier, MLPStudent
    from skdistill.utils._keras import import_keras

    keras = import_keras()
    keras.ops.convert_to_numpy(keras.ops.ones((2, 2)) @ keras.ops.ones((2, 2)))
    after_keras = status_kib("VmRSS")["VmRSS"]

    directory = Path(args.dir)
    teacher = joblib.load(directory / "teacher.joblib")
    y = np.load(directory / "y.npy")
    test = np.load(directory / "test.npz")
    X = np.load(directory / "X.npy", mmap_mode=None if args.in_memory else "r")
    clf = DistilledClassifier(
        teacher=teacher,
        student=MLPStudent(hidden_units=(64,), standardize=True),
        temperature=2.0,
        epochs=args.epochs,
        batch_size=args.batch_size,
        n_iter_no_change=None,
        random_state=0,
        verbose=args.verbose,
    )
    t0 = time.perf_counter()
    clf.fit(X, y)
    fit_s = time.perf_counter() - t0
    after_fit = status_kib("VmHWM")["VmHWM"]
    t0 = time.perf_counter()
    train_accuracy = clf.score(X, y)
    score_s = time.perf_counter() - t0
    end = status_kib("VmHWM", "VmRSS", "RssAnon", "RssFile")
    result = {
        "backend": keras.backend.backend(),
        "in_memory": bool(args.in_memory),
        "array_bytes": int(X.nbytes),
        "rows": int(X.shape[0]),
        "rss_start_kib": start_status["VmRSS"],
        "rss_after_import_kib": after_import,
        "rss_after_keras_kib": after_keras,
        "peak_after_fit_kib": after_fit,
        "peak_kib": end["VmHWM"],
        "end": end,
        "fit_s": fit_s,
        "score_s": score_s,
        "train_accuracy": train_accuracy,
        "test_accuracy": clf.score(test["X"], test["y"]),
        "teacher_test_accuracy": teacher.score(test["X"], test["y"]),
        "skdistill": skdistill.__version__,
    }
    print(json.dumps(result))


def main(argv=None):
    parser = make_parser(__doc__, quick="a 0.02 GiB array of 64 features")
    parser.add_argument("--size-gib", type=float, default=2.0)
    parser.add_argument("--features", type=int, default=512)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument(
        "--dir", default=None, help=f"data folder (default {DEFAULT_DIR}-<size>)"
    )
    parser.add_argument(
        "--in-memory", action="store_true", help="also fit on the loaded array"
    )
    parser.add_argument("--verbose", type=int, default=0)
    parser.add_argument("--_child", choices=["make", "measure"], help=argparse.SUPPRESS)
    args = parse(parser, argv, dict(size_gib=0.02, features=64))
    if args.dir is None:
        args.dir = f"{DEFAULT_DIR}-{args.size_gib:g}GiB-{args.features}"
    if args._child == "make":
        return make_data(args)
    if args._child == "measure":
        return measure(args)

    given = sys.argv[1:] if argv is None else list(argv)
    # The children get the settings, not the flags that make them.
    forwarded = [a for a in given if a not in ("--in-memory", "--quick")]
    forwarded += ["--size-gib", f"{args.size_gib}", "--features", f"{args.features}"]
    forwarded += ["--dir", args.dir]
    if not (Path(args.dir) / "meta.json").exists():
        print(f"writing {args.size_gib:g} GiB of rows to {args.dir} ...", flush=True)
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, *forwarded, "--_child", "make"], check=True
        )
        print(f"  done in {time.perf_counter() - t0:.0f} s", flush=True)

    runs = []
    for in_memory in [False, True] if args.in_memory else [False]:
        extra = ["--in-memory"] if in_memory else []
        out = subprocess.run(
            [sys.executable, __file__, *forwarded, *extra, "--_child", "measure"],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        ).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))

    mib = 1024
    print()
    print(
        f"backend: {runs[0]['backend']}; array: {runs[0]['rows']:,} rows x "
        f"{args.features} float32 = {runs[0]['array_bytes'] / 2**30:.2f} GiB"
    )
    header = (
        f"{'input':<10} {'after import':>13} {'after keras':>12} {'peak':>9} "
        f"{'peak-import':>12} {'/ array':>8} {'peak-keras':>11} {'/ array':>8} "
        f"{'fit s':>7} {'test acc':>9}"
    )
    print(header)
    for run in runs:
        size_kib = run["array_bytes"] / 1024
        above_import = run["peak_kib"] - run["rss_after_import_kib"]
        above_keras = run["peak_kib"] - run["rss_after_keras_kib"]
        run["peak_above_import_fraction"] = above_import / size_kib
        run["peak_above_keras_fraction"] = above_keras / size_kib
        print(
            f"{'in memory' if run['in_memory'] else 'memmap':<10} "
            f"{run['rss_after_import_kib'] / mib:>10.0f} MiB "
            f"{run['rss_after_keras_kib'] / mib:>8.0f} MiB "
            f"{run['peak_kib'] / mib:>5.0f} MiB {above_import / mib:>8.0f} MiB "
            f"{above_import / size_kib:>8.3f} {above_keras / mib:>7.0f} MiB "
            f"{above_keras / size_kib:>8.3f} {run['fit_s']:>7.1f} "
            f"{run['test_accuracy']:>9.4f}"
        )
    print(f"teacher test accuracy: {runs[0]['teacher_test_accuracy']:.4f}")
    fraction = runs[0]["peak_above_import_fraction"]
    print(
        f"target: memmap peak above post-import RSS < 0.25 of the array: "
        f"{fraction:.3f} ({'met' if fraction < 0.25 else 'missed'})"
    )
    if args.json:
        write_json(args.json, runs)


if __name__ == "__main__":
    main()
