"""Transfer sets: distilling a gradient-boosting teacher with few labels.

A ``HistGradientBoostingClassifier`` with 300 iterations (the teacher) is
trained on plenty of labeled rows. The student's owner has a tenth as many
labels, plus unlabeled rows. On one synthetic tabular problem
(``make_classification``), several seeds, this compares:

* ``teacher``: the gradient-boosting model;
* ``scratch``: the student network trained on the few labels (``alpha=1``);
* ``mlp_sklearn``: scikit-learn's ``MLPClassifier`` of the same width, on the
  few labels;
* ``distilled_unlabeled``: the student distilled with the unlabeled rows
  (``X_unlabeled``);
* ``distilled_munge``: distilled with synthetic rows only
  (``augment=Munge(size=10)``: ten per labeled row, no unlabeled rows);
* ``distilled_both``: unlabeled rows, and as many synthetic rows made from
  the labeled and unlabeled rows (``--munge-size-both``).

For each it reports test accuracy (mean and standard deviation over seeds),
the median time of ``predict`` on 1,000 rows, and the fit time, and checks the
issue's targets. Writes the figures as JSON.

Run::

    python benchmarks/bench_transfer.py

Add ``--quick`` for a look in seconds (what CI runs), or cut the run with
``--seeds 0 --n-unlabeled 5000``.
"""

import sys
import time

import numpy as np
from _data import PROBLEM, make_problem
from _harness import make_parser, markdown, parse, predict_ms, spread, write_json

METHODS = (
    "teacher",
    "scratch",
    "mlp_sklearn",
    "distilled_unlabeled",
    "distilled_munge",
    "distilled_both",
)


def run_seed(config, seed, log=print):
    """Fit every method on one seed's problem; return their figures."""
    from _harness import make_teacher
    from sklearn.neural_network import MLPClassifier

    from skdistill import DistilledClassifier, MLPStudent, Munge

    data = make_problem(config, seed)
    X_test, y_test = data["test"]
    width = tuple(config["hidden_units"])

    teacher = make_teacher("hgb", seed)

    def student(**params):
        # The teacher is fitted (first) before any student is.
        defaults = dict(
            teacher=teacher,
            student=MLPStudent(hidden_units=width, standardize=True),
            temperature=config["temperature"],
            alpha=config["alpha"],
            batch_size=config["batch_size"],
            # Fixed epochs, as measured (no early stopping).
            n_iter_no_change=None,
            random_state=seed,
        )
        return DistilledClassifier(**{**defaults, **params})

    munge = Munge(size=config["munge_size"])
    # With unlabeled rows, Munge works from them too: a smaller size.
    munge_both = Munge(size=config["munge_size_both"])
    unlabeled = {"X_unlabeled": data["unlabeled"]}
    fits = {
        "teacher": (teacher, data["teacher"], {}),
        "scratch": (
            student(teacher=None, alpha=1.0, epochs=config["scratch_epochs"]),
            data["labeled"],
            {},
        ),
        "mlp_sklearn": (
            MLPClassifier(width, max_iter=config["scratch_epochs"], random_state=seed),
            data["labeled"],
            {},
        ),
        "distilled_unlabeled": (
            student(epochs=config["epochs"]),
            data["labeled"],
            unlabeled,
        ),
        "distilled_munge": (
            student(epochs=config["epochs"], augment=munge),
            data["labeled"],
            {},
        ),
        "distilled_both": (
            student(epochs=config["epochs"], augment=munge_both),
            data["labeled"],
            unlabeled,
        ),
    }
    results = {}
    for method in config["methods"]:
        model, (X, y), fit_params = fits[method]
        start = time.perf_counter()
        model.fit(X, y, **fit_params)
        seconds = time.perf_counter() - start
        accuracy = float(np.mean(model.predict(X_test) == y_test))
        results[method] = {
            "accuracy": accuracy,
            "fit_seconds": seconds,
            "predict_ms_per_1000": predict_ms(model, X_test),
        }
        log(f"  seed {seed} {method:<20} accuracy {accuracy:.4f}  fit {seconds:.1f} s")
    return results


def summarize(per_seed):
    """Mean and standard deviation (``ddof=0``) over seeds of each method's figures."""
    summary = {}
    for method in per_seed[0]:
        mean, sd = spread([r[method]["accuracy"] for r in per_seed], population=True)
        summary[method] = {
            "accuracy_mean": mean,
            "accuracy_std": sd,
            "predict_ms_per_1000": float(
                np.median([r[method]["predict_ms_per_1000"] for r in per_seed])
            ),
            "fit_seconds": float(np.mean([r[method]["fit_seconds"] for r in per_seed])),
        }
    return summary


