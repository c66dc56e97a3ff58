"""What the app accepts: parsing of the label box and the limits that keep one visitor from starving the rest.

Pure functions on strings; every rejection is an ``InputError`` whose message tells the visitor what to change.
"""

from __future__ import annotations

from dataclasses import dataclass


class InputError(ValueError):
    """Input the app refuses, with a message meant for the visitor (shown in the UI, never a traceback)."""


@dataclass(frozen=True)
class Limits:
    max_chars: int = 5_000  # ~900 words: every selected model runs on it within a few seconds on 2 CPU cores
    max_labels: int = 64  # Compare / Relations / Discovery tabs (uni-encoders degrade past ~30 anyway)
    max_schema_labels: int = 512  # Many-labels tab
    max_relations: int = 16


LIMITS = Limits()
LABEL_EXAMPLE = "person, organization, location"


def parse_labels(box: str | None, limit: int, what: str = "entity label") -> tuple[list[str], list[str]]:
    """``"person, , Person ,city"`` -> ``(["person", "city"], ["Person"])``: comma- or newline-separated, trimmed,
    blanks dropped, duplicates (ignoring case) dropped in order. Returns the labels and the dropped duplicates."""
    parts = [p.strip() for chunk in (box or "").splitlines() for p in chunk.split(",")]
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
                         f"{len(labels) - limit:,} of them" + (" or use the Many labels tab."
                                                               if limit < LIMITS.max_schema_labels else "."))
    return labels, duplicates


def check_text(text: str | None, max_chars: int = LIMITS.max_chars) -> str:
    """The text to run, or an ``InputError`` for an empty or oversized one."""
    if text is None or not text.strip():
        raise InputError("Type or paste some text first (or pick an example below).")
    if len(text) > max_chars:
        raise InputError(f"The text has {len(text):,} characters; this demo takes at most {max_chars:,}. Shorten "
                         "it, or run `gliner-bench` locally: the library windows texts of any length.")
    return text


def check_threshold(value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InputError(f"The threshold must be a number between 0 and 1, got {value!r}.") from None
    if not 0.0 <= value <= 1.0:
        raise InputError(f"The threshold must be between 0 and 1, got {value}.")
    return value
