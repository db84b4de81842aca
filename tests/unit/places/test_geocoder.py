"""The address search against a real local HTTP server speaking Nominatim's and
Photon's JSON: the places found, the question asked only as a parameter, and every way
the service can fail told in our words, within the timeout, never raised as anything else."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from services.api.places.geocoder import (
    BUSY,
    GARBLED,
    MAX_SEARCHES,
    REFUSED,
    SLOW,
    Candidate,
    Geocoder,
    GeocoderError,
)
from tests.support.geocoders import SLOW_S, geocoding
from tests.support.geocoders import Geocoder as Server


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with geocoding() as running:
        yield running


def _geocoder(url: str, timeout_s: float = 2.0) -> Geocoder:
    return Geocoder(url, timeout_s=timeout_s, user_agent="Samlast tests")


EKEBY = Candidate(
    label="Ekeby gård, Ekebyvägen 12, 755 91 Uppsala, Sverige",
    lat=59.9126,
    lon=17.5203,
    municipality="Uppsala kommun",
)


async def test_nominatim_finds_the_places_a_word_names(server: Server) -> None:
    found = await _geocoder(server.nominatim).search(
        "  Ekeby\n gård ", language="sv", near=(59.86, 17.64)
    )
    assert found[0] == EKEBY
    assert [c.label.split(",")[0] for c in found] == ["Ekeby gård", "Ekeby by"]
    path, query, headers = server.requests[-1]
    assert path == "/search"
    assert query["q"] == ["Ekeby gård"]  # the question as typed, spaces tidied
    assert query["format"] == ["jsonv2"]
    assert query["accept-language"] == ["sv"]
    assert query["viewbox"] == ["16.1400,61.3600,19.1400,58.3600"]
    assert headers["User-Agent"] == "Samlast tests"


async def test_photon_finds_the_same_places(server: Server) -> None:
    found = await _geocoder(server.photon).search("Knivsta", language="en", near=None)
    assert found == [
        Candidate(
            label="Knivsta torg, Centralvägen 1, 741 40 Knivsta, Sverige",
            lat=59.7258,
            lon=17.7866,
            municipality="Knivsta",
        )
    ]
    path, query, _ = server.requests[-1]
    assert path == "/api"
    assert "format" not in query
    assert query["limit"] == ["6"]


async def test_nothing_found_is_an_empty_list_and_nothing_typed_asks_nothing(
    server: Server,
) -> None:
    asked = len(server.requests)
    assert await _geocoder(server.nominatim).search("Atlantis", language="sv") == []
    assert await _geocoder(server.nominatim).search("   ", language="sv") == []
    assert len(server.requests) == asked + 1


async def test_what_is_typed_never_changes_where_the_question_goes(server: Server) -> None:
    sneaky = "x&format=xml/../../admin?q=#http://10.0.0.1/"
    assert await _geocoder(server.nominatim).search(sneaky, language="sv") == []
    path, query, _ = server.requests[-1]
    assert path == "/search"
    assert query["q"] == [sneaky]
    assert query["format"] == ["jsonv2"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/broken/search", REFUSED),
        ("/moved/search", REFUSED),  # a redirect is not followed
        ("/garbled/search", GARBLED),
        ("/huge/search", GARBLED),
        ("/garbled/api", GARBLED),
    ],
)
async def test_a_failing_service_is_told_in_our_words(
    server: Server, path: str, message: str
) -> None:
    with pytest.raises(GeocoderError) as caught:
        await _geocoder(server.url + path).search("Ekeby", language="sv")
    assert str(caught.value) == message
    assert "10.0.0.7" not in str(caught.value)


async def test_a_slow_service_is_given_up_after_the_timeout(server: Server) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(GeocoderError) as caught:
        await _geocoder(server.url + "/slow/search", timeout_s=0.3).search("Ekeby", language="sv")
    assert str(caught.value) == SLOW
    assert loop.time() - started < SLOW_S


async def test_a_search_beyond_the_slots_waits_and_then_is_told_it_is_busy(
    server: Server,
) -> None:
    geocoder = _geocoder(server.url + "/slow/search", timeout_s=1.0)
    held = [
        asyncio.create_task(geocoder.search("Ekeby", language="sv")) for _ in range(MAX_SEARCHES)
    ]
    await asyncio.sleep(0.2)  # every slot taken by a search the service answers late
    geocoder.timeout_s = 0.3  # this one gives up before any of them ends
    with pytest.raises(GeocoderError) as caught:
        await geocoder.search("Knivsta", language="sv")
    assert str(caught.value) == BUSY
    outcomes = await asyncio.gather(*held, return_exceptions=True)
    assert [str(outcome) for outcome in outcomes] == [SLOW] * MAX_SEARCHES
    asked = [query["q"] for path, query, _ in server.requests if path == "/slow/search"]
    assert ["Knivsta"] not in asked


async def test_an_unreachable_service_is_told_so() -> None:
    with pytest.raises(GeocoderError, match="can't be reached"):
        await _geocoder("http://127.0.0.1:9/search").search("Ekeby", language="sv")
