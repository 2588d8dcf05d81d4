"""The background worker process (``python -m assistant.worker``).

Any number of workers may run (``--scale worker=3``). Each is a :class:`~assistant.worker.supervisor.Supervisor`
of named services: document ingestion runs in every worker (jobs are claimed with ``SKIP LOCKED``, so
three workers ingest three documents at once); leader-only services (housekeeping; the scheduler and the
Telegram bot of later issues) run in the one worker holding a PostgreSQL advisory lock
(:mod:`assistant.worker.leader`), and move to a standby within seconds when it dies. Each worker keeps a
heartbeat row in ``worker_heartbeats``.
"""
