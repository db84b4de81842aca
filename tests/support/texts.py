"""The text a reader sees in a page or a PDF, whitespace made plain, for asserting on."""

from __future__ import annotations

import html
import io
import re

from pypdf import PdfReader


def flat(text: str) -> str:
    """Runs of spaces, no-break spaces and line breaks as one space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def pdf_text(body: bytes) -> str:
    """A PDF's text, as pypdf extracts it, page after page."""
    pages = PdfReader(io.BytesIO(body)).pages
    return flat("\n".join(page.extract_text() for page in pages))


def html_text(body: str) -> str:
    """A page's text without its tags and styles."""
    body = re.sub(r"<style>.*?</style>", "", body, flags=re.S)
    return flat(html.unescape(re.sub(r"<[^>]+>", " ", body)))
