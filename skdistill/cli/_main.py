"""The ``skdistill`` command: ``skdistill compare`` and ``skdistill sweep``."""

import logging
import os
import sys
import time
from pathlib import Path

from ..utils._keras import KERAS_MISSING
from ._console import Console, keras_verbose, versions
from ._errors import CommandError
from ._image_data import load_data as _load_data
from ._parser import DATASET_DEFAULTS, build_parser


def _settings(args, names):
    defaults = DATASET_DEFAULTS[args.dataset]
    settings = {}
    for name in names:
        value = getattr(args, name, None)
        settings[name] = defaults[name] if value is None else value
    return settings


def _runner_output(args, console):
    """The arguments every runner takes for what it prints: verbosity, the
    stage-line function and the job progress bar."""
    return {
        "verbose": keras_verbose(args.verbose, console),
        "log": console.log,
        "progress": console,
    }


def _console(args):
    # Keras's own bars (--verbose 2 on a terminal) would fight a bar redrawn
    # in place: the job's bar is then printed as lines between stages.
    return Console(bar=args.verbose >= 1, live=False if args.verbose >= 2 else None)


def _rows(args, data):
    """The report's row counts: training split, trained on, held out, test."""
    from ._fitting import VALIDATION_FRACTION, split_sizes

    n_fit, n_validation = split_sizes(data[2], args.seed)
    return {
        "n_train": len(data[0]),
        "n_fit": n_fit,
        "n_validation": n_validation,
        "validation_fraction": VALIDATION_FRACTION,
        "n_test": len(data[1]),
    }


def _announce_replacement(out, console):
    from ._report import announce_replacement

    announce_replacement(out, console)


def _header(command, args, rows, models):
    return (
        f"skdistill {command}: {args.dataset}, models {models}; "
        f"{rows['n_train']} training rows ({rows['n_fit']} trained on, "
        f"{rows['n_validation']} held out for validation), "
        f"{rows['n_test']} test rows"
    )


def _write_reports(report, markdown, out, plot_names, console):
    """Write report.json and report.md beside the plots, print the table; exit 0."""
    from ._report import write_reports

    return write_reports(report, markdown, out, plot_names, console)


def _check_transfer_args(args):
    """Raise :class:`CommandError` for options the transfer scenario refuses."""
    if args.dataset != "digits":
        raise CommandError("--scenario transfer runs on --dataset digits only.")
    if args.teacher_model not in ("svc", "boosting"):
        raise CommandError(
            f"--teacher-model {args.teacher_model} is for a table; on digits "
            "choose svc or boosting."
        )
    if args.teacher is not None:
        raise CommandError(
            "--teacher (a saved Keras teacher) is for --scenario same-labels; "
            "the transfer scenario fits its teacher (--teacher-model)."
        )
    if args.seeds < 2:
        raise CommandError(
            "--seeds must be at least 2 in the transfer scenario: the interval "
            "for distilled - scratch needs a spread."
        )
    if not 0 < args.teacher_fraction < 1:
        raise CommandError(
            f"--teacher-fraction must be in (0, 1), got {args.teacher_fraction}"
        )


def _transfer_settings(args):
    """The transfer scenario's settings, as its report lists them."""
    settings = _settings(args, ["epochs", "temperature", "alpha"])
    settings.update(
        teacher=args.teacher_model,
        teacher_fraction=args.teacher_fraction,
        labeled=args.labeled,
        units=args.units,
        widths=sorted(args.widths),
        seeds=list(range(args.seed, args.seed + args.seeds)),
        batch_size=args.batch_size,
    )
    if args.export is not None:
        settings["export"] = args.export
    return settings


def _run_transfer(args, data, settings, console):
    """:func:`run_transfer_compare` with the report's ``settings``; its result."""
    from ._few_labels import TransferSettings, run_transfer_compare

    transfer_settings = TransferSettings(
        teacher=args.teacher_model,
        teacher_fraction=args.teacher_fraction,
        n_labeled=args.labeled,
        units=args.units,
        widths=settings["widths"],
        seeds=settings["seeds"],
        epochs=settings["epochs"],
        temperature=settings["temperature"],
        alpha=settings["alpha"],
        batch_size=args.batch_size,
        latency_repeats=args.latency_repeats,
        export=args.export,
    )
    return run_transfer_compare(
        data, transfer_settings, **_runner_output(args, console)
    )


def _transfer_report(args, data, settings, result):
    """report.json's content for the transfer scenario, but its wall time."""
    from ._report import interval_sentence

    return {
        "command": "compare",
        "dataset": args.dataset,
        "scenario": "transfer",
        "rows": {"n_train": len(data[0]), **result["rows"]},
        "settings": settings,
        "models": result["models"],
        "distilled_minus_scratch": result["distilled_minus_scratch"],
        "sentence": interval_sentence(result["distilled_minus_scratch"]),
        "compression": result["compression"],
        "exported": result["exported"],
        "versions": versions(),
    }


