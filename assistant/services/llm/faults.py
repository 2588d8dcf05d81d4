"""Provider faults as :class:`~assistant.services.llm.events.Error` events.

Classification, the same for every provider:

* before the response started: the HTTP status (401/403, 429, 408, other 4xx, 5xx), no connection,
  or no response within the timeout;
* after it started (status 200, events arriving): no bytes within the timeout is ``llm.timeout``,
  data that cannot be parsed is ``llm.bad_response``, and anything else that ends the stream before
  its final event (dropped connection, an error event from the provider, a clean close too early) is
  ``llm.interrupted``. The text that already arrived has been yielded by then and stays valid.
"""

from __future__ import annotations

from assistant.services.llm.events import Error

#: Every ``Error.code`` a provider yields (an i18n key) and whether retrying the request may help.
ERROR_CODES: dict[str, bool] = {
    "llm.auth_failed": False,  # 401/403: the API key is wrong, revoked or lacks access
    "llm.rejected": False,  # another 4xx: unknown model, request too large, invalid parameters
    "llm.rate_limited": True,  # 429
    "llm.unavailable": True,  # 5xx, Anthropic's 529 "overloaded"
    "llm.timeout": True,  # no bytes within the client timeout (408 too)
    "llm.unreachable": True,  # no connection: refused, DNS, TLS
    "llm.interrupted": True,  # the stream broke off before its final event
    "llm.bad_response": True,  # unparseable data: malformed JSON, tool arguments not a JSON object
}


def error(code: str, message: str) -> Error:
    """An :class:`Error` for ``code`` (a key of :data:`ERROR_CODES`) with its retryable flag;
    ``message`` (for logs) is cut to 500 characters."""
    return Error(code=code, message=message[:500], retryable=ERROR_CODES[code])


def status_error(status: int, message: str) -> Error:
    """The :class:`Error` for an HTTP error status returned before the stream started."""
    if status in (401, 403):
        return error("llm.auth_failed", message)
    if status == 429:
        return error("llm.rate_limited", message)
    if status == 408:
        return error("llm.timeout", message)
    if status >= 500:
        return error("llm.unavailable", message)
    return error("llm.rejected", message)


def describe(exc: BaseException) -> str:
    """``"ClassName: message"`` of ``exc`` and of its cause, for the log line of an ``Error``."""
    text = f"{type(exc).__name__}: {exc}"
    if exc.__cause__ is not None:
        text += f" (from {type(exc.__cause__).__name__}: {exc.__cause__})"
    return text
