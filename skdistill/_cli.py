"""The ``skdistill`` command: ``skdistill compare`` and ``skdistill sweep``."""

import argparse
import os
import sys
import time
from pathlib import Path

DATASET_DEFAULTS = {
    # Small and embedded: a full comparison in about a minute on 2 CPU cores.
    "digits": dict(
        models="mlp",
        teacher_epochs=30,
        epochs=30,
        distill_epochs=30,
        temperature=4.0,
        alpha=0.1,
    ),
    # The original notebook's settings.
    "mnist": dict(
        models="notebook-cnn",
        teacher_epochs=5,
        epochs=5,
        distill_epochs=3,
        temperature=10.0,
        alpha=0.1,
    ),
}


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text}")
    return value


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _unit_float(text):
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1], got {text}")
    return value


def build_parser():
    """The argument parser of the ``skdistill`` command."""
    from ._presets import model_presets

    parser = argparse.ArgumentParser(
        prog="skdistill",
        description="Knowledge distillation experiments: teacher, student from "
        "scratch and distilled student, compared on a test split.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--dataset",
        choices=sorted(DATASET_DEFAULTS),
        default="digits",
        help="digits: scikit-learn's embedded 8x8 digits (default); mnist: "
        "Keras's MNIST (downloaded, or a local file via --data)",
    )
    common.add_argument(
        "--data",
        metavar="PATH",
        help="a local mnist.npz in Keras's layout (default: $SKDISTILL_MNIST_PATH, "
        "else Keras's download)",
    )
    common.add_argument(
        "--models",
        choices=sorted(model_presets()),
        help="teacher/student preset (digits: mlp, mnist: notebook-cnn)",
    )
    common.add_argument("--teacher-epochs", type=_positive_int, help="teacher's epochs")
    common.add_argument(
        "--distill-epochs", type=_positive_int, help="distilled student's epochs"
    )
    common.add_argument("--batch-size", type=_positive_int, default=32)
    common.add_argument(
        "--n-train", type=_positive_int, help="use only the first N training rows"
    )
    common.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    common.add_argument(
        "--teacher", metavar="PATH", help="a saved Keras teacher (.keras) to reuse"
    )
    common.add_argument(
        "--out", metavar="DIR", help="output folder (default skdistill-out/COMMAND)"
    )
    common.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=None,
        help="Keras's verbosity while training (compare: 1, a progress bar; sweep: 0)",
    )

    compare = commands.add_parser(
        "compare",
        parents=[common],
        help="teacher vs student from scratch vs distilled student",
        description="Train (or load) a teacher, train the student from scratch, "
        "distil the student from the teacher, and compare all three on the test "
        "split. Writes report.json, report.md and learning_curves.png.",
    )
    compare.add_argument(
        "--epochs", type=_positive_int, help="epochs of the student from scratch"
    )
    compare.add_argument("--temperature", type=_positive_float)
    compare.add_argument(
        "--latency-repeats",
        type=_positive_int,
        default=7,
        help="timed runs behind each latency's median (default 7)",
    )
    compare.add_argument("--alpha", type=_unit_float, help="weight of the hard term")
    compare.set_defaults(run=_compare)

    sweep = commands.add_parser(
        "sweep",
        parents=[common],
        help="distil over a grid of temperatures and alphas",
        description="Train (or load) the teacher once and distil students over a "
        "grid of temperatures and alphas, reusing the teacher's outputs. Writes "
        "report.json, report.md and sweep.png.",
    )
    sweep.add_argument(
        "--temperatures",
        type=_positive_float,
        nargs="+",
        default=[1.0, 2.0, 4.0, 8.0, 16.0],
    )
    sweep.add_argument(
        "--alphas",
        type=_unit_float,
        nargs="+",
        default=[0.1, 0.5, 1.0],
        help="1.0 adds the student from scratch as a reference",
    )
    sweep.set_defaults(run=_sweep)
    return parser


def _load_data(args):
    from ._datasets import load_digits_split, load_mnist

    if args.dataset == "digits":
        X_train, X_test, y_train, y_test = load_digits_split(random_state=0)
    else:
        X_train, X_test, y_train, y_test = load_mnist(args.data)
    if args.n_train is not None:
        X_train, y_train = X_train[: args.n_train], y_train[: args.n_train]
    return X_train, X_test, y_train, y_test


def _settings(args, names):
    defaults = DATASET_DEFAULTS[args.dataset]
    settings = {}
    for name in names:
        value = getattr(args, name, None)
        settings[name] = defaults[name] if value is None else value
    return settings


