"""``python -m mlbasics.cli ...``: how a cloud job (and Beam's workers) run the command."""

import sys

from mlbasics.cli import main

sys.exit(main())
