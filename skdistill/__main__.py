"""``python -m skdistill`` runs the ``skdistill`` command."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
