"""The ``skdistill`` command: ``skdistill compare`` and ``skdistill sweep``."""

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from ._console import Console, isatty

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


def _by_dataset(name):
    """A setting's default for each dataset, for --help."""
    values = (
        (dataset, defaults[name]) for dataset, defaults in DATASET_DEFAULTS.items()
    )
    return ", ".join(
        f"{value:g} for {dataset}"
        if isinstance(value, float)
        else f"{value} for {dataset}"
        for dataset, value in values
    )


def build_parser():
    """The argument parser of the ``skdistill`` command."""
    from . import __version__
    from ._presets import model_presets

    parser = argparse.ArgumentParser(
        prog="skdistill",
        description="Knowledge distillation experiments: teacher, student from "
        "scratch and distilled student, compared on a test split.",
    )
    parser.add_argument(
        "--version", action="version", version=f"skdistill {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--dataset",
        choices=sorted(DATASET_DEFAULTS),
        default=None,
        help="digits: scikit-learn's embedded 8x8 digits; mnist: Keras's MNIST "
        "(a local file via --data or $SKDISTILL_MNIST_PATH, else downloaded) "
        "(default: digits, or mnist when --data is given)",
    )
    common.add_argument(
        "--data",
        metavar="PATH",
        help="a local mnist.npz in Keras's layout; implies --dataset mnist "
        "(default: $SKDISTILL_MNIST_PATH, else Keras's download)",
    )
    common.add_argument(
        "--models",
        choices=sorted(model_presets()),
        help=f"teacher/student preset (default: {_by_dataset('models')})",
    )
    common.add_argument(
        "--teacher-epochs",
        metavar="N",
        type=_positive_int,
        help=f"teacher's epochs (default: {_by_dataset('teacher_epochs')})",
    )
    common.add_argument(
        "--distill-epochs",
        metavar="N",
        type=_positive_int,
        help="distilled student's epochs; in sweep, every student's (default: "
        f"{_by_dataset('distill_epochs')})",
    )
    common.add_argument(
        "--batch-size",
        metavar="N",
        type=_positive_int,
        default=32,
        help="rows per gradient step (default: %(default)s)",
    )
    common.add_argument(
        "--n-train",
        metavar="N",
        type=_positive_int,
        help="use only the first N training rows (default: all)",
    )
    common.add_argument(
        "--seed",
        metavar="N",
        type=int,
        default=0,
        help="random seed of every fit, and of the validation rows "
        "(default: %(default)s)",
    )
    common.add_argument(
        "--teacher",
        metavar="PATH",
        help="a saved Keras teacher (.keras) to reuse (default: train one)",
    )
    common.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default: skdistill-out/COMMAND)",
    )
    common.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=1,
        help="0: one line per stage; 1: also a progress bar for the whole job; "
        "2: also Keras's output for every epoch (default: %(default)s)",
    )

    compare = commands.add_parser(
        "compare",
        parents=[common],
        help="teacher vs student from scratch vs distilled student",
        description="Train (or load) a teacher, train the student from scratch, "
        "distil the student from the teacher, and compare all three on the test "
        "split. Every fit holds out the same 10% of the training rows for "
        "validation. Writes report.json, report.md and learning_curves.png.",
    )
    compare.add_argument(
        "--epochs",
        metavar="N",
        type=_positive_int,
        help=f"epochs of the student from scratch (default: {_by_dataset('epochs')})",
    )
    compare.add_argument(
        "--temperature",
        metavar="T",
        type=_positive_float,
        help=f"distillation temperature, > 0 (default: {_by_dataset('temperature')})",
    )
    compare.add_argument(
        "--alpha",
        metavar="A",
        type=_unit_float,
        help="weight of the hard (true-label) term, in [0, 1] (default: "
        f"{_by_dataset('alpha')})",
    )
    compare.add_argument(
        "--latency-repeats",
        metavar="N",
        type=_positive_int,
        default=7,
        help="timed runs behind each latency's median (default: %(default)s)",
    )
    compare.set_defaults(run=_compare)

    sweep = commands.add_parser(
        "sweep",
        parents=[common],
        help="distil over a grid of temperatures and alphas",
        description="Train (or load) the teacher once and distil students over a "
        "grid of temperatures and alphas, reusing the teacher's outputs. Every "
        "fit holds out the same 10% of the training rows for validation as "
        "compare's. Writes report.json, report.md and sweep.png.",
    )
    sweep.add_argument(
        "--temperatures",
        type=_positive_float,
        nargs="+",
        default=[1.0, 2.0, 4.0, 8.0, 16.0],
        metavar="T",
        help="temperatures to try (default: 1 2 4 8 16)",
    )
    sweep.add_argument(
        "--alphas",
        type=_unit_float,
        nargs="+",
        default=[0.1, 0.5, 1.0],
        metavar="A",
        help="alphas to try; 1.0 adds the student from scratch as a reference "
        "(default: 0.1 0.5 1.0)",
    )
    sweep.set_defaults(run=_sweep)
    return parser


