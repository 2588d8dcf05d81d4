"""One TLS configuration for every provider client.

Building an :class:`ssl.SSLContext` (loading the CA bundle) takes ~20 ms, which each new SDK client would
otherwise pay on every answer. A context holds only configuration (trusted CAs, protocol settings), no
connection or user state, and may be shared by many clients (https://docs.python.org/3/library/ssl.html#ssl-contexts).
"""

from __future__ import annotations

import ssl
from functools import lru_cache

import certifi


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """The process's client TLS context: certificate verification on, certifi's CA bundle (the one the
    SDKs' own clients use)."""
    return ssl.create_default_context(cafile=certifi.where())
