"""``python -m bench.load [--quick]``: the load bench's page on its own."""

import sys

from bench.load import measure, render

print(render(measure("--quick" in sys.argv)))
