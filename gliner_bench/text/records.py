"""Evaluation data: examples as pre-split words with gold spans, read from the formats users have.

- the reference's training/eval JSON: ``{"tokenized_text": [...], "ner": [[start, end, label], ...]}`` (word
  indices, inclusive), optionally ``"relations": [[head_entity_index, tail_entity_index, type], ...]`` (relex);
- text with character offsets: ``{"text": ..., "entities": [{"start", "end", "label"}, ...]}`` (end exclusive;
  upstream's eval files spell it ``{"sentence", "entities": [{"pos": [c0, c1], "type"}]}``: also read);
- CoNLL-style BIO: ``token<TAB>tag`` per line, a blank line between sentences (WNUT-16's copy);
- Hugging Face ``datasets`` rows with ``tokens`` and ``ner_tags`` (ClassLabel BIO names).
A file is a JSON array or JSON lines. Every error names the file and the line, and says what to fix.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .words import split_words


class DataError(ValueError):
    """Evaluation data that cannot be used as it is; the message names the file and line."""


@dataclass(frozen=True)
class Example:
    tokens: list[str]
    entities: list[tuple[int, int, str]]  # (start word, end word inclusive, raw label)
    relations: list[tuple[int, int, str]] = field(default_factory=list)  # (head entity, tail entity, type)
    document: int | None = None  # index of the document the sentence belongs to, where the dataset marks documents


# ---------------------------------------------------------------------------------------------- files
def read_file(path: str | os.PathLike, nested: bool = True, errors: list[str] | None = None) -> list[Example]:
    """Any supported file, by content: BIO when lines are ``token<TAB>tag``, else JSON / JSON lines in either
    JSON format. ``nested=False`` (a flat task) refuses overlapping gold spans. With an ``errors`` list, a bad
    or empty example is skipped and its message appended (training reads data that way) instead of raising."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot be read as UTF-8 text ({err}).") from err
    if not text.strip():
        raise DataError(f"{path}: the file is empty; it needs at least one example.")
    first = text.lstrip()[:1]
    if first not in "[{":
        examples = read_bio(text.splitlines(), str(path))
    else:
        examples = []
        for item, line in _json_items(text, str(path)):
            try:
                ex = _json_example(item, str(path), line)
                if errors is not None and not ex.tokens:
                    raise DataError(f"{path}, line {line}: the example has no words.")
                examples.append(ex)
            except DataError as err:
                if errors is None:
                    raise
                errors.append(str(err))
    if not examples:
        raise DataError(f"{path}: no examples found.")
    if not nested:
        for i, ex in enumerate(examples):
            check_flat(ex, f"{path}: example {i + 1}")
    return examples


def _json_items(text: str, source: str) -> Iterable[tuple[object, int]]:
    """(item, line number) for a JSON array or JSON lines."""
    decoder = json.JSONDecoder()
    stripped = text.lstrip()
    if stripped.startswith("["):
        pos = text.index("[") + 1
        while True:
            while pos < len(text) and text[pos] in " \t\r\n,":
                pos += 1
            if pos >= len(text):
                raise DataError(f"{source}: the JSON array is not closed with ']'.")
            if text[pos] == "]":
                return
            line = text.count("\n", 0, pos) + 1
            try:
                item, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as err:
                raise DataError(f"{source}, line {text.count(chr(10), 0, err.pos) + 1}: invalid JSON ({err.msg}).") \
                    from err
            yield item, line
    else:
        for n, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                yield json.loads(raw), n
            except json.JSONDecodeError as err:
                raise DataError(f"{source}, line {n}: invalid JSON ({err.msg}); a JSON-lines file holds one "
                                "example object per line.") from err


def examples_from_items(items: Sequence[object], source: str = "test_data") -> list[Example]:
    """In-memory examples (``tokenized_text`` + ``ner``, or ``text`` + ``entities``), checked as a file's are."""
    if isinstance(items, (str, bytes, dict)) or not isinstance(items, Sequence):
        raise DataError(f"{source} must be a list of examples (dicts with 'tokenized_text' and 'ner'), got "
                        f"{type(items).__name__}.")
    return [_json_example(item, source, i) for i, item in enumerate(items)]


def _json_example(item: object, source: str, line: int) -> Example:
    where = f"{source}, line {line}"
    if not isinstance(item, dict):
        raise DataError(f"{where}: an example must be a JSON object, got {type(item).__name__}.")
    if "tokenized_text" in item:
        return _word_example(item, where)
    if "text" in item or "sentence" in item:
        return _char_example(item, where)
    raise DataError(f"{where}: an example needs 'tokenized_text' + 'ner' (word indices) or 'text' + 'entities' "
                    f"(character offsets); found keys {sorted(item)}.")


