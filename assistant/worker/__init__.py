"""The background worker process (``python -m assistant.worker``).

Exactly one worker is active: it holds a PostgreSQL session-level advisory lock for as long as it
runs. Others wait on the lock and take over when the holder's connection ends (crash included).
The leader runs the document ingestion jobs (:mod:`assistant.worker.ingestion`); later issues add the
scheduler and Telegram polling beside them.
"""
