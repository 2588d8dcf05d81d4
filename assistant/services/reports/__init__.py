"""Reports and exports: files built for a user by a job of the leader's scheduler (:mod:`.jobs`), printed with
:mod:`.render` (Jinja2 + WeasyPrint, fonts shipped, no network)."""
