"""A user's own account as a whole: everything of it exported as a zip (:mod:`.export`), or deleted for good
(:mod:`.deletion`)."""
