"""Every federation module gets its own deployment B (``tests/support/deployments.py``)."""

from tests.support.deployments import b_admin, b_client, b_pool, b_settings, b_world

__all__ = ["b_admin", "b_client", "b_pool", "b_settings", "b_world"]
