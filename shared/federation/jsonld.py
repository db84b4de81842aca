"""Reading DFC JSON-LD with a maintained processor (pyld), offline.

Any equivalent JSON-LD shape reads the same: prefixed or full IRIs, one ``@graph`` or
nodes nested in each other, a context by URL (one of the DFC contexts shipped in
``contexts/``) or inline. pyld expands and flattens the document; the DFC namespaces
of every published version (1.x writes ``https://github.com/datafoodconsortium/…``,
2.0 ``http://w3id.org/dfc/…/v2.0.0/…``) are then folded into one short form
(``dfc-b:Offer``), which is what ``services.matcher.engine.federation`` reads.

The document loader serves the shipped context files and nothing else: a document
naming any other remote context is refused (``JsonLdRefusedError`` naming it); nothing is
fetched at run time.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from pyld import jsonld
from pyld.context_resolver import ContextResolver

DFC_VERSION = "1.16.0"  # what Samlast writes; it reads 1.16.0 and 2.0.0
CONTEXT_URL = "https://w3id.org/dfc/ontology/context/context_1.16.0.json"
CONTEXTS = Path(__file__).parent / "contexts"

_V1 = "context_1.16.0.json"
_V2 = "context_2.0.0.json"
_WORDPRESS = "www.datafoodconsortium.org/wp-content/plugins/wordpress-context-jsonld/"
# Every address a shipped context is known by, without its scheme and trailing slash
# (the aliases of the DFC's Ruby connector, which Open Food Network uses).
KNOWN_CONTEXTS: dict[str, str] = {
    "w3id.org/dfc/ontology/context/context_1.16.0.json": _V1,
    "w3id.org/dfc/ontology/v1.16.0/context/context_1.16.0.json": _V1,
    "cdn.jsdelivr.net/gh/datafoodconsortium/ontology/context/context_1.16.0.json": _V1,
    _WORDPRESS + "context_1.16.0.jsonld": _V1,
    _WORDPRESS + "context.jsonld": _V1,
    "www.datafoodconsortium.org": _V1,
    "static.datafoodconsortium.org/ontologies/context.json": _V1,
    "w3id.org/dfc/ontology/context/context_2.0.0.json": _V2,
    "w3id.org/dfc/ontology/v2.0.0/context/context_2.0.0.json": _V2,
    "cdn.jsdelivr.net/gh/datafoodconsortium/ontology/context/context_2.0.0.json": _V2,
    _WORDPRESS + "context_2.0.0.jsonld": _V2,
}

# The DFC vocabularies, whatever version's namespace an IRI was written in.
_NAMESPACES = (
    ("dfc-b:", re.compile(r"^https?://\S*DFC_BusinessOntology\.owl#(?P<name>\S+)$")),
    ("dfc-m:", re.compile(r"^https?://\S*/measures\.rdf#(?P<name>\S+)$")),
    ("dfc-pt:", re.compile(r"^https?://\S*/productTypes\.rdf#(?P<name>\S+)$")),
    ("dfc-v:", re.compile(r"^https?://\S*/vocabulary\.rdf#(?P<name>\S+)$")),
)
MAX_NODES = 20_000

# a node: property (short form) -> values; a reference is {"@id": ...}, a literal is
# the plain value; "@type" holds the node's types in short form
Node = dict[str, list[Any]]


class JsonLdRefusedError(Exception):
    """A document that is not JSON-LD we can read; ``str()`` says why, to the sender."""


def short(iri: str) -> str:
    """``dfc-b:Offer`` for the Offer IRI of any DFC version; other IRIs as they are."""
    for prefix, pattern in _NAMESPACES:
        if match := pattern.match(iri):
            return prefix + match.group("name")
    return iri


def read(document: Any) -> dict[str, Node]:
    """The document's nodes by ``@id`` (blank nodes labelled), in the short form."""
    # a resolver of its own: pyld's shared cache is not safe across the threads that
    # read catalogs at once (the contexts are parsed again, a few milliseconds)
    resolver = ContextResolver({}, _load_shipped)
    options = {"documentLoader": _load_shipped, "base": "", "contextResolver": resolver}
    try:
        flat = jsonld.flatten(document, None, options)
    except jsonld.JsonLdError as exc:
        raise JsonLdRefusedError(_reason(exc)) from None
    except (RecursionError, TypeError, ValueError, KeyError, AttributeError):
        raise JsonLdRefusedError("the document is not JSON-LD") from None
    if not isinstance(flat, list):
        raise JsonLdRefusedError("the document is not JSON-LD")
    if len(flat) > MAX_NODES:
        raise JsonLdRefusedError(f"the document has more than {MAX_NODES:,} nodes")
    return {node["@id"]: _node(node) for node in flat if isinstance(node, dict) and "@id" in node}


def _node(node: dict[str, Any]) -> Node:
    out: Node = {"@type": [short(t) for t in node.get("@type", [])]}
    for key, values in node.items():
        if key.startswith("@"):
            continue
        out[short(key)] = [_value(value) for value in values if isinstance(value, dict)]
    return out


def _value(value: dict[str, Any]) -> Any:
    if "@id" in value:
        return {"@id": short(value["@id"])}
    if value.get("@type") == "@id":
        return {"@id": short(str(value.get("@value")))}
    return value.get("@value")


def _load_shipped(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    key = re.sub(r"^https?://", "", url.strip()).rstrip("/")
    name = KNOWN_CONTEXTS.get(key)
    if name is None:
        raise UnknownContextError(url)
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": _context(name),
    }


@cache
def _context(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((CONTEXTS / name).read_text(encoding="utf-8"))
    return document


class UnknownContextError(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def _reason(exc: BaseException) -> str:
    """What to tell the sender: an unknown context by name, else the innermost reason
    pyld gives (its own message and code, never a repr)."""
    seen: BaseException | None = exc
    deepest: BaseException = exc
    while seen is not None:
        if isinstance(seen, jsonld.JsonLdError):
            deepest = seen
        if isinstance(seen, UnknownContextError):
            known = ", ".join(sorted({f"https://{k}" for k in KNOWN_CONTEXTS if "w3id" in k}))
            return (
                f"unknown JSON-LD context {seen.url[:300]!r}: only the DFC contexts are "
                f"read ({known}, and their aliases); nothing is fetched"
            )
        seen = getattr(seen, "cause", None) or seen.__cause__ or seen.__context__
    message = str(deepest.args[0]) if deepest.args else type(deepest).__name__
    code = getattr(deepest, "code", None)
    reason = f"{message} ({code})" if code else message
    return f"the document is not valid JSON-LD: {reason[:300]}"
