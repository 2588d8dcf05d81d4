"""The REST API (FastAPI), mounted into the Reflex backend through ``api_transformer``."""
