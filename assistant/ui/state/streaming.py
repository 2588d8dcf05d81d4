"""A streamed answer held in UI state so that each update sent to the browser stays small.

Reflex sends a changed var whole, so the text is held in pieces: ``stream_tail`` (the newest text, at
most :data:`TAIL_CHARS` characters, resent on each flush) and, once the tail is full, it is settled into
the next of :data:`STREAM_PARTS` ``stream_part_<n>`` vars, each written once. A delta sent to the browser
stays about one tail long however long the answer grows (only the last part keeps growing past
``STREAM_PARTS * TAIL_CHARS`` characters); the page renders the parts and the tail joined.
"""

from __future__ import annotations

import reflex as rx

#: Characters of streamed text kept in ``stream_tail`` before it is settled into a ``stream_part_<n>``.
TAIL_CHARS = 1024
#: How many ``stream_part_<n>`` vars hold settled text.
STREAM_PARTS = 16


class StreamedText(rx.State, mixin=True):
    """The text of the answer being streamed, in write-once parts and a short tail."""

    stream_part_0: str = ""
    stream_part_1: str = ""
    stream_part_2: str = ""
    stream_part_3: str = ""
    stream_part_4: str = ""
    stream_part_5: str = ""
    stream_part_6: str = ""
    stream_part_7: str = ""
    stream_part_8: str = ""
    stream_part_9: str = ""
    stream_part_10: str = ""
    stream_part_11: str = ""
    stream_part_12: str = ""
    stream_part_13: str = ""
    stream_part_14: str = ""
    stream_part_15: str = ""
    stream_tail: str = ""
    stream_has_text: bool = False
    _parts_used: int = 0

    def _reset_stream_text(self) -> None:
        """Forget the streamed text (the answer is shown as stored now)."""
        for index in range(self._parts_used):
            setattr(self, f"stream_part_{index}", "")
        self._parts_used = 0
        self.stream_tail = ""
        self.stream_has_text = False

    def _append_text(self, text: str) -> None:
        """Add ``text`` to the tail, settling the tail into the next part once it is longer than
        :data:`TAIL_CHARS`."""
        tail = self.stream_tail + text
        if len(tail) > TAIL_CHARS:
            index = min(self._parts_used, STREAM_PARTS - 1)
            setattr(self, f"stream_part_{index}", getattr(self, f"stream_part_{index}") + tail)
            self._parts_used = index + 1
            tail = ""
        self.stream_tail = tail
        if text and not self.stream_has_text:
            self.stream_has_text = True
