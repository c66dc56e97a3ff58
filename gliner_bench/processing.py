"""Text -> words -> prompted, tokenised batches. Pure data preparation, no model.

The steps follow the reference (gliner 0.2.29): words from the regex splitter with char
offsets; a prompt ``[<<ENT>>, label1, <<ENT>>, label2, ..., <<SEP>>]`` in front of the words; the tokenizer
run on pre-split words; a words mask that marks, for each text word, the subtoken(s) that represent it.
One difference on purpose: texts longer than the encoder's window are split into overlapping windows
(``plan_windows``) instead of being truncated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

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


# ---------------------------------------------------------------------------------------------- labels
@dataclass(frozen=True)
class LabelSet:
    """Labels as prompted (``prompts``) and as returned (``names``); equal unless descriptions are given."""

    prompts: list[str]
    names: list[str]

    def __len__(self) -> int:
        return len(self.prompts)


def normalize_labels(labels: Sequence[str] | Mapping[str, str] | str) -> LabelSet:
    """Validate and de-duplicate (in order) a label list, or a ``{name: description}`` mapping.

    Raises ``ValueError`` with the call to write when the labels cannot be used.
    """
    example = "e.g. model.predict_entities(text, ['person', 'organization', 'location'])"
    if isinstance(labels, str):
        labels = [labels]
    if isinstance(labels, Mapping):
        names, prompts = [], []
        for name, description in labels.items():
            if not isinstance(name, str) or not isinstance(description, str):
                raise ValueError(  # noqa: TRY004 -- every label problem is a ValueError (the documented contract)
                    "Label descriptions must map label names to description strings, "
                    "e.g. {'person': 'a human being'}."
                )
            if not name.strip() or not description.strip():
                raise ValueError(f"Label {name!r} has a blank name or description; give non-empty strings.")
            names.append(name)
            prompts.append(description)
        if len(set(prompts)) != len(prompts):
            raise ValueError("Label descriptions must be unique within a label set.")
        if not names:
            raise ValueError(f"Pass at least one entity label, {example}.")
        return LabelSet(prompts, names)
    if labels is None or not isinstance(labels, Sequence) or len(labels) == 0:
        raise ValueError(f"Pass at least one entity label, {example}.")
    for label in labels:
        if not isinstance(label, str):
            raise ValueError(  # noqa: TRY004 -- as above
                f"Every label must be a string; got {type(label).__name__} ({label!r}). {example[0].upper()}"
                f"{example[1:]}."
            )
        if not label.strip():
            raise ValueError(f"Labels must not be blank (got {label!r}); {example}.")
    unique = list(dict.fromkeys(labels))
    return LabelSet(unique, unique)


# ---------------------------------------------------------------------------------------------- windows
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


# ---------------------------------------------------------------------------------------------- batches
def prompt_words(labels: LabelSet, ent_token: str, sep_token: str) -> list[str]:
    prompt: list[str] = []
    for label in labels.prompts:
        prompt += [ent_token, label]
    return prompt + [sep_token]


def relex_prompt_words(labels: LabelSet, relations: LabelSet, ent_token: str, sep_token: str,
                       rel_token: str) -> list[str]:
    """``[<<ENT>> e1 ... <<SEP>> <<REL>> r1 ... <<SEP>>]`` (the second <<SEP>> even with no relations)."""
    prompt = prompt_words(labels, ent_token, sep_token)
    for relation in relations.prompts:
        prompt += [rel_token, relation]
    return prompt + [sep_token]


def tokenize_batch(
    tokenizer,
    word_lists: Sequence[Sequence[str]],
    prompts: Sequence[Sequence[str]],
    subtoken_pooling: str = "first",
    max_length: int | None = None,
    case_types: bool = False,
) -> dict[str, torch.Tensor]:
    """Tokenise ``prompt + words`` for each row and build the words mask.

    Returns ``input_ids``, ``attention_mask`` (B, L), ``words_mask`` (B, L) where a selected subtoken of
    text word ``i`` holds ``i + 1`` (prompt words and special tokens hold 0), and ``text_lengths`` (B,);
    with ``case_types`` also ``token_type_ids`` (B, L) (``capitalised_types``).
    Word indices come from the tokenizer's ``word_ids``, so a word that yields no subtoken (e.g. a lone
    zero-width character) leaves the following words in place; the reference counts distinct word ids
    instead and shifts every later word by one in that case.
    """
    enc = tokenizer(
        [list(prompt) + list(words) for prompt, words in zip(prompts, word_lists)],
        is_split_into_words=True,
        truncation=True,
        max_length=max_length,
        padding="longest",
        return_tensors="pt",
    )
    words_mask = np.zeros(enc["input_ids"].shape, dtype=np.int64)  # (B, L)
    types = np.zeros(enc["input_ids"].shape, dtype=np.int64) if case_types else None  # (B, L)
    for row, (prompt, words) in enumerate(zip(prompts, word_lists)):
        word_ids = np.array([-1 if w is None else w for w in enc.word_ids(row)], dtype=np.int64)
        text_word = word_ids - len(prompt)  # 0-based index into the text's words; < 0 for prompt/special
        words_mask[row] = select_subtokens(text_word, subtoken_pooling)
        if case_types:
            types[row] = capitalised_types(words, text_word)
    out = {
        "input_ids": enc["input_ids"],
        "attention_mask": enc["attention_mask"],
        "words_mask": torch.from_numpy(words_mask),
        "text_lengths": torch.tensor([len(words) for words in word_lists], dtype=torch.long),
    }
    if case_types:
        out["token_type_ids"] = torch.from_numpy(types)
    return out


def is_capitalised(word: str) -> bool:
    """Whether the word's first letter is upper case: "Paris", "NASA", "@Obama", "#GameOfThrones", "2Pac"."""
    for ch in word:
        if ch.isalpha():
            return ch.isupper()
    return False


def capitalised_types(words: Sequence[str], word_index: np.ndarray) -> np.ndarray:
    """Token types that carry the case an uncased tokenizer drops (``GLiNERConfig.case_token_types``).

    ``word_index`` (L,): the text word of each subtoken (< 0: prompt, special or padding) -> (L,) with 1 at
    every subtoken of a capitalised text word and 0 elsewhere, prompt included.
    """
    flags = np.array([is_capitalised(w) for w in words] + [False], dtype=np.int64)  # last: any non-text position
    return flags[np.where(word_index >= 0, word_index, len(words))]


def select_subtokens(word_index: np.ndarray, pooling: str) -> np.ndarray:
    """``word_index`` (L,): the text word of each subtoken (< 0: prompt, special or padding) -> word + 1 at the
    subtokens that represent their word (its first, its last, or all of them), 0 elsewhere."""
    previous = np.concatenate([[np.iinfo(np.int64).min], word_index[:-1]])
    following = np.concatenate([word_index[1:], [np.iinfo(np.int64).min]])
    if pooling == "first":
        chosen = word_index != previous
    elif pooling == "last":
        chosen = word_index != following
    else:  # mean / max pool every subtoken of the word
        chosen = np.ones_like(word_index, dtype=bool)
    chosen &= word_index >= 0
    return np.where(chosen, word_index + 1, 0)


def subtoken_counts(tokenizer, words: Sequence[str]) -> list[int]:
    """Subtokens per word, as the tokenizer splits pre-split words (each word on its own)."""
    if not words:
        return []
    enc = tokenizer(list(words), is_split_into_words=True, add_special_tokens=False, verbose=False)
    counts = np.bincount(np.array([w for w in enc.word_ids() if w is not None], dtype=np.int64),
                         minlength=len(words))
    return counts.tolist()
