"""Words -> subtoken ids and encoder batches: ``tokenize_batch`` (the reference's way: the tokenizer on
``prompt + words`` for each row, and the words mask), and ``WordTokenizer``, which tokenises each word list once
and assembles batches from those ids.

``tokenize_batch`` runs the tokenizer on ``prompt + words`` for every row. A text's words and a
label set's prompt are the same in every window and batch they appear in, so ``WordTokenizer`` tokenises each
once (``pieces``) and builds rows by concatenating ids (``batch``): the same ``input_ids``, ``attention_mask``
and ``words_mask`` as ``tokenize_batch`` (tested), without re-tokenising.

That holds only when a word's subtokens do not depend on its position in the sequence (WordPiece, byte-level
BPE with a prefix space, SentencePiece with ``prepend_scheme="always"``). The tokenizer is probed once; one
whose first word is split differently (``prepend_scheme="first"``) falls back to ``tokenize_batch``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch


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


_PROBES = ("hello", "Paris", "x", "2024", "naïve")  # words whose splits must not depend on their position


@dataclass(frozen=True)
class Pieces:
    """The words of a text (or of a prompt) and the subtoken ids of each, tokenised once."""

    words: list[str]
    ids: list[list[int]]  # ids[i]: subtokens of words[i] (may be empty, e.g. a lone zero-width character)

    def counts(self) -> list[int]:
        return [len(x) for x in self.ids]


@dataclass(frozen=True)
class Row:
    """One encoder row: a prompt, then words ``[start, end)`` of a text."""

    prompt: Pieces
    text: Pieces
    start: int
    end: int


class WordTokenizer:
    """Tokenises word lists once and assembles prompted, padded batches from the ids."""

    def __init__(self, tokenizer, max_tokens: int, subtoken_pooling: str = "first", case_types: bool = False):
        self.tokenizer, self.max_tokens, self.pooling = tokenizer, max_tokens, subtoken_pooling
        self.case_types = case_types  # add token_type_ids: 1 at capitalised text words (GLiNERConfig)
        self.num_special = tokenizer.num_special_tokens_to_add(pair=False)
        self.prefix, self.suffix = _special_layout(tokenizer)
        self.reuses_ids = (len(self.prefix) + len(self.suffix) == self.num_special
                           and tokenizer.padding_side == "right" and tokenizer.pad_token_id is not None
                           and _position_independent(tokenizer))

    def pieces(self, words: Sequence[str]) -> Pieces:
        """Subtoken ids of each word, as the tokenizer splits pre-split words."""
        words = list(words)
        if not words:
            return Pieces([], [])
        enc = self.tokenizer(words, is_split_into_words=True, add_special_tokens=False, verbose=False)
        ids: list[list[int]] = [[] for _ in words]
        for token, word in zip(enc["input_ids"], enc.word_ids()):
            if word is not None:
                ids[word].append(token)
        return Pieces(words, ids)

    def batch(self, rows: Sequence[Row]) -> dict[str, torch.Tensor]:
        """``input_ids``, ``attention_mask``, ``words_mask`` (B, L) and ``text_lengths`` (B,) (and
        ``token_type_ids`` with ``case_types``), as ``tokenize_batch`` gives for
        ``prompt + words[start:end]`` of each row."""
        if not self.reuses_ids:
            return tokenize_batch(self.tokenizer, [r.text.words[r.start:r.end] for r in rows],
                                  [r.prompt.words for r in rows], self.pooling, self.max_tokens, self.case_types)
        room = self.max_tokens - self.num_special
        sequences, word_index = [], []
        for r in rows:
            ids, index = [], []  # index: -1 for prompt subtokens, else the window's word index
            for piece in r.prompt.ids:
                ids += piece
            index += [-1] * len(ids)
            for w in range(r.start, r.end):
                piece = r.text.ids[w]
                ids += piece
                index += [w - r.start] * len(piece)
            sequences.append(self.prefix + ids[:room] + self.suffix)  # truncation as the tokenizer's
            word_index.append([-1] * len(self.prefix) + index[:room] + [-1] * len(self.suffix))
        L = max(len(s) for s in sequences)
        input_ids = np.full((len(rows), L), self.tokenizer.pad_token_id, dtype=np.int64)  # (B, L)
        attention = np.zeros((len(rows), L), dtype=np.int64)  # (B, L)
        words_mask = np.zeros((len(rows), L), dtype=np.int64)  # (B, L): word index + 1 at selected subtokens
        types = np.zeros((len(rows), L), dtype=np.int64) if self.case_types else None  # (B, L)
        for b, (r, seq, index) in enumerate(zip(rows, sequences, word_index)):
            index = np.array(index, dtype=np.int64)
            input_ids[b, :len(seq)] = seq
            attention[b, :len(seq)] = 1
            words_mask[b, :len(seq)] = select_subtokens(index, self.pooling)
            if self.case_types:
                types[b, :len(seq)] = capitalised_types(r.text.words[r.start:r.end], index)
        out = {
            "input_ids": torch.from_numpy(input_ids),
            "attention_mask": torch.from_numpy(attention),
            "words_mask": torch.from_numpy(words_mask),
            "text_lengths": torch.tensor([r.end - r.start for r in rows], dtype=torch.long),
        }
        if self.case_types:
            out["token_type_ids"] = torch.from_numpy(types)
        return out


def _special_layout(tokenizer) -> tuple[list[int], list[int]]:
    """The special token ids the tokenizer puts before and after a single sequence (e.g. [CLS] ... [SEP])."""
    enc = tokenizer(["x"], is_split_into_words=True, add_special_tokens=True)
    word_ids = enc.word_ids()
    content = [i for i, w in enumerate(word_ids) if w is not None]
    if not content:
        return [], []
    ids = enc["input_ids"]
    return list(ids[:content[0]]), list(ids[content[-1] + 1:])


def _position_independent(tokenizer) -> bool:
    """Whether each probe word gets the same subtokens first in a sequence as after another word."""
    alone = [tokenizer([w], is_split_into_words=True, add_special_tokens=False)["input_ids"] for w in _PROBES]
    enc = tokenizer(["the", *_PROBES], is_split_into_words=True, add_special_tokens=False)
    after: list[list[int]] = [[] for _ in _PROBES]
    for token, word in zip(enc["input_ids"], enc.word_ids()):
        if word is not None and word > 0:
            after[word - 1].append(token)
    return alone == after
