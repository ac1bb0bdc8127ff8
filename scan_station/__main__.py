"""`python -m scan_station` is the `scan-station` command."""

import sys

from .cli import main

sys.exit(main())
