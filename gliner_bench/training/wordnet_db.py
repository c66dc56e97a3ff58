"""Reading the WordNet 3.1 database files (``data.noun``, ``index.noun``) into synsets and a noun index."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

# lexicographer file numbers (WordNet's lexnames)
LEXFILES = ("adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
            "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event",
            "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object",
            "noun.person", "noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
            "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time")


_MARKER = re.compile(r"\([a-z]+\)$")


# ---------------------------------------------------------------------------------------------- parsing
@dataclass(frozen=True)
class Synset:
    """One ``data.noun`` line: ``offset``, ``lexfile`` (name, e.g. "noun.location"), ``lemmas`` as WordNet
    spells them (case kept, ``_`` -> space, markers such as ``(p)`` removed), ``pointers``: ``(symbol, target
    offset)`` for the pointers to other noun synsets (``@`` hypernym, ``@i`` instance hypernym, ``#p`` part
    holonym, ``#m`` member holonym, ...), and ``degree``: the number of pointers of any kind (a rough measure
    of how much WordNet says about the synset: Paris, France has 18, Paris, Texas 2)."""

    offset: int
    lexfile: str
    lemmas: tuple[str, ...]
    pointers: tuple[tuple[str, int], ...] = ()
    degree: int = 0

    def targets(self, symbol: str) -> list[int]:
        return [o for s, o in self.pointers if s == symbol]

    @property
    def name(self) -> str:
        """The synset as a type name: its first lemma, lowercase."""
        return self.lemmas[0].lower()


def clean_lemma(raw: str) -> str:
    """``New_York`` -> ``New York``; ``bad(p)`` -> ``bad``."""
    return _MARKER.sub("", raw).replace("_", " ").strip()


def parse_data(lines: Iterable[str]) -> dict[int, Synset]:
    """``data.noun`` lines -> ``{offset: Synset}``. A line is ``offset lex_filenum ss_type w_cnt word lex_id
    [word lex_id ...] p_cnt [pointer_symbol offset pos source/target ...] | gloss`` (``w_cnt`` two hex
    digits, ``p_cnt`` three decimal digits); the license header lines start with spaces and are skipped."""
    out = {}
    for n, line in enumerate(lines, start=1):
        if not line.strip() or line[0] == " ":
            continue
        head = line.split(" | ", 1)[0].split()
        try:
            offset, lexfile, w_cnt = int(head[0]), int(head[1]), int(head[3], 16)
            lemmas = tuple(clean_lemma(head[4 + 2 * i]) for i in range(w_cnt))
            p = 4 + 2 * w_cnt
            p_cnt = int(head[p])
            pointers = []
            for j in range(p_cnt):
                symbol, target, pos, _ = head[p + 1 + 4 * j:p + 5 + 4 * j]
                if pos == "n":
                    pointers.append((symbol, int(target)))
        except (IndexError, ValueError) as err:
            raise ValueError(f"data.noun line {n} is not in WordNet's data file format: {line[:80]!r}") \
                from err
        out[offset] = Synset(offset, LEXFILES[lexfile] if lexfile < len(LEXFILES) else str(lexfile), lemmas,
                             tuple(pointers), p_cnt)
    return out


def parse_index(lines: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """``index.<pos>`` lines -> ``{lemma (lowercase, spaces): synset offsets in WordNet's sense order}``. A
    line is ``lemma pos synset_cnt p_cnt [ptr_symbol ...] sense_cnt tagsense_cnt synset_offset [...]``."""
    out = {}
    for line in lines:
        if not line.strip() or line[0] == " ":
            continue
        fields = line.split()
        count = int(fields[2])
        out[clean_lemma(fields[0])] = tuple(int(x) for x in fields[len(fields) - count:])
    return out


@dataclass
class WordNet:
    """The noun synsets (``{offset: Synset}``), the noun index (``{lowercase lemma: offsets}``) and the
    lowercase lemmas of the other parts of speech (``{"verb": set, "adj": set, "adv": set}``)."""

    synsets: dict[int, Synset]
    index: dict[str, tuple[int, ...]]
    other_pos: dict[str, frozenset[str]] = field(default_factory=dict)

    @cached_property
    def hyponyms(self) -> dict[int, list[int]]:
        """``{offset: offsets of its hyponyms and instances}`` (``@`` and ``@i`` reversed)."""
        out = defaultdict(list)
        for s in self.synsets.values():
            for sym, target in s.pointers:
                if sym in ("@", "@i"):
                    out[target].append(s.offset)
        return dict(out)

    def closure(self, roots: Iterable[int], exclude: Iterable[int] = ()) -> set[int]:
        """The roots and everything below them (hyponyms and instances, transitively), except what is reached
        only through a synset of ``exclude``."""
        blocked = set(exclude)
        seen: set[int] = set()
        todo = list(roots)
        while todo:
            o = todo.pop()
            if o not in seen and o not in blocked:
                seen.add(o)
                todo += self.hyponyms.get(o, ())
        return seen

    def senses(self, lemma: str) -> list[int]:
        """The noun synsets that spell ``lemma`` exactly so (case included), in WordNet's sense order."""
        return [o for o in self.index.get(lemma.lower(), ())
                if o in self.synsets and lemma in self.synsets[o].lemmas]

    def is_word(self, lowercase: str) -> bool:
        """Whether WordNet has this (lowercase) lemma in any part of speech."""
        return lowercase in self.index or any(lowercase in lemmas for lemmas in self.other_pos.values())

    @cached_property
    def lowercase_words(self) -> frozenset[str]:
        """Lemmas WordNet spells in lowercase: noun lemmas so spelled and all verbs, adjectives and adverbs
        (their index is lowercase): "empire" is one, "sanskrit" is not."""
        words = {lem for s in self.synsets.values() for lem in s.lemmas if lem == lem.lower()}
        for lemmas in self.other_pos.values():
            words |= lemmas
        return frozenset(words)

    @cached_property
    def common_words(self) -> frozenset[str]:
        """Lowercase lemmas of WordNet's ordinary words: of non-instance noun synsets and of all other parts
        of speech."""
        words = {lem.lower() for s in self.synsets.values() if not s.targets("@i") for lem in s.lemmas}
        for lemmas in self.other_pos.values():
            words |= lemmas
        return frozenset(words)


def load(dict_dir: str | Path) -> WordNet:
    """A WordNet ``dict/`` folder: ``data.noun`` and ``index.noun``, plus ``index.verb``, ``index.adj``,
    ``index.adv`` where present."""
    dict_dir = Path(dict_dir)

    def lines(name: str) -> list[str]:
        return (dict_dir / name).read_text(encoding="utf-8", errors="replace").splitlines()

    other = {pos: frozenset(parse_index(lines(f"index.{pos}"))) for pos in ("verb", "adj", "adv")
             if (dict_dir / f"index.{pos}").is_file()}
    return WordNet(parse_data(lines("data.noun")), parse_index(lines("index.noun")), other)


# ---------------------------------------------------------------------------------------------- lexicon
