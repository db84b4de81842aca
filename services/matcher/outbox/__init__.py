"""Delivering the transactional outbox: claim, commit, send, record (``delivery``); a
sender per kind of message lives in ``adapters``."""
