"""Notifications: the rows a user is told things through (one per channel), stored at most once each.

:mod:`.delivery` turns a reminder's occurrence into its rows (the worker's scheduler calls it); the inbox
(the bell and the notifications page) reads and acknowledges them.
"""
