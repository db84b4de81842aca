"""Addresses into places, asked of a Nominatim- or Photon-compatible search API.

The operator names the service (``SAMLAST_GEOCODER_URL``); what a member types only
ever travels as the ``q`` parameter of a GET to that address, so it can't choose the
host, the path or the method. Redirects are not followed (a redirect could lead
anywhere), proxies and netrc in the environment are ignored, every search ends within
the timeout (waiting for a slot included), at most ``MAX_SEARCHES`` run at once per
process, each caller makes at most so many a minute (counted in Redis like every
limit), at most ``MAX_ANSWER_BYTES`` of an answer are read, and what goes wrong is
told in our own words (``GeocoderError``), never the service's.

Nominatim answers a JSON array of places (``lat``/``lon`` as strings, ``display_name``,
``address``); Photon a GeoJSON FeatureCollection (``[lon, lat]`` coordinates and
``properties``). The dialect is told by the address: Photon serves ``/api``.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import httpx
import msgspec

from services.api.core.limits import Limiter

MAX_SEARCHES = 4  # per process: a busy page waits, the service is not flooded
MAX_ANSWER_BYTES = 512 * 1024
MAX_QUERY = 200
MAX_CANDIDATES = 6
MAX_LABEL = 300
SPAN_DEGREES = 1.5  # the box around a network's hub that searches prefer (not bound to)

# What a member reads when a search fails (msgids of the pages' catalogue).
BUSY = "the address search is busy; try again in a moment"
SLOW = "the address search did not answer in time"
UNREACHABLE = "the address search can't be reached"
REFUSED = "the address search refused the question"
GARBLED = "the address search answered something unreadable"
LIMITED = "too many address searches; wait a minute, or click the map"


class GeocoderError(Exception):
    """A search that came to nothing; ``str()`` is safe to show (a catalogue msgid)."""


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    """A place a search found: what to call it, where it is, its municipality."""

    label: str
    lat: float
    lon: float
    municipality: str = ""


class _NominatimPlace(msgspec.Struct, kw_only=True):
    lat: str
    lon: str
    display_name: str = ""
    address: dict[str, str] = msgspec.field(default_factory=dict)


class _PhotonGeometry(msgspec.Struct, kw_only=True):
    coordinates: list[float]


class _PhotonFeature(msgspec.Struct, kw_only=True):
    geometry: _PhotonGeometry
    properties: dict[str, Any] = msgspec.field(default_factory=dict)


class _PhotonAnswer(msgspec.Struct, kw_only=True):
    features: list[_PhotonFeature]


class Geocoder:
    """One per process (its slots bound the searches the process runs at once)."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float,
        user_agent: str,
        limiter: Limiter | None = None,
        per_caller_per_minute: int = 20,
    ) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.user_agent = user_agent
        self.photon = httpx.URL(url).path.rstrip("/").endswith("/api")
        self.slots = asyncio.Semaphore(MAX_SEARCHES)
        self.limiter = limiter
        self.per_caller_per_minute = per_caller_per_minute

    async def search(
        self,
        query: str,
        *,
        language: str,
        near: tuple[float, float] | None = None,
        caller: str | None = None,
    ) -> list[Candidate]:
        """The places ``query`` may mean, best first; none when it names nothing.
        ``caller`` (a person, say) is counted against the per-caller limit."""
        query = " ".join(query.split())[:MAX_QUERY]
        if not query:
            return []
        if caller is not None and self.limiter is not None:
            window = await self.limiter.hit("geocoder:" + caller)
            if window.count > self.per_caller_per_minute:
                raise GeocoderError(LIMITED)
        acquired = False
        try:
            async with asyncio.timeout(self.timeout_s):
                await self.slots.acquire()
                acquired = True
                body = await self._get(self._params(query, language, near))
        except TimeoutError:
            raise GeocoderError(SLOW if acquired else BUSY) from None
        finally:
            if acquired:
                self.slots.release()
        return _candidates(body, photon=self.photon)

    def _params(
        self, query: str, language: str, near: tuple[float, float] | None
    ) -> dict[str, str]:
        if self.photon:
            params = {"q": query, "limit": str(MAX_CANDIDATES)}
            if near is not None:
                params |= {"lat": f"{near[0]:.5f}", "lon": f"{near[1]:.5f}"}
            return params
        params = {
            "q": query,
            "format": "jsonv2",
            "addressdetails": "1",
            "limit": str(MAX_CANDIDATES),
            "accept-language": language,
        }
        if near is not None:
            lat, lon = near
            params["viewbox"] = (
                f"{lon - SPAN_DEGREES:.4f},{lat + SPAN_DEGREES:.4f},"
                f"{lon + SPAN_DEGREES:.4f},{lat - SPAN_DEGREES:.4f}"
            )
        return params

    async def _get(self, params: dict[str, str]) -> bytes:
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        async with httpx.AsyncClient(
            follow_redirects=False, trust_env=False, timeout=self.timeout_s
        ) as client:
            try:
                async with client.stream("GET", self.url, params=params, headers=headers) as answer:
                    if answer.status_code != 200:
                        raise GeocoderError(REFUSED)
                    body = bytearray()
                    async for chunk in answer.aiter_bytes():
                        body += chunk
                        if len(body) > MAX_ANSWER_BYTES:
                            raise GeocoderError(GARBLED)
                    return bytes(body)
            except httpx.TimeoutException:
                raise GeocoderError(SLOW) from None
            except httpx.HTTPError:
                raise GeocoderError(UNREACHABLE) from None


def _candidates(body: bytes, *, photon: bool) -> list[Candidate]:
    try:
        if photon:
            features = msgspec.json.decode(body, type=_PhotonAnswer).features
            found = [_from_photon(feature) for feature in features]
        else:
            places = msgspec.json.decode(body, type=list[_NominatimPlace])
            found = [_from_nominatim(place) for place in places]
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, IndexError):
        raise GeocoderError(GARBLED) from None
    return [c for c in found if c is not None][:MAX_CANDIDATES]


def _from_nominatim(place: _NominatimPlace) -> Candidate | None:
    address = place.address
    municipality = next(
        (
            address[key]
            for key in ("municipality", "city", "town", "village", "county")
            if address.get(key)
        ),
        "",
    )
    return _candidate(place.display_name, float(place.lat), float(place.lon), municipality)


def _from_photon(feature: _PhotonFeature) -> Candidate | None:
    lon, lat = feature.geometry.coordinates[:2]
    p = feature.properties
    street = " ".join(str(p[k]) for k in ("street", "housenumber") if p.get(k))
    town = " ".join(str(p[k]) for k in ("postcode", "city") if p.get(k))
    parts = [str(p["name"])] if p.get("name") else []
    parts += [part for part in (street, town, str(p.get("country") or "")) if part]
    municipality = next(
        (str(p[key]) for key in ("city", "town", "village", "county") if p.get(key)), ""
    )
    return _candidate(", ".join(dict.fromkeys(parts)), lat, lon, municipality)


def _candidate(label: str, lat: float, lon: float, municipality: str) -> Candidate | None:
    """A found place, or None for coordinates that aren't on the earth."""
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        return None
    label = " ".join(label.split())[:MAX_LABEL] or f"{lat:.5f}, {lon:.5f}"
    return Candidate(
        label=label,
        lat=round(lat, 6),
        lon=round(lon, 6),
        municipality=" ".join(municipality.split())[:200],
    )
