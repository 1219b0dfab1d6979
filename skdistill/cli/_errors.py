"""The error the ``skdistill`` command reports in one line."""


class CommandError(ValueError):
    """A problem the command reports in one line, with exit status 2.

    It names the problem and the fix; ``main`` prints it on the standard
    error as ``skdistill COMMAND: error: MESSAGE``.
    """
