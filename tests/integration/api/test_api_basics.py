from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from infra.devservers import embedded_redis
from services.api.app import create_app
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.http import Client, bearer


async def test_health_reports_postgres_and_redis(client: Client, admin_token: str) -> None:
    response = await client.get("/health", headers=bearer(admin_token))  # details: admins
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"  # no matcher runs beside this in-process app
    assert body["postgres"]["ok"] is True
    assert int(body["postgres"]["version"].split(".")[0]) >= 15
    assert body["redis"]["ok"] is True
    assert body["redis"]["version"]


async def test_health_without_a_worker_says_so(client: Client, admin_token: str) -> None:
    body = (await client.get("/health", headers=bearer(admin_token))).json()
    assert body["worker"] == {"ok": False, "heartbeat": None}


async def test_health_is_degraded_when_redis_goes_away(
    settings: Settings, pool: Pool, admin_token: str
) -> None:
    redis_server = embedded_redis()
    redis_url = redis_server.__enter__()
    try:
        app = create_app(settings.replace(**{"redis.url": redis_url}))
        async with AsyncTestClient(app=app) as client:
            assert (await client.get("/health")).status_code == 200
            redis_server.__exit__(None, None, None)  # the Redis server stops here
            response = await client.get("/health", headers=bearer(admin_token))
    finally:
        redis_server.__exit__(None, None, None)
    assert response.status_code == 200  # still serving: only PostgreSQL's absence is a 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["postgres"]["ok"] is True
    assert body["redis"]["ok"] is False
    assert body["redis"]["error"]


async def test_unknown_route_is_a_problem_document(client: Client) -> None:
    response = await client.get("/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not Found"
    assert body["instance"] == "/v1/no-such-thing"


async def test_wrong_method_is_a_problem_document(client: Client) -> None:
    response = await client.delete("/health")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_openapi_schema_is_served(client: Client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Samlast API"
    assert "/health" in schema["paths"]
    assert "503" in schema["paths"]["/health"]["get"]["responses"]


async def test_the_api_documentation_page_loads_nothing_from_elsewhere(client: Client) -> None:
    page = await client.get("/schema")
    assert page.status_code == 200
    assert "/static/vendor/redoc/redoc.standalone.js" in page.text
    # no CDN, no web fonts: it works offline
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text)
    bundle = await client.get("/static/vendor/redoc/redoc.standalone.js")
    assert bundle.status_code == 200
    assert (await client.get("/schema/redoc")).status_code == 200
