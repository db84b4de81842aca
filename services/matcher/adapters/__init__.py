"""Clients of the world outside: HTTP posts to an address that was checked
(``outbound``, ``addresses``) and the webhook sender built on them (``webhooks``)."""