def _word_example(item: dict, where: str) -> Example:
    tokens = item["tokenized_text"]
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise DataError(f"{where}: 'tokenized_text' must be a list of strings.")
    entities = []
    for k, ent in enumerate(item.get("ner") or []):
        if not (isinstance(ent, (list, tuple)) and len(ent) == 3 and all(isinstance(x, int) for x in ent[:2])
                and isinstance(ent[2], str)):
            raise DataError(f"{where}: entity {k} is {ent!r}; expected [start word, end word, label].")
        s, e, label = ent
        if not 0 <= s <= e < len(tokens):
            raise DataError(f"{where}: entity {k} {ent!r} lies outside the {len(tokens)} words (indices are "
                            "0-based and the end is inclusive).")
        entities.append((s, e, label))
    relations = []
    for k, rel in enumerate(item.get("relations") or []):
        if not (isinstance(rel, (list, tuple)) and len(rel) == 3 and all(isinstance(x, int) for x in rel[:2])):
            raise DataError(f"{where}: relation {k} is {rel!r}; expected [head entity index, tail entity index, type].")
        h, t, label = rel
        if not (0 <= h < len(entities) and 0 <= t < len(entities)):
            raise DataError(f"{where}: relation {k} {rel!r} refers to an entity that does not exist (the example "
                            f"has {len(entities)} entities; indices are positions in 'ner').")
        relations.append((h, t, str(label)))
    return Example(list(tokens), entities, relations)


def _char_example(item: dict, where: str) -> Example:
    text = item.get("text", item.get("sentence"))
    if not isinstance(text, str):
        raise DataError(f"{where}: 'text' must be a string.")
    words = split_words(text)
    entities = []
    for k, ent in enumerate(item.get("entities") or []):
        if not isinstance(ent, dict):
            raise DataError(f"{where}: entity {k} must be an object with 'start', 'end', 'label'.")
        start, end = ent.get("pos", (ent.get("start"), ent.get("end")))
        label = ent.get("label", ent.get("type"))
        if not (isinstance(start, int) and isinstance(end, int) and isinstance(label, str)):
            raise DataError(f"{where}: entity {k} is {ent!r}; expected integer 'start' and 'end' and a 'label'.")
        if not 0 <= start < end <= len(text):
            raise DataError(f"{where}: entity {k} has offsets [{start}, {end}) outside the text of {len(text)} "
                            "characters (offsets are 0-based, end exclusive).")
        covered = [i for i, (a, b) in enumerate(zip(words.starts, words.ends)) if a < end and b > start]
        if not covered:
            raise DataError(f"{where}: entity {k} [{start}, {end}) covers no word of the text.")
        entities.append((covered[0], covered[-1], label))
    return Example(words.tokens, entities)


def read_bio(lines: Sequence[str], source: str) -> list[Example]:
    """``token<TAB>tag`` lines (B-x / I-x / O), sentences separated by blank lines."""
    examples, tokens, tags, first_line = [], [], [], 1
    for n, raw in enumerate([*lines, ""], start=1):
        if not raw.strip():
            if tokens:
                examples.append(Example(tokens, bio_spans(tags, f"{source}, line {first_line}")))
            tokens, tags, first_line = [], [], n + 1
            continue
        parts = raw.rstrip("\n").split("\t")
        if len(parts) < 2 or not parts[0]:
            raise DataError(f"{source}, line {n}: expected 'token<TAB>tag', got {raw!r}.")
        tokens.append(parts[0])
        tags.append(parts[-1].strip())
    return examples


def bio_spans(tags: Sequence[str], where: str = "") -> list[tuple[int, int, str]]:
    """BIO tags -> (start, end inclusive, label). An I- tag without its B- starts a span (the usual lenient
    reading, as seqeval's default mode)."""
    spans, start, label = [], None, None
    for i, tag in enumerate([*tags, "O"]):
        if tag == "O" or tag.startswith("B-") or (tag.startswith("I-") and tag[2:] != label):
            if start is not None:
                spans.append((start, i - 1, label))
            start, label = (i, tag[2:]) if tag != "O" else (None, None)
        elif not tag.startswith("I-"):
            raise DataError(f"{where}: tag {tag!r} is not O, B-<type> or I-<type>.")
    return spans


def from_hf_rows(rows: Iterable[dict], tag_names: Sequence[str], source: str) -> list[Example]:
    """``datasets`` rows with ``tokens`` and integer ``ner_tags`` whose ClassLabel names are BIO tags."""
    out = []
    for i, row in enumerate(rows):
        tags = [tag_names[t] for t in row["ner_tags"]]
        out.append(Example(list(row["tokens"]), bio_spans(tags, f"{source}, row {i}")))
    return out


def check_flat(example: Example, where: str) -> None:
    spans = sorted((s, e) for s, e, _ in example.entities)
    for (s1, e1), (s2, e2) in itertools.pairwise(spans):
        if s2 <= e1:
            raise DataError(f"{where}: gold spans [{s1}, {e1}] and [{s2}, {e2}] overlap, but the task is flat; "
                            "declare it nested or fix the annotation.")
