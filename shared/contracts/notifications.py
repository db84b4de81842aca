"""Notifications between the API and the matcher: the kinds a person can turn off.

Both processes write notification mail (``shared/notifications``); a person's
``muted`` holds the kinds they turned off, and an unsubscribe link names one kind.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class NotificationKind(StrEnum):
    CYCLE_OPENED = "cycle_opened"
    DEADLINE_NEAR = "deadline_near"
    CYCLE_CLOSED = "cycle_closed"
    RUN_PROPOSED = "run_proposed"  # and a run that failed
    RUN_PUBLISHED = "run_published"
    LEFT_OUT = "left_out"
    JOIN_REQUESTED = "join_requested"  # coordinators: someone asks to join by the link
    INVOICE_OVERDUE = "invoice_overdue"  # the buyer: an invoice is past its due date


NOTIFICATIONS: tuple[NotificationKind, ...] = tuple(NotificationKind)

# The kinds as the HTTP API names them (an inline enum in the OpenAPI document);
# tests/unit/test_contracts.py holds it to the enum.
NotificationName = Literal[
    "cycle_opened",
    "deadline_near",
    "cycle_closed",
    "run_proposed",
    "run_published",
    "left_out",
    "join_requested",
    "invoice_overdue",
]
