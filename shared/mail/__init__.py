"""E-mail composed from templates, one folder per message, in Swedish and English.

``compose("sign_in_link", "sv", to_address=..., link=..., valid_minutes=15)`` renders
``templates/sign_in_link/sv/``: ``subject.txt`` (one line), ``body.txt`` and
``body.html``, each inside the shared layout (``templates/layout.txt``,
``templates/layout.html``), and returns a ``Mail`` for ``shared.db.outbox.insert_mail``.
HTML is autoescaped; a variable the template uses but the caller did not pass is an
error, not an empty string.

To add a message, say ``invitation``: make ``templates/invitation/sv/`` and
``templates/invitation/en/`` with those three files, each body starting with
``{% extends "layout.txt" %}`` / ``{% extends "layout.html" %}`` and filling
``{% block body %}``; call ``compose("invitation", language, to_address=..., **context)``
with the values they use; the test in ``tests/unit/test_mail_compose.py`` checks every
folder has every language. Notifications pass ``unsubscribe_url`` (the layout then
says how to stop them, and the mailer adds ``List-Unsubscribe``); transactional mail
does not. Links point under ``settings.mail.public_url``: build them with
``public_link``.
"""

from shared.mail.compose import TEMPLATES, compose, public_link, templates

__all__ = ["TEMPLATES", "compose", "public_link", "templates"]
