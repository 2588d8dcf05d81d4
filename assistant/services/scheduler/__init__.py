"""Reminders and their schedule: recurrence in local time, the reminder rows, and the signal that tells the
worker's scheduler to (re)schedule one. The web process writes rows and signals; only the worker touches
APScheduler's job store (:mod:`assistant.worker.scheduler`)."""
