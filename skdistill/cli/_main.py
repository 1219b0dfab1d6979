"""The ``skdistill`` command: ``skdistill compare`` and ``skdistill sweep``."""

import logging
import os
import sys

from ..utils._keras import KERAS_MISSING
from ._console import Console
from ._parser import build_parser


def _console(args):
    # Keras's own bars (--verbose 2 on a terminal) would fight a bar redrawn
    # in place: the job's bar is then printed as lines between stages.
    return Console(bar=args.verbose >= 1, live=False if args.verbose >= 2 else None)


def _error(args, exc):
    message = " ".join(str(exc).split())  # one line
    print(f"skdistill {args.command}: error: {message}", file=sys.stderr)
    return 2


def main(argv=None):
    """Run the ``skdistill`` command line; returns the exit status."""
    from ._command import run_command

    # This process draws only to files: no interactive backend is needed.
    os.environ.setdefault("MPLBACKEND", "Agg")
    args = build_parser().parse_args(argv)
    # TensorFlow warns, on its Python logger, when it traces training steps
    # often: this command trains several models in one process by design.
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    tf_logger.setLevel(max(level, logging.ERROR))
    try:
        return run_command(args, _console(args))
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
