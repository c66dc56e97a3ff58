"""Text -> words with char offsets, and the windows a long text is cut into.

Words come from the splitter the model names (``splitting.py``; the reference's regex by default), with char
offsets; a dataset's pre-split tokens are taken as they are. One difference from the reference on purpose: texts
longer than the encoder's window are split into overlapping windows (``plan_windows``) instead of being truncated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .splitting import WHITESPACE_PATTERN, get_splitter

# The reference's "whitespace" splitter is this regex (data_processing/tokenizer.py:49); the splitters
# by name, ours included, are in splitting.py.
WORD_PATTERN = WHITESPACE_PATTERN


@dataclass(frozen=True)
class Words:
    """A text split into words, with char offsets (end exclusive)."""

    text: str
    tokens: list[str]
    starts: list[int]
    ends: list[int]

    def __len__(self) -> int:
        return len(self.tokens)


def split_words(text: str, splitter: str = "whitespace") -> Words:
    """``text`` split by the splitter called ``splitter`` (``splitting.SPLITTERS``: "whitespace", the
    reference's, or "unicode"); ``ValueError`` naming the known splitters for any other name."""
    split = get_splitter(splitter)
    if not isinstance(text, str):
        raise TypeError(f"A text to split must be a str, got {type(text).__name__}.")
    spans = split(text)
    return Words(text, [text[s:e] for s, e in spans], [s for s, _ in spans], [e for _, e in spans])


def words_from_tokens(tokens: Sequence[str]) -> Words:
    """Pre-split words (a dataset's tokens, as the reference evaluates them), joined by single spaces; entity
    offsets then index that joined text, and word i spans ``starts[i]:ends[i]``."""
    starts, ends, pos = [], [], 0
    for tok in tokens:
        starts.append(pos)
        ends.append(pos + len(tok))
        pos += len(tok) + 1
    return Words(" ".join(tokens), list(tokens), starts, ends)


def to_words(text: str | Sequence[str], splitter: str = "whitespace") -> Words:
    """A text (split by the regex splitter) or a list of pre-split words."""
    return split_words(text, splitter) if isinstance(text, str) else words_from_tokens(text)


def plan_windows(
    subtokens_per_word: Sequence[int], max_words: int, max_text_tokens: int, min_overlap: int
) -> list[tuple[int, int]]:
    """Cover ``len(subtokens_per_word)`` words with windows of at most ``max_words`` words and at most
    ``max_text_tokens`` subtokens.

    Consecutive windows share ``max(min_overlap, window // 4)`` words, so with ``min_overlap > max_width``
    every span of up to ``max_width`` words lies whole inside some window, with context around it.
    Returns ``[(start, end), ...]``, ``end`` exclusive; one window when the text fits. A word that alone
    exceeds the token budget gets a window of its own (the tokenizer truncates it).
    """
    n = len(subtokens_per_word)
    if n == 0:
        return [(0, 0)]
    windows = []
    start = 0
    while True:
        end, tokens = start, 0
        while end < n and end - start < max_words and tokens + subtokens_per_word[end] <= max_text_tokens:
            tokens += subtokens_per_word[end]
            end += 1
        end = max(end, start + 1)
        windows.append((start, end))
        if end >= n:
            return windows
        overlap = max(min_overlap, (end - start) // 4)
        start = max(end - overlap, start + 1)  # always move forward