class CommandError(Exception):
    """A problem the command reports in one line, with exit status 2."""


def _load_data(args, console):
    from ._datasets import (
        MNIST_PATH_VARIABLE,
        MNISTDownloadError,
        load_digits_split,
        load_mnist,
    )

    if args.dataset == "digits":
        X_train, X_test, y_train, y_test = load_digits_split(random_state=0)
    else:
        try:
            X_train, X_test, y_train, y_test = _load_mnist_quietly(
                load_mnist, args.data, console
            )
        except MNISTDownloadError as exc:
            raise CommandError(
                f"{exc} Give a local mnist.npz in Keras's layout with --data PATH "
                f"or the environment variable {MNIST_PATH_VARIABLE}."
            ) from exc
    if args.n_train is not None:
        X_train, y_train = X_train[: args.n_train], y_train[: args.n_train]
    return X_train, X_test, y_train, y_test


def _load_mnist_quietly(load_mnist, path, console):
    """``load_mnist(path)``; off a terminal, without Keras's download bar."""
    from ._datasets import MNIST_PATH_VARIABLE

    local = path is not None or os.environ.get(MNIST_PATH_VARIABLE)
    if local or isatty(console.stream):
        return load_mnist(path)
    from ._keras import import_keras

    # Keras draws the download's progress with ANSI codes; off a terminal
    # its messages go to absl's log instead, which shows none by default.
    utils = import_keras().utils
    interactive = utils.is_interactive_logging_enabled()
    utils.disable_interactive_logging()
    try:
        return load_mnist(path)
    finally:
        if interactive:
            utils.enable_interactive_logging()


def _settings(args, names):
    defaults = DATASET_DEFAULTS[args.dataset]
    settings = {}
    for name in names:
        value = getattr(args, name, None)
        settings[name] = defaults[name] if value is None else value
    return settings


def _versions():
    import sklearn

    from . import __version__
    from ._keras import import_keras

    keras = import_keras()
    return {
        "skdistill": __version__,
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "scikit-learn": sklearn.__version__,
        "python": sys.version.split()[0],
    }


def _keras_verbose(args, console):
    """Keras's verbosity for ``--verbose``: silent below 2.

    At 2, its progress bar for every epoch on a terminal, and elsewhere one
    plain line per epoch: its bar writes ANSI codes wherever it writes.
    """
    if args.verbose < 2:
        return 0
    return 1 if isatty(console.stream) else 2


def _console(args):
    # Keras's own bars (--verbose 2 on a terminal) would fight a bar redrawn
    # in place: the job's bar is then printed as lines between stages.
    return Console(bar=args.verbose >= 1, live=False if args.verbose >= 2 else None)


def _rows(args, data):
    """The report's row counts: training split, trained on, held out, test."""
    from ._experiment import VALIDATION_FRACTION, split_sizes

    n_fit, n_validation = split_sizes(data[2], args.seed)
    return {
        "n_train": len(data[0]),
        "n_fit": n_fit,
        "n_validation": n_validation,
        "validation_fraction": VALIDATION_FRACTION,
        "n_test": len(data[1]),
    }


