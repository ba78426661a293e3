"""``python -m core``: the command line, which lives in cli/ (the one import out of core)."""

import sys

from cli import main

sys.exit(main())