def targets(summary):
    """Where each of the issue's targets stands, as (text, value, met)."""
    out = []
    acc = {m: s["accuracy_mean"] for m, s in summary.items()}
    if {"teacher", "distilled_unlabeled"} <= acc.keys():
        ratio = acc["distilled_unlabeled"] / acc["teacher"]
        out.append(("distilled_unlabeled / teacher (>= 0.98)", ratio, ratio >= 0.98))
    if {"scratch", "distilled_unlabeled"} <= acc.keys():
        gain = 100 * (acc["distilled_unlabeled"] - acc["scratch"])
        out.append(("distilled_unlabeled - scratch, points (>= 5)", gain, gain >= 5))
    if {"scratch", "distilled_munge"} <= acc.keys():
        gain = 100 * (acc["distilled_munge"] - acc["scratch"])
        out.append(("distilled_munge - scratch, points (>= 3)", gain, gain >= 3))
    if {"teacher", "distilled_unlabeled"} <= summary.keys():
        speed = (
            summary["teacher"]["predict_ms_per_1000"]
            / summary["distilled_unlabeled"]["predict_ms_per_1000"]
        )
        out.append(("teacher / student predict time (>= 10)", speed, speed >= 10))
    return out


def table(summary, config):
    head = (
        f"{config['n_teacher']:,} teacher rows; the owner has {config['n_labeled']:,} "
        f"labeled and {config['n_unlabeled']:,} unlabeled rows; "
        f"{config['n_test']:,} test rows; seeds {config['seeds']}"
    )
    methods = markdown(
        [
            "method",
            "test accuracy (mean ± sd)",
            "predict, ms per 1,000 rows",
            "fit time (s)",
        ],
        [
            [
                method,
                f"{100 * s['accuracy_mean']:.2f}% ± {100 * s['accuracy_std']:.2f}",
                f"{s['predict_ms_per_1000']:.2f}",
                f"{s['fit_seconds']:.1f}",
            ]
            for method, s in summary.items()
        ],
        "lrrr",
    )
    found = markdown(
        ["target", "value", "met"],
        [[t, f"{v:.3f}", "yes" if m else "no"] for t, v, m in targets(summary)],
        "lrc",
    )
    return f"{head}\n\n{methods}\n\n{found}"


def parse_args(argv):
    parser = make_parser(
        __doc__,
        quick="one seed, 2,000 teacher rows, 300 labeled, 2,000 unlabeled, "
        "500 test rows, 3 epochs",
        json_default="bench_transfer.json",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-teacher", type=int, default=20_000)
    parser.add_argument("--n-labeled", type=int, default=2_000)
    parser.add_argument("--n-unlabeled", type=int, default=20_000)
    for name, default in PROBLEM.items():
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=type(default), default=default)
    parser.add_argument("--hidden-units", type=int, nargs="+", default=[128, 128])
    parser.add_argument("--temperature", type=float, default=2.0)
    parser.add_argument("--alpha", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--scratch-epochs", type=int, default=200)
    parser.add_argument(
        "--munge-size",
        type=float,
        default=10.0,
        help="synthetic rows per labeled row, synthetic rows only",
    )
    parser.add_argument(
        "--munge-size-both",
        type=float,
        default=1.0,
        help="synthetic rows per labeled or unlabeled row, with unlabeled rows",
    )
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=METHODS)
    return parse(
        parser,
        argv,
        dict(
            seeds=[0],
            n_teacher=2_000,
            n_labeled=300,
            n_unlabeled=2_000,
            n_test=500,
            epochs=3,
            scratch_epochs=3,
            munge_size=2.0,
        ),
    )


def main(argv=None):
    args = parse_args(argv)
    config = {k: v for k, v in vars(args).items() if k not in ("json", "quick")}
    config["methods"] = list(args.methods)
    if "teacher" not in config["methods"]:
        config["methods"].insert(0, "teacher")  # the students need it

    per_seed = []
    for seed in args.seeds:
        print(f"seed {seed}", flush=True)
        per_seed.append(run_seed(config, seed, log=lambda s: print(s, flush=True)))
    summary = summarize(per_seed)
    print("\n" + table(summary, config))
    write_json(
        args.json,
        {
            "config": config,
            "per_seed": per_seed,
            "summary": summary,
            "targets": [
                {"target": t, "value": v, "met": bool(m)}
                for t, v, m in targets(summary)
            ],
        },
    )
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
