"""Notifications: mail to the people of the organisations an event concerns.

| event | who | written by |
|---|---|---|
| a cycle opens (its ``opens_at`` passes) | the network's co-ops and producers | matcher, cron |
| its deadline nears (``deadline_reminder_hours``) | co-ops, producers not in it | matcher, cron |
| a cycle closes | the network's coordinators | API (a coordinator) or matcher (the deadline) |
| a run is proposed, or fails | the coordinators | matcher (the matching job) |
| a run is published | each producer and co-op of it, its own document attached | API |
| a re-run leaves an organisation out | that co-op or producer | API |
| an invoice is past its due date, and each interval after | the buyer | matcher, cron |

Each goes to the people (with an address) of those organisations who have not muted
its kind, in their language, with a one-click unsubscribe link; it is written on the
outbox in the transaction of its event, once per kind, object and person. Both
processes call ``events`` with a ``Notifier`` on their connection and queue the ids.
Transactional mail (sign-in links, invitations) is not a notification and is never muted.
"""

from shared.notifications.events import (
    PublishedPart,
    cycle_closed,
    cycle_opened,
    deadline_near,
    due_cycle_notices,
    due_invoice_reminders,
    left_out,
    run_failed,
    run_proposed,
    run_published,
)
from shared.notifications.notifier import Notifier, Recipient
from shared.notifications.unsubscribe import (
    UNSUBSCRIBE_PATH,
    read_unsubscribe_token,
    unsubscribe_token,
    unsubscribe_url,
)

__all__ = [
    "UNSUBSCRIBE_PATH",
    "Notifier",
    "PublishedPart",
    "Recipient",
    "cycle_closed",
    "cycle_opened",
    "deadline_near",
    "due_cycle_notices",
    "due_invoice_reminders",
    "left_out",
    "read_unsubscribe_token",
    "run_failed",
    "run_proposed",
    "run_published",
    "unsubscribe_token",
    "unsubscribe_url",
]
