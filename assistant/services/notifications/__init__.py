"""Notifications: the rows a user is told things through (one per channel), stored at most once each.

:mod:`.delivery` turns a reminder's occurrence (or any other notification) into its rows by the rule of channels
and quiet hours of :mod:`.preferences`; the worker sends the e-mail and Telegram rows, retries them and escalates
unacknowledged occurrences (:mod:`.dispatch`); the inbox (the bell and the notifications page) reads and
acknowledges them.
"""
