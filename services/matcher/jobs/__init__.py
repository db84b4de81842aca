"""arq job functions: thin wrappers that pass ids, never objects; safe to run twice.

One module per domain with background work (``matching``, ``outbox``, ``notifications``,
``schedules``, ``housekeeping``); ``worker.py`` registers them; ``context.WorkerContext``
is what every job gets.
"""
