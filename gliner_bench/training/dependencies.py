"""Relations between spaCy's entities, read off spaCy's dependency parse: silver relation examples for relex.

``build-data`` gets its entities from spaCy and WordNet, but WordNet links few of them (some 120 "located in"
pairs in 30,000 sentences): too few, and of one type, for a relex model to learn to predict relations at all.
This module adds relations of a dozen types from a few syntactic frames that state them outright. Like the
entities, they are distant supervision (silver, not gold): rules that favour precision over recall, checked by
eye on samples, never by a person on every example.

Frames (``head`` -> ``tail``; an entity stands for its syntactic root, ``Span.root`` in spaCy):

- **verbs**: a person, organisation or place is the subject of a verb in ``VERB_FRAMES`` and another entity of
  the frame's kinds is its object, or the object of a preposition the frame names: "Smith founded Acme"
  (founded), "she was born in Ohio" (born in), "Acme is based in Texas" (located in). A verb with no subject of
  its own takes its first conjunct's, a relative clause's the noun it modifies ("Smith, who joined Acme"), a
  participle's the noun it modifies ("Smith, born in Ohio").
- **titles**: a person next to a title noun (apposition or compound: "Smith, president of Acme", "Acme
  president John Smith", "Germany's chancellor Kohl") whose organisation or place is that noun's ``of``/``at``
  object, compound or possessor: ``LEADER_TITLES`` give "leader of", ``STAFF_TITLES`` "works for"; a
  nationality on the person or its title ("the Russian novelist Tolstoy") gives "affiliated with".
- **places**: a facility, organisation or place whose noun takes ``in`` with a place ("a church in Boston",
  "Acme in Dallas") or a place in apposition to a place ("Dallas, Texas"; not in a list: "Slovenia, Croatia,
  Bosnia"): "located in".

Pure functions over ``Token`` rows (``from_doc`` makes them from a spaCy ``Doc``), so the rules are testable
without a parser.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PEOPLE = frozenset({"PERSON"})
ORGS = frozenset({"ORG"})
PLACES = frozenset({"GPE", "LOC"})
SITES = frozenset({"GPE", "LOC", "FAC"})
GROUPS = frozenset({"ORG", "GPE", "NORP"})
WORKS = frozenset({"WORK_OF_ART"})
AGENTS = frozenset({"PERSON", "ORG"})


@dataclass(frozen=True)
class Frame:
    """A verb frame: subject kinds, the object's slot (``None``: the direct object; else a preposition's
    object), object kinds, relation; ``passive``: the subject is ``nsubjpass`` (a passive verb)."""
    subjects: frozenset[str]
    preposition: str | None
    objects: frozenset[str]
    relation: str
    passive: bool = False


def _frames(lemmas: str, *frames: Frame) -> dict[str, tuple[Frame, ...]]:
    return {lemma: frames for lemma in lemmas.split()}


VERB_FRAMES: dict[str, tuple[Frame, ...]] = {
    **_frames("bear", Frame(PEOPLE, "in", PLACES, "born in", passive=True)),
    **_frames("die", Frame(PEOPLE, "in", PLACES, "died in")),
    **_frames("live reside settle grow", Frame(PEOPLE, "in", SITES, "lives in")),
    **_frames("work", Frame(PEOPLE, "for", ORGS, "works for"), Frame(PEOPLE, "at", ORGS, "works for")),
    **_frames("join", Frame(PEOPLE, None, ORGS, "member of")),
    **_frames("found establish", Frame(AGENTS, None, ORGS, "founded")),
    **_frames("lead head", Frame(PEOPLE, None, GROUPS, "leader of")),
    **_frames("marry", Frame(PEOPLE, None, PEOPLE, "married to")),
    **_frames("write compose paint", Frame(PEOPLE, None, WORKS, "author of")),
    **_frames("visit", Frame(PEOPLE, None, SITES, "visited")),
    **_frames("attend", Frame(PEOPLE, None, ORGS, "educated at")),
    **_frames("study", Frame(PEOPLE, "at", ORGS, "educated at")),
    **_frames("graduate", Frame(PEOPLE, "from", ORGS, "educated at")),
    **_frames("base headquarter locate", Frame(ORGS | frozenset({"FAC"}), "in", PLACES, "located in",
                                               passive=True)),
    **_frames("play", Frame(PEOPLE, "for", ORGS, "plays for")),
    **_frames("defeat beat", Frame(AGENTS, None, AGENTS, "defeated")),
    **_frames("go move travel return come fly sail", Frame(PEOPLE, "to", SITES, "traveled to")),
    **_frames("employ hire", Frame(PEOPLE, "by", ORGS, "works for", passive=True)),
    **_frames("teach", Frame(PEOPLE, "at", ORGS, "works for")),
    **_frames("elect appoint", Frame(PEOPLE, "to", ORGS, "member of", passive=True)),
    **_frames("serve", Frame(PEOPLE, "on", ORGS, "member of"), Frame(PEOPLE, "in", ORGS, "member of"),
              Frame(PEOPLE, "with", ORGS, "member of")),
    **_frames("represent", Frame(PEOPLE, None, GROUPS, "represents")),
    **_frames("win", Frame(AGENTS, None, frozenset({"EVENT"}), "won")),
    **_frames("acquire buy purchase own", Frame(AGENTS, None, ORGS | frozenset({"FAC", "PRODUCT"}), "owns")),
    **_frames("produce make manufacture release", Frame(ORGS, None, frozenset({"PRODUCT"}), "produced")),
    **_frames("meet", Frame(PEOPLE, None, PEOPLE, "met with"), Frame(PEOPLE, "with", PEOPLE, "met with")),
}

LEADER_TITLES = frozenset(
    ["president", "chairman", "chairwoman", "chief", "leader", "head", "king", "queen", "governor", "mayor", "chancellor", "premier", "minister", "director", "founder", "commander", "captain", "emperor", "prince", "dictator", "boss", "owner", "publisher"])
STAFF_TITLES = frozenset(
    ["member", "employee", "spokesman", "spokeswoman", "secretary", "professor", "coach", "manager", "player", "pitcher", "editor", "reporter", "official", "officer", "correspondent", "engineer", "treasurer", "lawyer", "attorney", "agent", "vice", "executive", "aide", "adviser", "advisor", "teacher", "student", "representative", "senator", "ambassador"])
RELATION_TYPES = tuple(sorted({f.relation for frames in VERB_FRAMES.values() for f in frames}
                              | {"leader of", "works for", "affiliated with", "from", "located in"}))

_LIST_WORDS = frozenset({"and", "or", "&", "nor"})
_COPULAS = frozenset({"be", "become", "remain"})
_RELATIVE = frozenset({"who", "which", "that", "whom"})


@dataclass(frozen=True)
class Token:
    """One parsed token: its lowercased text and lemma, part of speech, dependency label and its head's index
    (the root's head is itself)."""
    lower: str
    lemma: str
    pos: str
    dep: str
    head: int


def from_doc(doc) -> list[Token]:
    """``Token`` rows of a spaCy ``Doc`` parsed with the lemmatizer on."""
    return [Token(t.lower_, t.lemma_.lower(), t.pos_, t.dep_, t.head.i) for t in doc]


def _children(tokens: Sequence[Token]) -> list[list[int]]:
    kids: list[list[int]] = [[] for _ in tokens]
    for i, t in enumerate(tokens):
        if t.head != i:
            kids[t.head].append(i)
    return kids


def _subject(v: int, tokens: Sequence[Token], kids: list[list[int]], passive: bool) -> int | None:
    """The token that is ``v``'s subject: its own (``nsubj``, or ``nsubjpass`` for a passive frame), its first
    conjunct's, or, for a relative clause or participle, the noun it modifies."""
    wanted = "nsubjpass" if passive else "nsubj"
    for c in kids[v]:
        if tokens[c].dep == wanted:
            if tokens[c].lower in _RELATIVE and tokens[v].dep == "relcl":
                return tokens[v].head
            return c
    t = tokens[v]
    if t.dep == "conj" and t.head != v and tokens[t.head].pos in ("VERB", "AUX"):
        return _subject(t.head, tokens, kids, passive)
    if t.dep == "acl" and (passive or t.lower.endswith("ing")):
        return t.head  # "Smith, born in Ohio" (passive participle); "Smith, living in Ohio"
    return None


def _objects(v: int, frame: Frame, tokens: Sequence[Token], kids: list[list[int]]) -> list[int]:
    if frame.preposition is None:
        return [c for c in kids[v] if tokens[c].dep in ("dobj", "obj")]
    return [o for c in kids[v] if tokens[c].dep in ("prep", "agent") and tokens[c].lower == frame.preposition
            for o in kids[c] if tokens[o].dep == "pobj"]


def _with_conjuncts(i: int, tokens: Sequence[Token], kids: list[list[int]]) -> list[int]:
    """``i`` and the nouns coordinated with it ("in Texas and Ohio")."""
    out = [i]
    for c in kids[i]:
        if tokens[c].dep == "conj":
            out += _with_conjuncts(c, tokens, kids)
    return out


def _pair_not_list(first: tuple[int, int, str], second: tuple[int, int, str], tokens: Sequence[Token],
                   entities: Sequence[tuple[int, int, str]]) -> bool:
    """True for "Dallas , Texas": one comma between the two entities, and neither is an item of a longer list
    ("Slovenia , Croatia , Bosnia": spaCy often reads list items as appositions)."""
    if second[0] != first[1] + 2 or tokens[first[1] + 1].lower != ",":
        return False
    ends, starts = {e for _, e, _ in entities}, {s for s, _, _ in entities}
    after, before = second[1] + 1, first[0] - 1
    if after < len(tokens) and (tokens[after].lower in _LIST_WORDS or (
            tokens[after].lower == "," and after + 1 in starts)):
        return False
    return not (before >= 0 and (tokens[before].lower in _LIST_WORDS or (
        tokens[before].lower == "," and before - 1 in ends)))


class _Found:
    """The triples found so far, between entities identified by their root token."""

    def __init__(self, tokens: Sequence[Token], entities: Sequence[tuple[int, int, str]]):
        self.root_of: dict[int, int] = {}
        for k, (start, end, _) in enumerate(entities):
            inside = range(start, end + 1)
            # the span's root: its token whose head lies outside it (the last such, for a flat span)
            roots = [i for i in inside if tokens[i].head not in inside or tokens[i].head == i]
            if roots:
                self.root_of.setdefault(roots[-1], k)
        self.kind = [label for *_, label in entities]
        self.triples: list[tuple[int, int, str]] = []

    def add(self, h: int | None, t: int | None, rel: str, heads: frozenset[str], tails: frozenset[str]) -> None:
        """The relation between the entities rooted at tokens ``h`` and ``t``, if their types fit."""
        if h is None or t is None:
            return
        eh, et = self.root_of.get(h), self.root_of.get(t)
        if eh is None or et is None or eh == et or self.kind[eh] not in heads or self.kind[et] not in tails:
            return
        if (eh, et, rel) not in self.triples:
            self.triples.append((eh, et, rel))


def relations(tokens: Sequence[Token], entities: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """``(head entity, tail entity, relation)`` for the entities (``(first token, last token, spaCy label)``,
    inclusive, indices into ``tokens``) that a frame links; each triple once, never an entity with itself."""
    kids = _children(tokens)
    found = _Found(tokens, entities)
    _verb_frames(tokens, kids, found)
    _people(tokens, kids, found)
    _places(tokens, kids, entities, found)
    return found.triples


def _verb_frames(tokens: Sequence[Token], kids, found: _Found) -> None:
    """Subject and object of a verb with a frame (``VERB_FRAMES``), conjuncts included."""
    for v, tok in enumerate(tokens):
        if tok.pos not in ("VERB", "AUX"):
            continue
        for frame in VERB_FRAMES.get(tok.lemma, ()):
            subject = _subject(v, tokens, kids, frame.passive)
            if subject is None:
                continue
            for obj in _objects(v, frame, tokens, kids):
                for s in _with_conjuncts(subject, tokens, kids):
                    for o in _with_conjuncts(obj, tokens, kids):
                        found.add(s, o, frame.relation, frame.subjects, frame.objects)


def _people(tokens: Sequence[Token], kids, found: _Found) -> None:
    """A person's title ("CEO of Acme", "Acme's president"), nationality, employer and origin."""
    for p, k in found.root_of.items():
        if found.kind[k] != "PERSON":
            continue
        titles = [c for c in kids[p] if tokens[c].dep in ("appos", "compound") and tokens[c].pos == "NOUN"]
        if tokens[p].dep == "appos" and tokens[tokens[p].head].pos == "NOUN":
            titles.append(tokens[p].head)
        if tokens[p].dep == "nsubj" and tokens[tokens[p].head].lemma in _COPULAS:  # "Smith is president of Acme"
            titles += [c for c in kids[tokens[p].head] if tokens[c].dep == "attr" and tokens[c].pos == "NOUN"]
        for t in titles:
            _title(p, t, tokens, kids, found)
        for c in kids[p]:
            if tokens[c].dep in ("amod", "compound"):
                found.add(p, c, "affiliated with", PEOPLE, frozenset({"NORP"}))
            if tokens[c].dep == "poss":  # "Dynegy's Watson"
                found.add(p, c, "works for", PEOPLE, ORGS)
            if tokens[c].dep == "prep" and tokens[c].lower in ("of", "from"):  # "Smith of Acme", "Jones of Ohio"
                for o in kids[c]:
                    if tokens[o].dep == "pobj":
                        found.add(p, o, "works for", PEOPLE, ORGS)
                        found.add(p, o, "from", PEOPLE, PLACES)


def _title(p: int, t: int, tokens: Sequence[Token], kids, found: _Found) -> None:
    """Person ``p`` with title noun ``t``: leader of / works for what the title names, affiliation by modifier."""
    lemma = tokens[t].lemma
    rel = "leader of" if lemma in LEADER_TITLES else "works for" if lemma in STAFF_TITLES else None
    for c in kids[t]:
        if rel and tokens[c].dep in ("compound", "poss"):
            found.add(p, c, rel, PEOPLE, ORGS | PLACES if rel == "leader of" else ORGS)
        if rel and tokens[c].dep == "prep" and tokens[c].lower in ("of", "at", "for"):
            for o in kids[c]:
                if tokens[o].dep == "pobj":
                    found.add(p, o, rel, PEOPLE, ORGS | PLACES if rel == "leader of" else ORGS)
        if tokens[c].dep in ("amod", "compound"):
            found.add(p, c, "affiliated with", PEOPLE, frozenset({"NORP"}))


def _places(tokens: Sequence[Token], kids, entities, found: _Found) -> None:
    """Sites and organisations "in" a place; a place in apposition to another ("Paris, France")."""
    for x, k in found.root_of.items():
        if found.kind[k] not in SITES | ORGS:
            continue
        for c in kids[x]:
            if tokens[c].dep == "prep" and tokens[c].lower == "in":
                for o in kids[c]:
                    if tokens[o].dep == "pobj":
                        found.add(x, o, "located in", SITES | ORGS, PLACES)
            if tokens[c].dep in ("appos", "npadvmod") and found.kind[k] == "GPE" and c in found.root_of and \
                    _pair_not_list(entities[k], entities[found.root_of[c]], tokens, entities):
                found.add(x, c, "located in", frozenset({"GPE"}), frozenset({"GPE"}))


def merge(existing: Iterable[Sequence], extra: Iterable[Sequence]) -> list[list]:
    """``existing`` relations then ``extra`` ones, each ``[head, tail, type]`` once, in order."""
    out: list[list] = []
    for rel in list(existing) + list(extra):
        if list(rel) not in out:
            out.append(list(rel))
    return out