def _versions():
    import keras
    import sklearn

    from . import __version__

    return {
        "skdistill": __version__,
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "scikit-learn": sklearn.__version__,
        "python": sys.version.split()[0],
    }


def _log(message):
    print(message, flush=True)


def _write_reports(report, markdown, out, plot_name):
    """Write report.json and report.md beside the plot, print the table; exit 0."""
    from ._report import write_json

    write_json(report, out / "report.json")
    (out / "report.md").write_text(markdown)
    _log("\n" + markdown)
    files = (out / name for name in ("report.json", "report.md", plot_name))
    _log(f"wrote {', '.join(map(str, files))}")
    return 0


def _compare(args):
    from ._experiment import run_compare
    from ._presets import model_presets
    from ._report import (
        compare_markdown,
        compare_summary,
        plot_learning_curves,
    )

    settings = _settings(
        args,
        [
            "models",
            "teacher_epochs",
            "epochs",
            "distill_epochs",
            "temperature",
            "alpha",
        ],
    )
    settings.update(batch_size=args.batch_size, seed=args.seed)
    out = Path(args.out or "skdistill-out/compare")
    data = _load_data(args)
    _log(
        f"skdistill compare: {args.dataset}, {len(data[0])} training and "
        f"{len(data[1])} test rows, models {settings['models']}"
    )
    teacher_builder, student_builder = model_presets()[settings["models"]]
    start = time.perf_counter()
    result = run_compare(
        data,
        teacher_builder=teacher_builder,
        student_builder=student_builder,
        teacher_epochs=settings["teacher_epochs"],
        epochs=settings["epochs"],
        distill_epochs=settings["distill_epochs"],
        temperature=settings["temperature"],
        alpha=settings["alpha"],
        batch_size=args.batch_size,
        seed=args.seed,
        out=out,
        teacher_path=args.teacher,
        latency_repeats=args.latency_repeats,
        verbose=1 if args.verbose is None else args.verbose,
        log=_log,
    )
    report = {
        "command": "compare",
        "dataset": args.dataset,
        "n_train": len(data[0]),
        "n_test": len(data[1]),
        "settings": settings,
        "models": result["models"],
        "summary": compare_summary(result["models"]),
        "histories": result["histories"],
        "seconds": time.perf_counter() - start,
        "versions": _versions(),
    }
    plot_learning_curves(
        result["histories"],
        out / "learning_curves.png",
        title=f"Learning curves on {args.dataset} "
        f"(distilled: T={settings['temperature']:g}, alpha={settings['alpha']:g})",
    )
    return _write_reports(report, compare_markdown(report), out, "learning_curves.png")


def _sweep(args):
    from ._experiment import run_sweep
    from ._presets import model_presets
    from ._report import plot_sweep, sweep_markdown

    settings = _settings(args, ["models", "teacher_epochs", "distill_epochs"])
    settings.update(batch_size=args.batch_size, seed=args.seed)
    out = Path(args.out or "skdistill-out/sweep")
    data = _load_data(args)
    _log(
        f"skdistill sweep: {args.dataset}, {len(data[0])} training and "
        f"{len(data[1])} test rows, models {settings['models']}, temperatures "
        f"{args.temperatures}, alphas {args.alphas}"
    )
    teacher_builder, student_builder = model_presets()[settings["models"]]
    start = time.perf_counter()
    result = run_sweep(
        data,
        teacher_builder=teacher_builder,
        student_builder=student_builder,
        teacher_epochs=settings["teacher_epochs"],
        distill_epochs=settings["distill_epochs"],
        temperatures=args.temperatures,
        alphas=args.alphas,
        batch_size=args.batch_size,
        seed=args.seed,
        out=out,
        teacher_path=args.teacher,
        verbose=0 if args.verbose is None else args.verbose,
        log=_log,
    )
    report = {
        "command": "sweep",
        "dataset": args.dataset,
        "n_train": len(data[0]),
        "n_test": len(data[1]),
        "settings": settings,
        **result,
        "seconds": time.perf_counter() - start,
        "versions": _versions(),
    }
    plot_sweep(report, out / "sweep.png")
    return _write_reports(report, sweep_markdown(report), out, "sweep.png")


def main(argv=None):
    """Run the ``skdistill`` command line; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # This process draws only to files: no interactive backend is needed.
    os.environ.setdefault("MPLBACKEND", "Agg")
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (FileNotFoundError, ValueError) as exc:
        print(f"skdistill {args.command}: error: {exc}", file=sys.stderr)
        return 2
