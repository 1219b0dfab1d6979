"""How much distillation costs: skdistill against per-batch teacher loops.

Measures, on the original notebook's models (a Conv2D 256/512 teacher and a
Conv2D 16/32 student) and MNIST, at equal epochs and batch size:

* ``skdistill``: ``DistilledClassifier.fit`` (teacher outputs computed once);
* ``keras_distiller``: Keras 3's ``keras.distillation.Distiller`` (teacher run
  on every batch);
* ``per_batch``: a loop like the original notebook's ``Distiller.train_step``
  (teacher run on every batch);
* ``limit``: one teacher pass over the rows plus the student trained from
  scratch (``teacher_pass + scratch``), what no distillation can undercut;
* ``grid_search``: ``GridSearchCV`` over 3 temperatures x 3 alphas with cv=3
  against ``independent_fits``: the same 27 fits with the teacher cache off.

Each measurement runs in a fresh Python process so that its peak resident
memory (``ru_maxrss``) is its own. Prints a table of times, ratios and peak
memory, and writes it as JSON.

Run::

    python benchmarks/bench_distill.py --data ../shared/data/mnist.npz

Add ``--n-train 2000 --epochs 2`` for a quick look; ``--quick`` (what CI runs)
takes 500 rows, one epoch, no grid search, and runs the methods in this
process (their memory figures are then not their own).
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import default_data_dir, make_parser, parse, write_json

TEMPERATURES = (1.0, 4.0, 10.0)
ALPHAS = (0.1, 0.5, 0.9)


def _data(config, n_train):
    import numpy as np

    if config["data"] is None:
        from skdistill import load_mnist

        X_train, X_test, y_train, y_test = load_mnist()
    else:
        # Slice before converting to float, so that the rows not used never
        # weigh on the measured peak memory.
        with np.load(config["data"]) as raw:
            X_train, X_test = (
                raw["x_train"][:n_train],
                raw["x_test"][: config["n_test"]],
            )
            y_train, y_test = (
                raw["y_train"][:n_train],
                raw["y_test"][: config["n_test"]],
            )
        X_train, X_test = (
            x[..., None].astype(np.float32) / 255 for x in (X_train, X_test)
        )
    return (
        X_train[:n_train],
        X_test[: config["n_test"]],
        y_train[:n_train],
        y_test[: config["n_test"]],
    )


def _rss_mib():
    """Resident memory of this process now, from /proc (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _student_builder():
    from skdistill import ConvNet

    # Inputs are already in [0, 1], as in the notebook: no normalisation layer,
    # so every method trains exactly the same network.
    return ConvNet(filters=(16, 32), standardize=False)


def _student_model():
    return _student_builder().build({"input_shape": (28, 28, 1), "n_classes_": 10})


def _classifier(config, **params):
    from skdistill import DistilledClassifier

    defaults = dict(
        student=_student_builder(),
        temperature=10.0,
        alpha=0.1,
        epochs=config["epochs"],
        batch_size=config["batch_size"],
        # Fixed epochs, as measured (no early stopping).
        n_iter_no_change=None,
        random_state=0,
    )
    return DistilledClassifier(**{**defaults, **params})


def _accuracy(model, X, y):
    import numpy as np

    from skdistill.utils._keras import predict_logits

    logits = predict_logits(model, X, batch_size=1024, probabilities=False)
    return float(np.mean(np.argmax(logits, axis=1) == y))


def _trained_accuracy(distiller, student, data, config):
    """Fit a Keras distiller for the configured epochs; its student's accuracy."""
    X_train, X_test, y_train, y_test = data
    distiller.fit(
        X_train,
        y_train,
        epochs=config["epochs"],
        batch_size=config["batch_size"],
        verbose=0,
    )
    return _accuracy(student, X_test, y_test)


def _per_batch_distiller(keras, teacher, student, temperature, alpha):
    """A distiller that runs the teacher on every batch, like the notebook's."""
    import tensorflow as tf

    ops = keras.ops
    hard_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    class PerBatchDistiller(keras.Model):
        def __init__(self):
            super().__init__()
            self.teacher, self.student = teacher, student

        def call(self, x):
            return self.student(x)

        def train_step(self, data):
            x, y = data
            teacher_logits = self.teacher(x, training=False)
            with tf.GradientTape() as tape:
                student_logits = self.student(x, training=True)
                p_teacher = ops.softmax(teacher_logits / temperature)
                log_p_student = ops.log_softmax(student_logits / temperature)
                soft = ops.mean(
                    ops.sum(
                        p_teacher * (ops.log(p_teacher + 1e-12) - log_p_student), -1
                    )
                )
                loss = alpha * hard_loss(y, student_logits) + (1 - alpha) * soft
            weights = self.student.trainable_variables
            grads = tape.gradient(loss, weights)
            self.optimizer.apply_gradients(zip(grads, weights, strict=True))
            return {"loss": loss}

    return PerBatchDistiller()


def run_method(method, config):
    """Run one measurement in this process; return its figures."""
    import numpy as np
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from skdistill.teachers._adapters import teacher_logits
    from skdistill.utils._keras import import_keras

    keras = import_keras()
    grid = method in ("grid_search", "independent_fits")
    n_train = config["grid_n_train"] if grid else config["n_train"]
    data = X_train, X_test, y_train, y_test = _data(config, n_train)
    teacher = keras.models.load_model(config["teacher_path"])
    keras.utils.set_random_seed(0)
    result = {"baseline_rss_mib": _rss_mib()}

    start = time.perf_counter()
    if method == "teacher_pass":
        # The same pass DistilledClassifier.fit makes (KerasTeacher's batch size).
        teacher_logits(teacher, X_train)
    elif method == "scratch":
        clf = _classifier(config, alpha=1.0).fit(X_train, y_train)
        result["accuracy"] = clf.score(X_test, y_test)
    elif method == "skdistill":
        clf = _classifier(config, teacher=teacher, teacher_cache=False)
        clf.fit(X_train, y_train)
        result["accuracy"] = clf.score(X_test, y_test)
    elif method == "keras_distiller":
        from keras.distillation import Distiller, LogitsDistillation

        student = _student_model()
        distiller = Distiller(
            teacher=teacher,
            student=student,
            distillation_losses=LogitsDistillation(temperature=10.0),
            student_loss_weight=0.1,
        )
        distiller.compile(
            optimizer="adam",
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        result["accuracy"] = _trained_accuracy(distiller, student, data, config)
    elif method == "per_batch":
        student = _student_model()
        distiller = _per_batch_distiller(keras, teacher, student, 10.0, 0.1)
        distiller.compile(optimizer="adam")
        result["accuracy"] = _trained_accuracy(distiller, student, data, config)
    elif method == "grid_search":
        search = GridSearchCV(
            _classifier(config, teacher=teacher, epochs=config["grid_epochs"]),
            {"temperature": TEMPERATURES, "alpha": ALPHAS},
            cv=3,
            refit=False,
        )
        search.fit(X_train, y_train)
        result["best_score"] = float(search.best_score_)
    elif method == "independent_fits":
        scores = []
        folds = list(StratifiedKFold(3).split(X_train, y_train))
        for temperature in TEMPERATURES:
            for alpha in ALPHAS:
                for train, test in folds:
                    clf = _classifier(
                        config,
                        teacher=teacher,
                        epochs=config["grid_epochs"],
                        temperature=temperature,
                        alpha=alpha,
                        teacher_cache=False,
                    ).fit(X_train[train], y_train[train])
                    scores.append(clf.score(X_train[test], y_train[test]))
        result["best_score"] = float(np.max(np.reshape(scores, (9, 3)).mean(axis=1)))
    else:
        raise ValueError(f"unknown method {method!r}")
    result["seconds"] = time.perf_counter() - start
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["peak_above_baseline_mib"] = (
        result["peak_rss_mib"] - result["baseline_rss_mib"]
    )
    return result


METHODS = (
    "teacher_pass",
    "scratch",
    "skdistill",
    "keras_distiller",
    "per_batch",
    "grid_search",
    "independent_fits",
)


def _train_teacher(config, path):
    from skdistill import ConvNet, DistilledClassifier

    X_train, _, y_train, _ = _data(config, config["n_train"])
    clf = DistilledClassifier(
        student=ConvNet(filters=(256, 512), standardize=False),
        alpha=1.0,
        epochs=config["teacher_epochs"],
        batch_size=config["batch_size"],
        n_iter_no_change=None,
        random_state=0,
    ).fit(X_train, y_train)
    clf.student_model_.save(path)


def _in_subprocess(method, config):
    done = subprocess.run(
        [sys.executable, __file__, "--worker", method, "--config", json.dumps(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{method} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ratios(seconds, peak, teacher_mib):
    """The speed-ups and the memory ratio, of those whose methods ran."""
    limit = seconds.get("teacher_pass", 0.0) + seconds.get("scratch", 0.0)
    seconds = {**seconds, "limit": limit}
    speed = {
        "keras_distiller / skdistill (speed-up, target >= 2.5)": (
            "keras_distiller",
            "skdistill",
        ),
        "per_batch / skdistill (speed-up)": ("per_batch", "skdistill"),
        "skdistill / limit (target <= 1.15)": ("skdistill", "limit"),
        "independent_fits / grid_search (speed-up, target >= 3)": (
            "independent_fits",
            "grid_search",
        ),
    }
    ratios = {
        name: seconds[a] / seconds[b]
        for name, (a, b) in speed.items()
        if a in seconds and seconds.get(b)
    }
    if {"scratch", "skdistill"} <= peak.keys():
        ratios[
            "skdistill peak / (scratch peak + teacher size), above baseline "
            "(target <= 1.2)"
        ] = peak["skdistill"] / (peak["scratch"] + teacher_mib)
    return ratios


def _table(results, config):
    r = results
    seconds = {m: r[m]["seconds"] for m in r}
    peak = {m: r[m]["peak_above_baseline_mib"] for m in r}
    limit = seconds.get("teacher_pass", 0.0) + seconds.get("scratch", 0.0)
    teacher_mib = Path(config["teacher_path"]).stat().st_size / 2**20
    lines = [
        f"MNIST, {config['n_train']} training rows, {config['epochs']} epochs, batch "
        f"size {config['batch_size']}; grid: {config['grid_n_train']} rows, "
        f"{config['grid_epochs']} epoch(s), 3x3 grid, cv=3",
        "Baseline: the process's memory once the data and the teacher are loaded.",
        "",
        "| method | time (s) | test accuracy | peak RSS (MiB) "
        "| peak above baseline (MiB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for method in (m for m in METHODS if m in r):
        row = r[method]
        accuracy = row.get("accuracy", row.get("best_score"))
        accuracy = "-" if accuracy is None else f"{100 * accuracy:.2f}%"
        seconds_, peak_, extra = (
            row[k] for k in ("seconds", "peak_rss_mib", "peak_above_baseline_mib")
        )
        lines.append(
            f"| {method} | {seconds_:.1f} | {accuracy} | {peak_:.0f} | {extra:.0f} |"
        )
    ratios = _ratios(seconds, peak, teacher_mib)
    lines += [
        "",
        f"limit = teacher_pass + scratch = {limit:.1f} s; teacher file "
        f"{teacher_mib:.1f} MiB",
        "",
        "| ratio | value |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {value:.2f} |" for name, value in ratios.items()]
    return "\n".join(lines), {"limit_seconds": limit, "ratios": ratios}


def parse_args(argv):
    parser = make_parser(
        __doc__,
        quick="500 rows, one epoch, no grid search, in this process",
        json_default="bench_distill.json",
    )
    mnist = Path(default_data_dir()) / "mnist.npz"
    parser.add_argument(
        "--data",
        default=str(mnist) if mnist.exists() else None,
        help="Keras-layout mnist.npz (default: ../shared/data's, else download)",
    )
    parser.add_argument("--n-train", type=int, default=10_000)
    parser.add_argument("--n-test", type=int, default=2_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--grid-n-train",
        type=int,
        help="rows for the grid search (default: --n-train)",
    )
    parser.add_argument("--grid-epochs", type=int, default=1)
    parser.add_argument("--teacher", help="a saved notebook teacher (.keras) to reuse")
    parser.add_argument("--teacher-epochs", type=int, default=1)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    quick = dict(n_train=500, n_test=200, epochs=1, methods=list(METHODS[:5]))
    return parse(parser, argv, quick)


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(run_method(args.worker, json.loads(args.config))))
        return 0

    config = {
        "data": args.data,
        "n_train": args.n_train,
        "n_test": args.n_test,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "grid_n_train": args.grid_n_train or args.n_train,
        "grid_epochs": args.grid_epochs,
        "teacher_epochs": args.teacher_epochs,
    }
    run = run_method if args.quick else _in_subprocess
    with tempfile.TemporaryDirectory() as tmp:
        if args.teacher:
            config["teacher_path"] = str(Path(args.teacher).resolve())
        else:
            config["teacher_path"] = str(Path(tmp) / "teacher.keras")
            print(
                f"training the notebook teacher ({args.teacher_epochs} epoch(s))",
                flush=True,
            )
            _train_teacher(config, config["teacher_path"])
        results = {}
        for method in args.methods:
            print(f"running {method} ...", flush=True)
            results[method] = run(method, config)
            print(f"  {results[method]}", flush=True)
        table, derived = _table(results, config)
        print("\n" + table)
    write_json(args.json, {"config": config, "results": results, **derived})
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
