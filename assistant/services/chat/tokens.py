"""Offline token estimates (no tokenizer download at run time).

Byte-pair tokenizers of current models spend about four characters of English per token (OpenAI's
rule of thumb, https://help.openai.com/en/articles/4936856) and about two of Cyrillic; counting UTF-8
bytes / 4 gives both, because a Cyrillic letter takes two bytes. The estimate errs high for
code and numbers, which keeps a history budget on the safe side.
"""

from __future__ import annotations

#: Tokens a provider adds around each message (role markers and separators).
MESSAGE_OVERHEAD = 4


def estimate_tokens(text: str) -> int:
    """Estimated tokens of ``text`` (0 for an empty string)."""
    if not text:
        return 0
    return (len(text.encode("utf-8")) + 3) // 4


def estimate_message_tokens(text: str) -> int:
    """Estimated tokens of one conversation message with ``text``, overhead included."""
    return estimate_tokens(text) + MESSAGE_OVERHEAD
