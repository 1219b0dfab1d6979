"""What the ``skdistill`` command prints as it works."""

import sys
import time


def isatty(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def keras_verbose(verbose, console):
    """Keras's verbosity for ``--verbose``: silent below 2.

    At 2, its progress bar for every epoch on a terminal, and elsewhere one
    plain line per epoch: its bar writes ANSI codes wherever it writes.
    """
    if verbose < 2:
        return 0
    return 1 if isatty(console.stream) else 2


def versions():
    """The versions behind a run, for its report: pandas's and Keras's (with
    its backend) where the run loaded them."""
    import sklearn

    from .. import __version__

    found = {
        "skdistill": __version__,
        "scikit-learn": sklearn.__version__,
        "python": sys.version.split()[0],
    }
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        found["pandas"] = pandas.__version__
    keras = sys.modules.get("keras")
    if keras is not None:
        found.update(keras=keras.__version__, backend=keras.backend.backend())
    return found


class Console:
    """What the command prints as it works: stage lines and one job progress bar.

    The bar counts the training epochs of the whole job (or its fits, for
    a job of scikit-learn models). On a terminal it is
    redrawn in place, below the stage lines; elsewhere (a file, a pipe) it is
    printed as a line of its own before each new stage and at the end. It
    writes no ANSI escape codes.

    Parameters
    ----------
    stream : file, default=sys.stdout
    bar : bool, default=True
        Whether to show the bar at all.
    live : bool, default=None
        Whether to redraw the bar in place; None: when ``stream`` is a
        terminal.
    """

    WIDTH = 20
    INDENT = "      "

    def __init__(self, stream=None, *, bar=True, live=None):
        self.stream = sys.stdout if stream is None else stream
        self.bar = bar
        self.live = bar and (isatty(self.stream) if live is None else live)
        self.total = self.done = 0
        self.unit = "epochs"
        self._start = time.perf_counter()
        self._shown = 0  # epochs done at the last bar printed as a line
        self._drawn = 0  # width of the bar on screen, redrawn in place

    def log(self, message):
        """Print one line, e.g. a stage."""
        self._clear()
        if not self.live:
            self._print_bar()
        self._write(message + "\n")
        self._draw()

    def start(self, total, unit="epochs"):
        """Start the bar for ``total`` epochs (or other ``unit`` of work)."""
        self.total, self.done, self._shown, self.unit = total, 0, 0, unit
        self._start = time.perf_counter()
        self._draw()

    def advance(self):
        """Count one epoch (one unit) done."""
        self.done += 1
        self._draw()

    def finish(self):
        """Leave the final state of the bar as a line."""
        self._clear()
        self._print_bar()

    def bar_text(self):
        """The bar: ``[####....] done/total epochs, elapsed, time left``."""
        filled = self.WIDTH * self.done // max(self.total, 1)
        elapsed = time.perf_counter() - self._start
        text = (
            f"{self.INDENT}[{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{self.done}/{self.total} {self.unit}, {elapsed:.0f} s"
        )
        if 0 < self.done < self.total:
            left = elapsed / self.done * (self.total - self.done)
            text += f", about {left:.0f} s left"
        return text

    def _write(self, text):
        self.stream.write(text)
        self.stream.flush()

    def _print_bar(self):
        if self.bar and self.total and self.done > self._shown:
            self._shown = self.done
            self._write(self.bar_text() + "\n")

    def _draw(self):
        if self.live and self.total:
            text = self.bar_text()
            self._write("\r" + text + " " * max(self._drawn - len(text), 0))
            self._drawn = len(text)

    def _clear(self):
        if self._drawn:
            self._write("\r" + " " * self._drawn + "\r")
            self._drawn = 0
