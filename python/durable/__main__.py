"""``python -m durable``: the command line (same as ``durable``)."""

import sys

from durable.cli.main import main

sys.exit(main())
