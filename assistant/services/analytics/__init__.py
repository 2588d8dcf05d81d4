"""Usage analytics computed in SQL from the stored rows: the instance view for admins
(:mod:`~assistant.services.analytics.instance`) and each user's own usage (:mod:`~assistant.services.analytics.usage`),
over a bounded :class:`~assistant.services.analytics.periods.Period` of whole days in the viewer's time zone."""