def _header(command, args, rows, models):
    return (
        f"skdistill {command}: {args.dataset}, models {models}; "
        f"{rows['n_train']} training rows ({rows['n_fit']} trained on, "
        f"{rows['n_validation']} held out for validation), "
        f"{rows['n_test']} test rows"
    )


def _write_reports(report, markdown, out, plot_name, console):
    """Write report.json and report.md beside the plot, print the table; exit 0."""
    from ._report import write_json

    console.finish()
    write_json(report, out / "report.json")
    (out / "report.md").write_text(markdown)
    console.log("\n" + markdown)
    files = (out / name for name in ("report.json", "report.md", plot_name))
    console.log(f"wrote {', '.join(map(str, files))}")
    return 0


def _compare(args):
    from ._experiment import run_compare
    from ._presets import model_presets
    from ._report import (
        compare_markdown,
        compare_summary,
        plot_learning_curves,
    )

    console = _console(args)
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
    data = _load_data(args, console)
    rows = _rows(args, data)
    console.log(_header("compare", args, rows, settings["models"]))
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
        verbose=_keras_verbose(args, console),
        log=console.log,
        progress=console,
    )
    report = {
        "command": "compare",
        "dataset": args.dataset,
        **rows,
        "settings": settings,
        "models": result["models"],
        "summary": compare_summary(result["models"]),
        "histories": result["histories"],
        "seconds": time.perf_counter() - start,
        "versions": _versions(),
    }
    plot = "learning_curves.png"
    plot_learning_curves(
        result["histories"],
        out / plot,
        title=f"Learning curves on {args.dataset} "
        f"(distilled: T={settings['temperature']:g}, alpha={settings['alpha']:g})",
    )
    markdown = compare_markdown(report, plot=plot)
    return _write_reports(report, markdown, out, plot, console)


def _sweep(args):
    from ._experiment import run_sweep
    from ._presets import model_presets
    from ._report import plot_sweep, sweep_markdown

    console = _console(args)
    settings = _settings(args, ["models", "teacher_epochs", "distill_epochs"])
    settings.update(batch_size=args.batch_size, seed=args.seed)
    out = Path(args.out or "skdistill-out/sweep")
    data = _load_data(args, console)
    rows = _rows(args, data)
    console.log(
        _header("sweep", args, rows, settings["models"])
        + f"; temperatures {' '.join(f'{t:g}' for t in args.temperatures)}, "
        f"alphas {' '.join(f'{a:g}' for a in args.alphas)}"
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
        verbose=_keras_verbose(args, console),
        log=console.log,
        progress=console,
    )
    report = {
        "command": "sweep",
        "dataset": args.dataset,
        **rows,
        "settings": settings,
        **result,
        "seconds": time.perf_counter() - start,
        "versions": _versions(),
    }
    plot = "sweep.png"
    plot_sweep(report, out / plot)
    return _write_reports(report, sweep_markdown(report, plot=plot), out, plot, console)


def _resolve_dataset(args):
    """``--data`` implies ``--dataset mnist``; digits is the default."""
    if args.data is not None:
        if args.dataset not in (None, "mnist"):
            raise CommandError(
                f"--data is a local MNIST file; it cannot be used with "
                f"--dataset {args.dataset}."
            )
        args.dataset = "mnist"
    elif args.dataset is None:
        args.dataset = "digits"


def main(argv=None):
    """Run the ``skdistill`` command line; returns the exit status."""
    # This process draws only to files: no interactive backend is needed.
    os.environ.setdefault("MPLBACKEND", "Agg")
    args = build_parser().parse_args(argv)
    # TensorFlow warns, on its Python logger, when it traces training steps
    # often: this command trains several models in one process by design.
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    tf_logger.setLevel(max(level, logging.ERROR))
    try:
        _resolve_dataset(args)
        return args.run(args)
    except (CommandError, OSError, ValueError) as exc:
        message = " ".join(str(exc).split())  # one line
        print(f"skdistill {args.command}: error: {message}", file=sys.stderr)
        return 2
    finally:
        tf_logger.setLevel(level)
