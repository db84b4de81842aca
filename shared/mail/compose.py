"""Render a mail's subject, text and HTML from its templates (see ``shared/mail``)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2

from shared.contracts.messages import LANGUAGES, Attachment, Language, Mail

TEMPLATES = Path(str(resources.files("shared.mail") / "templates"))
PARTS = ("subject.txt", "body.txt", "body.html")


@cache
def _environment() -> jinja2.Environment:
    """One environment: ``.html`` templates autoescaped, ``.txt`` ones taken as written."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=True, default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def templates() -> list[str]:
    """The messages there are templates for."""
    return sorted(entry.name for entry in TEMPLATES.iterdir() if entry.is_dir())


def compose(
    template: str,
    language: Language,
    *,
    to_address: str,
    to_name: str = "",
    unsubscribe_url: str | None = None,
    attachments: Sequence[Attachment] = (),
    **context: Any,
) -> Mail:
    """The mail ``template`` says in ``language`` to ``to_address``, with ``context``
    (and ``to_name``, ``language`` and ``unsubscribe_url``) given to its templates."""
    if template not in templates() or language not in LANGUAGES:
        raise ValueError(f"no mail template {template!r} in {language!r}")
    values = {
        **context,
        "to_name": to_name,
        "language": language,
        "unsubscribe_url": unsubscribe_url,
    }
    folder = f"{template}/{language}"
    subject = " ".join(_render(f"{folder}/subject.txt", values).split())
    values["subject"] = subject
    return Mail(
        to_address=to_address,
        to_name=to_name,
        subject=subject,
        text=_render(f"{folder}/body.txt", values).strip() + "\n",
        html=_render(f"{folder}/body.html", values).strip() + "\n",
        language=language,
        unsubscribe_url=unsubscribe_url,
        attachments=tuple(attachments),
    )


def public_link(public_url: str, path: str, **query: str) -> str:
    """``path`` (and ``query``) under the deployment's public URL, as mail links it."""
    link = public_url.rstrip("/") + "/" + path.lstrip("/")
    return f"{link}?{urlencode(query)}" if query else link


def _render(name: str, values: dict[str, Any]) -> str:
    return _environment().get_template(name).render(values)
