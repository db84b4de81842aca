"""Problem documents: a domain error's extra members never replace the document's own
(a 409 that carried ``status=`` of an invoice once became a 500); the ``type`` is the
same in every language while ``title`` and ``detail`` speak the client's."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from litestar.exceptions import NotAuthorizedException, ValidationException

import services.api.accounts.service
import services.api.core.bulk  # noqa: F401
from services.api.core.problems import (
    EXCEPTION_HANDLERS,
    HTTP_CODES,
    INVALID,
    PROBLEM_TYPE_BASE,
    said,
)
from services.api.web import i18n
from shared.errors import (
    ConflictError,
    LocationRequiredError,
    NotFoundError,
    Phrase,
    SamlastError,
    Term,
)

DOCS = Path(__file__).parents[2] / "docs" / "problems.md"


def _request(path: str = "/v1/x", accept: str | None = None, cookie: str | None = None) -> Any:
    headers = {"accept-language": accept} if accept is not None else {}
    cookies = {"samlast_lang": cookie} if cookie is not None else {}
    return SimpleNamespace(url=SimpleNamespace(path=path), headers=headers, cookies=cookies)


def _answer(exc: Exception, **request: Any) -> Any:
    for kind in type(exc).__mro__:
        if kind in EXCEPTION_HANDLERS:
            return EXCEPTION_HANDLERS[kind](_request(**request), exc)
    raise AssertionError(type(exc))


def test_an_extra_named_like_a_member_of_the_document_keeps_the_document() -> None:
    error = ConflictError("nothing is open on this invoice", status="paid", invoice_status="paid")
    response = EXCEPTION_HANDLERS[SamlastError](_request("/v1/invoices/x/payments"), error)
    assert response.status_code == 409
    assert response.content["status"] == 409
    assert response.content["invoice_status"] == "paid"
    assert response.content["detail"] == "nothing is open on this invoice"


def test_the_type_is_the_same_in_swedish_and_english_the_words_are_not() -> None:
    error = LocationRequiredError("no such network")
    english = _answer(error)
    swedish = _answer(error, accept="sv-SE,sv;q=0.9,en;q=0.5")
    assert (
        english.content["type"]
        == swedish.content["type"]
        == (PROBLEM_TYPE_BASE + "location-required")
    )
    assert (english.content["title"], english.content["detail"]) == (
        "Location required",
        "no such network",
    )
    assert (swedish.content["title"], swedish.content["detail"]) == (
        "Plats krävs",
        "nätverket finns inte",
    )
    assert english.headers["Content-Language"] == "en"
    assert swedish.headers["Content-Language"] == "sv"
    assert swedish.headers["Vary"] == "Accept-Language"


@pytest.mark.parametrize(
    ("accept", "language"),
    [
        (None, "en"),  # a program that says nothing reads English
        ("sv", "sv"),
        ("en;q=0.4, sv", "sv"),  # by quality, not by order
        ("sv;q=0, en", "en"),
        ("de, fr", "en"),
        ("*", "en"),
        ("sv;q=banana, en", "en"),  # a malformed quality counts for nothing
    ],
)
def test_the_api_speaks_english_unless_swedish_is_preferred(
    accept: str | None, language: str
) -> None:
    response = _answer(NotFoundError("no such run"), accept=accept)
    assert response.headers["Content-Language"] == language


def test_under_app_the_problem_is_in_the_pages_language() -> None:
    assert (
        _answer(NotFoundError("no such run"), path="/app/runs/x").headers["Content-Language"]
        == "sv"
    )
    english = _answer(NotFoundError("no such run"), path="/app/runs/x", cookie="en")
    assert english.content["detail"] == "no such run"


def test_values_are_written_as_the_language_writes_them() -> None:
    error = ConflictError(
        "a {state} cycle can't be {to_state}",
        values={"state": Term("closed"), "to_state": Term("open")},
        state="closed",
    )
    assert error.detail == "a closed cycle can't be open"
    assert _answer(error).content["detail"] == "a closed cycle can't be open"
    assert _answer(error, accept="sv").content["detail"] == "en stängd omgång kan inte bli öppen"
    assert _answer(error, accept="sv").content["state"] == "closed"  # extras stay as they are
    big = ConflictError("the request body is larger than {size} bytes", values={"size": 5242880})
    assert (
        _answer(big, accept="sv").content["detail"]
        == "innehållet är större än 5\u00a0242\u00a0880 byte"
    )
    assert _answer(big).content["detail"] == "the request body is larger than 5,242,880 bytes"


def test_a_name_among_the_values_is_never_translated() -> None:
    error = ConflictError(
        "the network already has a product named '{name}'", values={"name": "closed"}
    )
    assert _answer(error, accept="sv").content["detail"] == (
        "nätverket har redan en vara som heter 'closed'"
    )


def test_a_message_without_translation_is_shown_in_english() -> None:
    response = _answer(ConflictError("a message nobody translated"), accept="sv")
    assert response.content["detail"] == "a message nobody translated"
    assert response.content["title"] == "Konflikt"


def test_http_errors_keep_their_type_and_translate_title_and_detail() -> None:
    error = NotAuthorizedException("the token expired")
    english, swedish = _answer(error), _answer(error, accept="sv")
    assert english.content["type"] == swedish.content["type"] == PROBLEM_TYPE_BASE + "unauthorized"
    assert (swedish.content["title"], swedish.content["detail"]) == (
        "Inte inloggad",
        "token har gått ut",
    )


def test_validation_names_the_field_in_either_language() -> None:
    error = ValidationException(
        detail="Validation failed",
        extra=[{"message": "Expected `int`, got `str`", "key": "packs", "source": "body"}],
    )
    english, swedish = _answer(error), _answer(error, accept="sv")
    assert (
        english.content["type"]
        == swedish.content["type"]
        == (PROBLEM_TYPE_BASE + "invalid-request")
    )
    assert english.content["detail"] == "Expected `int`, got `str` at body field `packs`"
    assert swedish.content["title"] == "Ogiltig begäran"
    assert swedish.content["detail"] == "Väntade `int`, fick `str` (fältet `packs` i innehållet)"
    assert swedish.content["errors"] == [
        {"field": "packs", "source": "body", "message": "Väntade `int`, fick `str`"}
    ]


def _codes(cls: type[SamlastError]) -> set[str]:
    found = {cls.code}
    for sub in cls.__subclasses__():
        found |= _codes(sub)
    return found


def test_every_problem_type_is_in_the_documented_table() -> None:
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", DOCS.read_text(), re.M))
    codes = _codes(SamlastError) | {code for code, _ in HTTP_CODES.values()} | {INVALID[0]}
    assert codes | {"error"} == documented


API = Path(__file__).parents[2] / "services" / "api"
# read by the operator at start-up, or the framework's own summary behind `errors`
OPERATORS_ERRORS = frozenset({"RuntimeError", "SealingError", "ValidationException"})
SAID_ERRORS_EXEMPT = {"web/members.py"}  # a page's own form errors, shown by the page


def _english_raises(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            name = ast.unparse(node.exc.func).rsplit(".", 1)[-1]
            if (
                name.endswith(("Error", "Exception"))
                and name not in OPERATORS_ERRORS
                and any(isinstance(a, ast.JoinedStr) for a in node.exc.args)
            ):
                found.append(f"{path.relative_to(API)}:{node.lineno} {name}")
    return found


def test_no_error_of_the_api_is_written_as_an_english_f_string() -> None:
    """An f-string's words can't be translated: ``detail`` would stay English under
    ``Accept-Language: sv``. A message is a msgid, its values passed apart."""
    found = [
        raised
        for path in sorted(API.rglob("*.py"))
        if str(path.relative_to(API)) not in SAID_ERRORS_EXEMPT
        for raised in _english_raises(path)
    ]
    assert found == []


def test_a_struct_rule_is_said_with_its_values_in_either_language() -> None:
    """A request struct's ValueError reaches the problem as bare text; a registered rule
    is matched back to its msgid, its value kept as it was sent."""
    from services.api.invoices import identifiers

    with pytest.raises(ValueError, match="IBAN") as raised:
        identifiers.iban_number("SE00 1234")
    text = str(raised.value)
    assert said("en", text) == "`iban` 'SE00 1234' is not a valid IBAN"
    assert said("sv", text) == "`iban` 'SE00 1234' är inget giltigt IBAN"


def test_a_row_error_keeps_its_msgid_until_the_reader_is_known() -> None:
    phrase = Phrase(
        "the CSV is malformed near line {line}: {reason}", {"line": 1200, "reason": "x"}
    )
    assert phrase == "the CSV is malformed near line 1200: x"
    assert said("sv", phrase) == "CSV-filen är felaktig nära rad 1\u00a0200: x"
    assert said("en", phrase) == "the CSV is malformed near line 1,200: x"


def _said_messages(path: Path, raised: frozenset[str]) -> list[tuple[int, str]]:
    """The constant messages ``path`` raises (or registers) for a person to read."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and node.args:
            name = ast.unparse(node.func).rsplit(".", 1)[-1]
            if name not in raised:
                continue
            message = node.args[1 if name == "InvalidRowError" and len(node.args) > 1 else 0]
            if isinstance(message, ast.Constant) and isinstance(message.value, str):
                found.append((node.lineno, message.value))
    return found


def test_every_message_the_api_answers_has_its_swedish() -> None:
    """A message with no Swedish is answered in English under ``Accept-Language: sv``."""
    import services.api.app  # noqa: F401 # every error class, imported

    raised = frozenset(
        _subclass_names(SamlastError)
        | {"InvalidRowError", "CatalogFetchError", "ValueError", "rule", "Phrase", "say"}
        | {"NotAuthorizedException", "PermissionDeniedException", "NotFoundException"}
        | {"ClientException", "HTTPException", "TooManyRequestsException"}
    )
    swedish = i18n.catalogue("sv")
    missing = [
        f"{path.relative_to(API)}:{line} {message}"
        for path in sorted(API.rglob("*.py"))
        for line, message in _said_messages(path, raised)
        if message not in swedish
    ]
    assert missing == []


def _subclass_names(cls: type[Exception]) -> set[str]:
    names = {cls.__name__}
    for sub in cls.__subclasses__():
        names |= _subclass_names(sub)
    return names
