"""``SamlastClient``: the operations the demo, the benches and the tests use, typed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx
import msgspec

from services.client.errors import ApiError

Json = dict[str, Any]
Body = Mapping[str, Any]


class SamlastClient:
    """The API as one bearer token sees it.

    Give it a base URL (it then owns, and closes, its connection pool) or an
    ``httpx.AsyncClient`` of yours (an ``AsyncTestClient`` in tests; yours to close).
    With ``idempotency_keys`` every POST carries a fresh ``Idempotency-Key``, as a
    careful client's would.
    """

    def __init__(
        self,
        http: httpx.AsyncClient | str,
        token: str = "",
        *,
        timeout: float = 30,
        idempotency_keys: bool = False,
    ) -> None:
        self._owned = isinstance(http, str)
        if isinstance(http, str):
            http = httpx.AsyncClient(base_url=http, timeout=timeout)
        self.http = http
        self.token = token
        self.idempotency_keys = idempotency_keys

    def as_(self, token: str) -> SamlastClient:
        """The same connection, as another token."""
        return SamlastClient(self.http, token, idempotency_keys=self.idempotency_keys)

    async def aclose(self) -> None:
        if self._owned:
            await self.http.aclose()

    async def __aenter__(self) -> SamlastClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- the wire -------------------------------------------------------------------------

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    async def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpx's own per-request timeout)
    ) -> httpx.Response:
        """One request as this token; the response, or ``ApiError`` if it is not 2xx."""
        sent = self.headers(headers)
        if method == "POST" and self.idempotency_keys:
            sent.setdefault("Idempotency-Key", str(uuid.uuid4()))
        response = await self.http.request(
            method,
            path,
            json=json,
            content=content,
            headers=sent,
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )
        if response.is_error:
            raise ApiError(method, path, response.status_code, response.content)
        return response

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request as this token; its JSON answer decoded (``None`` if empty)."""
        response = await self.send(method, path, **kwargs)
        return msgspec.json.decode(response.content) if response.content else None

    async def _created(self, path: str, body: Any) -> Json:
        created: Json = await self.call("POST", path, json=body)
        return created

    async def _list(self, path: str) -> list[Json]:
        items: list[Json] = await self.call("GET", path)
        return items

    # -- health and the API's own description ---------------------------------------------

    async def health(self) -> Json:
        """``GET /health``: the status word, and the details for an admin."""
        answer: Json = await self.call("GET", "/health")
        return answer

    async def openapi(self) -> Json:
        answer: Json = await self.call("GET", "/schema/openapi.json")
        return answer

    # -- networks, organisations, members --------------------------------------------------

    async def create_network(self, body: Body) -> Json:
        return await self._created("/v1/networks", body)

    async def add_vehicle(self, network_id: str, body: Body) -> Json:
        return await self._created(f"/v1/networks/{network_id}/vehicles", body)

    async def create_organisation(self, body: Body) -> Json:
        return await self._created("/v1/organisations", body)

    async def add_member(self, network_id: str, organisation_id: str) -> None:
        """Make an organisation a member of the network."""
        body = {"organisation_id": organisation_id}
        await self.send("POST", f"/v1/networks/{network_id}/members", json=body)

    async def remove_member(self, network_id: str, organisation_id: str) -> None:
        """End an organisation's membership of the network."""
        await self.send("DELETE", f"/v1/networks/{network_id}/members/{organisation_id}")

    async def issue_token(self, organisation_id: str, *, label: str) -> str:
        """A new API token of the organisation (for an integration); ``label`` says which."""
        body = {"label": label}
        created = await self._created(f"/v1/organisations/{organisation_id}/tokens", body)
        return str(created["token"])

    async def add_person(
        self, organisation_id: str, *, email: str, name: str, language: str = "sv"
    ) -> Json:
        """A person of the organisation (new, or found by e-mail address); they sign in to
        the pages by asking for a link."""
        body = {"email": email, "name": name, "language": language, "role": "admin"}
        return await self._created(f"/v1/organisations/{organisation_id}/people", body)

    # -- products and offers ----------------------------------------------------------------

    async def create_product(self, network_id: str, body: Body) -> Json:
        return await self._created(f"/v1/networks/{network_id}/products", body)

    async def post_offer(self, body: Body) -> Json:
        return await self._created("/v1/offers", body)

    async def upload_offers(self, offers: Sequence[Body]) -> Json:
        """``POST /v1/offers/bulk`` with a JSON array: all are created or none."""
        return await self._created("/v1/offers/bulk", list(offers))

    async def upload_offers_csv(self, csv: str | bytes) -> Json:
        """``POST /v1/offers/bulk`` with a spreadsheet's CSV: all rows or none."""
        created: Json = await self.call(
            "POST", "/v1/offers/bulk", content=csv, headers={"Content-Type": "text/csv"}
        )
        return created

    # -- cycles and demand ------------------------------------------------------------------

    async def open_cycle(self, network_id: str, body: Body) -> Json:
        return await self._created(f"/v1/networks/{network_id}/cycles", body)

    async def submit_demand(self, cycle_id: str, lines: Sequence[Body]) -> Json:
        """The co-op's demand round in the cycle."""
        return await self._created(f"/v1/cycles/{cycle_id}/demand-rounds", {"lines": lines})

    async def demand_round(self, round_id: str) -> tuple[Json, str]:
        """A demand round and its ``ETag``, for an edit's ``If-Match``."""
        response = await self.send("GET", f"/v1/demand-rounds/{round_id}")
        decoded: Json = msgspec.json.decode(response.content)
        return decoded, response.headers["etag"]

    async def replace_demand_lines(
        self, round_id: str, lines: Sequence[Body], if_match: str
    ) -> Json:
        """Replace the round's lines: a line sent with its ``id`` is kept (its id too), a
        line without one is new, a line left out goes."""
        path = f"/v1/demand-rounds/{round_id}/lines"
        replaced: Json = await self.call(
            "PUT", path, json={"lines": lines}, headers={"If-Match": if_match}
        )
        return replaced

    async def upload_demand_csv(self, round_id: str, csv: str | bytes, if_match: str) -> Json:
        """Replace the round's lines with a spreadsheet's CSV export."""
        headers = {"Content-Type": "text/csv", "If-Match": if_match}
        path = f"/v1/demand-rounds/{round_id}/lines/upload"
        replaced: Json = await self.call("PUT", path, content=csv, headers=headers)
        return replaced

    async def close_cycle(self, cycle_id: str) -> None:
        """Close the cycle now; closing queues its match run."""
        await self.send("POST", f"/v1/cycles/{cycle_id}/close")

    async def runs(self, cycle_id: str) -> list[Json]:
        return await self._list(f"/v1/cycles/{cycle_id}/runs")

    async def demand_signal(self, network_id: str) -> Json:
        """The network's demand per product, as its producers see it."""
        found: Json = await self.call("GET", f"/v1/networks/{network_id}/demand-signal")
        return found

    # -- a run: progress, result, review, documents ----------------------------------------

    async def run_events(
        self,
        run_id: str,
        *,
        timeout: float = 120,  # noqa: ASYNC109 (httpx's own per-request timeout)
    ) -> AsyncIterator[Json]:
        """The run's progress as its server-sent events, until the stream ends."""
        path = f"/v1/runs/{run_id}/events"
        async with self.http.stream("GET", path, headers=self.headers(), timeout=timeout) as events:
            if events.is_error:
                raise ApiError("GET", path, events.status_code, await events.aread())
            async for line in events.aiter_lines():
                if line.startswith("data:"):
                    state: Json = msgspec.json.decode(line[5:])
                    yield state

    async def run_result(self, run_id: str) -> Json:
        """The run and everything it proposes: allocations, unfilled demand, routes."""
        result: Json = await self.call("GET", f"/v1/runs/{run_id}/result")
        return result

    async def approve(self, run_id: str, note: str) -> Json:
        approved: Json = await self.call("POST", f"/v1/runs/{run_id}/approve", json={"note": note})
        return approved

    async def publish(self, run_id: str) -> Json:
        published: Json = await self.call("POST", f"/v1/runs/{run_id}/publish")
        return published

    async def reject(self, run_id: str, reason: str) -> Json:
        rejected: Json = await self.call(
            "POST", f"/v1/runs/{run_id}/reject", json={"reason": reason}
        )
        return rejected

    async def history(self, run_id: str) -> list[Json]:
        return await self._list(f"/v1/runs/{run_id}/history")

    async def pick_lists(self, run_id: str) -> list[Json]:
        """The producer's part of a published run."""
        return await self._list(f"/v1/runs/{run_id}/pick-lists")

    async def delivery_notes(self, run_id: str) -> list[Json]:
        """The co-op's part of a published run, with its transport cost share."""
        return await self._list(f"/v1/runs/{run_id}/delivery-notes")

    async def cost_shares(self, run_id: str) -> list[Json]:
        return await self._list(f"/v1/runs/{run_id}/cost-shares")

    async def document(self, run_id: str, name: str) -> str:
        """One of the run's exports as text: ``allocations.csv``, ``pick-lists.csv``,
        ``delivery-notes.csv``, ``cost-shares.csv`` or ``routes.geojson``."""
        return (await self.send("GET", f"/v1/runs/{run_id}/{name}")).text
