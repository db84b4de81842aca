"""``python -m bench.fleet [--quick]``: the fleet's page on its own."""

import sys

from bench.fleet import measure, render

print(render(measure("--quick" in sys.argv)))
