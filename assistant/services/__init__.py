"""The domain. Nothing here imports reflex, fastapi, assistant.ui or assistant.api."""
