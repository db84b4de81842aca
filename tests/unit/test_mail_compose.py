"""Mail templates: every message in every language, escaped where it is HTML."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import jinja2
import pytest

from services.matcher.adapters.mailer import build_message, smtp_server
from shared.contracts.messages import LANGUAGES
from shared.mail import TEMPLATES, compose, templates
from shared.mail.compose import PARTS


@pytest.mark.parametrize("template", templates())
def test_every_message_has_every_part_in_every_language(template: str) -> None:
    for language in LANGUAGES:
        for part in PARTS:
            assert (TEMPLATES / template / language / part).is_file(), (language, part)


@pytest.mark.parametrize(
    ("language", "subject", "ignore"),
    [
        ("sv", "Logga in på Samlast", "strunta i det här brevet"),
        ("en", "Sign in to Samlast", "ignore this mail"),
    ],
)
def test_the_sign_in_link_says_where_for_how_long_and_what_if_not_asked(
    language: str, subject: str, ignore: str
) -> None:
    link = "https://samlast.example/sign-in?token=a&b"
    mail = compose(
        "sign_in_link",
        "sv" if language == "sv" else "en",
        to_address="anna@example.org",
        to_name="Anna <script>",
        link=link,
        valid_minutes=15,
    )
    assert mail.subject == subject
    assert link in mail.text
    assert "15" in mail.text
    assert ignore in mail.text
    assert "Anna <script>" in mail.text
    assert "Anna &lt;script&gt;" in mail.html
    assert 'href="https://samlast.example/sign-in?token=a&amp;b"' in mail.html
    assert mail.unsubscribe_url is None


def test_a_value_the_template_needs_is_not_left_out_silently() -> None:
    with pytest.raises(jinja2.UndefinedError):
        compose("sign_in_link", "sv", to_address="anna@example.org", valid_minutes=15)


def test_an_unknown_message_is_an_error() -> None:
    with pytest.raises(ValueError, match="no mail template"):
        compose("no_such_mail", "sv", to_address="anna@example.org")


def test_smtp_urls_say_how_to_connect() -> None:
    submission = smtp_server("smtp://bob%40x:p%3Ass@mail.example.org:587?starttls=true")
    assert (submission.hostname, submission.port, submission.start_tls) == (
        "mail.example.org",
        587,
        True,
    )
    assert (submission.username, submission.password) == ("bob@x", "p:ss")
    assert "p:ss" not in repr(submission)
    implicit = smtp_server("smtps://mail.example.org")
    assert (implicit.port, implicit.use_tls, implicit.start_tls) == (465, True, None)
    plain = smtp_server("smtp://127.0.0.1:2525?starttls=false")
    assert (plain.port, plain.use_tls, plain.start_tls) == (2525, False, False)


def test_a_notification_offers_one_click_unsubscribe() -> None:
    mail = compose(
        "sign_in_link",
        "en",
        to_address="anna@example.org",
        link="https://x.example/s",
        valid_minutes=15,
        unsubscribe_url="https://x.example/unsubscribe/t",
    )
    outbox_id = UUID(int=7)
    sent = build_message(
        mail,
        outbox_id=outbox_id,
        sender="Samlast <noreply@x.example>",
        date=dt.datetime.now(dt.UTC),
    )
    assert sent["Message-ID"] == f"<{outbox_id}@x.example>"
    assert sent["List-Unsubscribe"] == "<https://x.example/unsubscribe/t>"
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "https://x.example/unsubscribe/t" in mail.text
