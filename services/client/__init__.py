"""One typed client of the Samlast HTTP API, for the demo, the benches and the tests.

``SamlastClient`` speaks to a base URL or through an ``httpx.AsyncClient`` it is given
(Litestar's ``AsyncTestClient`` is one), as one bearer token; ``as_`` gives the same
connection under another token. A refusal raises ``ApiError`` with the problem details.
Answers are the API's JSON as plain dicts and lists: the API's own response structs
live with the server, and the client imports nothing of it.
"""

from services.client.api import SamlastClient
from services.client.errors import ApiError

__all__ = ["ApiError", "SamlastClient"]
