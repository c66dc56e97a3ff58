"""What the app accepts: parsing of the label box and the limits that keep one visitor from starving the rest.

Pure functions on strings; every rejection is an ``InputError`` whose message tells the visitor what to change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class InputError(ValueError):
    """Input the app refuses, with a message meant for the visitor (shown in the UI, never a traceback)."""


@dataclass(frozen=True)
class Limits:
    """Sized so that a request at the limits, every model of its tab selected, answers within 15 s on 2 CPU cores
    with the app's int8 serving (``scripts/bench/app_load.py``, README "The demo under load"). Measured per tab
    (entity-dense text, 64 labels): Compare, 8 models: 7.4 s at 2,500 characters, 9.5 s at 3,500, 40 s at 4,950
    (the decoders generate a name for every span); Many labels, 512 types, 4 models: 10.2 s at 2,500, 12.3 s at
    3,500; Discovery, 2 decoders, 1,000 characters: 5.0 s with 1 generated label per entity, 10.9 s with 2, 17.7 s
    with 3, and 40.9 s with 5 at 1,500 characters."""

    max_chars: int = 3_000  # ~500 words; Compare, Relations, Many labels
    max_labels: int = 64  # Compare / Relations / Discovery tabs (uni-encoders degrade past ~30 anyway)
    max_schema_labels: int = 512  # Many-labels tab
    max_relations: int = 16
    max_discovery_chars: int = 1_000  # Discovery: beam search over every span's name costs the most
    max_generated: int = 2  # Discovery: generated labels (beams) per entity


LIMITS = Limits()
LIMITS_TEXT = (f"Limits, so that every answer comes within about 15 s: a text of up to {LIMITS.max_chars:,} characters "
               f"({LIMITS.max_discovery_chars:,} on the Label discovery tab, with up to {LIMITS.max_generated} "
               f"generated labels per entity), up to {LIMITS.max_labels} entity labels ({LIMITS.max_schema_labels} on "
               f"the Many labels tab), up to {LIMITS.max_relations} relation types. Longer texts: run `gliner-bench` "
               "locally, which windows texts of any length.")
LABEL_EXAMPLE = "person, organization, location"
MAX_LABEL_CHARS = 100


def check_string(value, what: str) -> str:
    """``value`` if it is text that can be encoded (UTF-8), else an ``InputError`` naming the input ``what``."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"The {what} must be text, got {type(value).__name__}.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise InputError(f"The {what} holds a character that is not valid Unicode text (a lone surrogate, "
                         f"U+{ord(value[err.start]):04X}, at position {err.start + 1:,}); remove it or paste the "
                         "text again.") from None
    return value


def parse_labels(box: str | None, limit: int, what: str = "entity label", elsewhere: str = "the Many labels tab"
                 ) -> tuple[list[str], list[str]]:
    """``"person, , Person ,city"`` -> ``(["person", "city"], ["Person"])``: comma- or newline-separated, trimmed,
    blanks dropped, duplicates (ignoring case) dropped in order. Returns the labels and the dropped duplicates.
    Over ``limit``, the message points to ``elsewhere`` (where more are taken; empty: nowhere)."""
    box = check_string(box, what + "s box")
    parts = [p.strip() for chunk in box.splitlines() for p in chunk.split(",")]
    labels, seen, duplicates = [], set(), []
    for part in parts:
        if not part:
            continue
        key = part.casefold()
        if key in seen:
            duplicates.append(part)
            continue
        seen.add(key)
        labels.append(part)
    if not labels:
        raise InputError(f"Type at least one {what}, separated by commas, e.g. {LABEL_EXAMPLE}.")
    if len(labels) > limit:
        raise InputError(f"{len(labels):,} {what}s is more than this tab's limit of {limit:,}; remove "
                         f"{len(labels) - limit:,} of them" + (f" or use {elsewhere}." if elsewhere else "."))
    too_long = next((label for label in labels if len(label) > MAX_LABEL_CHARS), None)
    if too_long is not None:
        raise InputError(f"A {what} of {len(too_long):,} characters is longer than {MAX_LABEL_CHARS}; a type name "
                         "is a few words (check for a missing comma).")
    return labels, duplicates


def check_text(text: str | None, max_chars: int = LIMITS.max_chars) -> str:
    """The text to run, or an ``InputError`` for an empty, oversized or malformed one."""
    text = check_string(text, "text")
    if not text.strip():
        raise InputError("Type or paste some text first (or pick an example below).")
    if len(text) > max_chars:
        raise InputError(f"The text has {len(text):,} characters; this demo takes at most {max_chars:,}. Shorten "
                         "it, or run `gliner-bench` locally: the library windows texts of any length.")
    return text


def check_threshold(value, what: str = "threshold") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InputError(f"The {what} must be a number between 0 and 1, got {type(value).__name__}.")
    try:
        value = float(value)
    except ValueError:
        raise InputError(f"The {what} must be a number between 0 and 1, got {value!r}.") from None
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise InputError(f"The {what} must be between 0 and 1, got {value}.")
    return value


def check_flag(value, what: str) -> bool:
    """A checkbox's value (a bool; gradio's API may pass 0 / 1)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise InputError(f"The {what} option must be true or false, got {value!r}.")


def check_count(value, what: str, low: int, high: int) -> int:
    """A whole number in ``[low, high]`` (a slider may send 2.0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value != int(value):
        raise InputError(f"The {what} must be a whole number from {low} to {high}, got {value!r}.")
    if not low <= int(value) <= high:
        raise InputError(f"The {what} must be from {low} to {high}, got {int(value)}.")
    return int(value)


def check_models(value, served: list[str]) -> list[str]:
    """The models picked (a list of served names)."""
    if value is None:
        value = []
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or \
            not all(isinstance(v, str) for v in value):
        raise InputError(f"The models to run must be a list of names from: {', '.join(served)}.")
    return list(value)