def _compare_transfer(args, start):
    """compare's transfer scenario (see the --help of compare)."""
    from ._transfer_report import (
        plot_compression,
        plot_transfer_latency,
        transfer_markdown,
    )

    _check_transfer_args(args)
    console = _console(args)
    settings = _transfer_settings(args)
    out = Path(args.out or "skdistill-out/compare")
    data = _load_data(args, console)
    console.log(
        f"skdistill compare: {args.dataset}, transfer scenario; teacher "
        f"{args.teacher_model}, student of {args.units} units with "
        f"{args.labeled} labels, {len(settings['seeds'])} seeds, compression "
        f"widths {' '.join(map(str, settings['widths']))}; {len(data[1])} test rows"
    )
    _announce_replacement(out, console)
    result = _run_transfer(args, data, settings, console)
    report = _transfer_report(args, data, settings, result)
    plots = ["compression.png", "latency.png"]
    out.mkdir(parents=True, exist_ok=True)
    plot_compression(report, out / plots[0])
    plot_transfer_latency(report, out / plots[1])
    report["wall_seconds"] = time.perf_counter() - start
    markdown = transfer_markdown(report, *plots)
    return _write_reports(report, markdown, out, plots, console)


def _compare(args):
    if args.dataset == "table":
        from ._table_command import compare_table

        return compare_table(args, _console(args))
    start = time.perf_counter()
    if args.scenario is None:
        args.scenario = DATASET_DEFAULTS[args.dataset]["scenario"]
    if args.scenario == "transfer":
        return _compare_transfer(args, start)
    return _compare_same_labels(args)


def _run_same_labels(args, data, settings, out, console):
    """:func:`run_compare` with the report's ``settings``; its result."""
    from ..students._presets import model_presets
    from ._experiment import CompareSettings, run_compare

    teacher_builder, student_builder = model_presets()[settings["models"]]
    compare_settings = CompareSettings(
        teacher_builder=teacher_builder,
        student_builder=student_builder,
        teacher_epochs=settings["teacher_epochs"],
        epochs=settings["epochs"],
        distill_epochs=settings["distill_epochs"],
        temperature=settings["temperature"],
        alpha=settings["alpha"],
        batch_size=args.batch_size,
        seed=args.seed,
        teacher_path=args.teacher,
        latency_repeats=args.latency_repeats,
    )
    return run_compare(data, compare_settings, out=out, **_runner_output(args, console))


def _compare_same_labels(args):
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
    _announce_replacement(out, console)
    start = time.perf_counter()
    result = _run_same_labels(args, data, settings, out, console)
    report = {
        "command": "compare",
        "dataset": args.dataset,
        **rows,
        "settings": settings,
        "models": result["models"],
        "summary": compare_summary(result["models"]),
        "histories": result["histories"],
        "seconds": time.perf_counter() - start,
        "versions": versions(),
    }
    plot = "learning_curves.png"
    plot_learning_curves(
        result["histories"],
        out / plot,
        title=f"Learning curves on {args.dataset} "
        f"(distilled: T={settings['temperature']:g}, alpha={settings['alpha']:g})",
    )
    markdown = compare_markdown(report, plot=plot)
    return _write_reports(report, markdown, out, [plot], console)


def _run_sweep(args, data, settings, out, console):
    """:func:`run_sweep` with the report's ``settings``; its result."""
    from ..students._presets import model_presets
    from ._experiment import SweepSettings, run_sweep

    teacher_builder, student_builder = model_presets()[settings["models"]]
    sweep_settings = SweepSettings(
        teacher_builder=teacher_builder,
        student_builder=student_builder,
        teacher_epochs=settings["teacher_epochs"],
        distill_epochs=settings["distill_epochs"],
        temperatures=args.temperatures,
        alphas=args.alphas,
        batch_size=args.batch_size,
        seed=args.seed,
        teacher_path=args.teacher,
    )
    return run_sweep(data, sweep_settings, out=out, **_runner_output(args, console))


def _sweep(args):
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
    _announce_replacement(out, console)
    start = time.perf_counter()
    result = _run_sweep(args, data, settings, out, console)
    report = {
        "command": "sweep",
        "dataset": args.dataset,
        **rows,
        "settings": settings,
        **result,
        "seconds": time.perf_counter() - start,
        "versions": versions(),
    }
    plot = "sweep.png"
    plot_sweep(report, out / plot)
    return _write_reports(
        report, sweep_markdown(report, plot=plot), out, [plot], console
    )


#: Defaults of options that a table run sets otherwise (see TABLE_DEFAULTS).
_IMAGE_DEFAULTS = dict(batch_size=32, seeds=5, labeled=100, teacher_model="svc")


def _resolve_dataset(args):
    """``--data`` implies ``--dataset mnist`` unless it is a table, which
    ``--target`` names; digits is the default."""
    from ._table_command import resolve_table

    if resolve_table(args):
        return
    for name, value in _IMAGE_DEFAULTS.items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    if args.data is not None:
        if args.dataset not in (None, "mnist"):
            raise CommandError(
                f"--data is a local MNIST file; it cannot be used with "
                f"--dataset {args.dataset}."
            )
        args.dataset = "mnist"
    elif args.dataset is None:
        args.dataset = "digits"


def _error(args, exc):
    message = " ".join(str(exc).split())  # one line
    print(f"skdistill {args.command}: error: {message}", file=sys.stderr)
    return 2


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
        return {"compare": _compare, "sweep": _sweep}[args.command](args)
    except (OSError, ValueError) as exc:  # CommandError is a ValueError
        return _error(args, exc)
    except ImportError as exc:
        # The library's own message, naming the extra to install; any other
        # ImportError is a broken install, and its traceback says where.
        if not str(exc).startswith(KERAS_MISSING):
            raise
        return _error(args, KERAS_MISSING)
    finally:
        tf_logger.setLevel(level)
