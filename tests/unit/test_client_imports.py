"""The API client (services/client) is usable without the server: importing it loads
neither Litestar nor the API's code nor shared/, so a bench or a script can ship it alone."""

from __future__ import annotations

import subprocess
import sys

LOADED = (
    "import sys, services.client; "
    "print(sorted({m.split('.')[0] if m.split('.')[0] != 'services' else m "
    "for m in sys.modules if m.startswith(('litestar', 'services.', 'shared'))}))"
)


def test_importing_the_client_loads_nothing_of_the_server() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", LOADED], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "['services.client', 'services.client.api', 'services.client.errors']"
