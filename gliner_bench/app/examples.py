"""The app's examples, each with its answer written out by hand, and the check that says what a model got wrong.

An example is shown whatever the defaults make of it; when a visitor runs one (or types its exact text), every
panel says whether its model got it right and, if not, what it missed or added (``verdict``). Pure data and
functions: no gradio here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# (accepted surface forms, accepted labels): "Tuesday" or "Tuesday morning"; "city" or "location"
Gold = tuple[tuple[str, ...], tuple[str, ...]]
# (head surface forms, relation, tail surface forms)
GoldRelation = tuple[tuple[str, ...], str, tuple[str, ...]]


@dataclass(frozen=True)
class Example:
    text: str
    labels: str  # the label box as shown
    entities: tuple[Gold, ...]
    relation_labels: str = ""  # relations tab
    relations: tuple[GoldRelation, ...] = field(default=())
    note: str = ""  # what the example shows


def one(*forms: str) -> tuple[str, ...]:
    return forms


# The Compare tab: entity types of every kind, a sentence each architecture reads without a label prompt trick.
COMPARE = (
    Example("Barack Obama flew from Washington to Paris on Monday.", "person, location, date",
            ((one("Barack Obama"), one("person")), (one("Washington"), one("location")),
             (one("Paris"), one("location")), (one("Monday"), one("date")))),
    Example("Pablo Picasso moved from Barcelona to Paris in 1904.", "person, city, date",
            ((one("Pablo Picasso"), one("person")), (one("Barcelona"), one("city")), (one("Paris"), one("city")),
             (one("1904"), one("date")))),
    Example("Nelson Mandela was released from prison in February 1990 and became president of South Africa.",
            "person, country, date",
            ((one("Nelson Mandela"), one("person")), (one("February 1990"), one("date")),
             (one("South Africa"), one("country")))),
    Example("Elon Musk said Tesla will build a new factory near Berlin.", "person, company, location",
            ((one("Elon Musk"), one("person")), (one("Tesla"), one("company")), (one("Berlin"), one("location"))),
            note="companies are where the small defaults are weakest"),
)

# The Relations tab: the relex models' joint entities and relations.
RELATIONS = (
    Example("Satya Nadella is the chief executive of Microsoft, which is based in Redmond, Washington.",
            "person, organization, location",
            ((one("Satya Nadella"), one("person")), (one("Microsoft"), one("organization")),
             (one("Redmond"), one("location")), (one("Washington"), one("location"))),
            relation_labels="works for, leader of, located in",
            relations=((one("Satya Nadella"), "works for", one("Microsoft")),
                       (one("Satya Nadella"), "leader of", one("Microsoft")),
                       (one("Microsoft"), "located in", one("Redmond", "Redmond, Washington")))),
    Example("Marie Curie was born in Warsaw and worked at the University of Paris.", "person, city, organization",
            ((one("Marie Curie"), one("person")), (one("Warsaw"), one("city")),
             (one("University of Paris", "the University of Paris"), one("organization"))),
            relation_labels="born in, works for",
            relations=((one("Marie Curie"), "born in", one("Warsaw")),
                       (one("Marie Curie"), "works for", one("University of Paris", "the University of Paris")))),
)

# The Label discovery tab: spans found with generic labels, then named by the decoder's LM.
DISCOVERY = (
    Example("The Beatles recorded Abbey Road at EMI Studios in London in 1969.",
            "entity, person, organization, location, date, product, work of art",
            ((one("The Beatles", "Beatles"), one("organization", "person", "entity")),
             (one("Abbey Road"), one("work of art", "product", "entity")),
             (one("EMI Studios"), one("organization", "location", "entity")),
             (one("London"), one("location", "entity")), (one("1969"), one("date", "entity")))),
)

# The Many labels tab: one sentence against the packaged schema of several hundred types.
MANY = (
    Example("Lionel Messi scored twice as Inter Miami beat the New York Red Bulls at Red Bull Arena.", "",
            ((one("Lionel Messi"), one("person", "athlete", "football player", "celebrity")),
             (one("Inter Miami"), one("sports team", "organization")),
             (one("New York Red Bulls", "the New York Red Bulls"), one("sports team", "organization")),
             (one("Red Bull Arena"), one("stadium", "facility", "building", "location")))),
)


def mismatches(entities: Sequence[dict], gold: Sequence[Gold]) -> list[str]:
    """What differs between a model's entities (``text``, ``label``) and the written answer: ``wrong: 'X' as
    label`` for each entity the answer lacks, ``missed: 'X' as label`` for each answer no entity gave."""
    problems, left = [], list(gold)
    for e in entities:
        match = next((g for g in left if e["text"] in g[0] and e["label"] in g[1]), None)
        if match is None:
            problems.append(f"wrong: {e['text']!r} as {e['label']}")
        else:
            left.remove(match)
    problems += [f"missed: {forms[0]!r} as {labels[0]}" for forms, labels in left]
    return problems


def relation_mismatches(relations: Sequence[dict], gold: Sequence[GoldRelation]) -> list[str]:
    """As ``mismatches``, for relations (``head.text``, ``relation``, ``tail.text``)."""
    problems, left = [], list(gold)
    for r in relations:
        match = next((g for g in left if r["head"]["text"] in g[0] and r["relation"] == g[1]
                      and r["tail"]["text"] in g[2]), None)
        if match is None:
            problems.append(f"wrong: {r['head']['text']!r} {r['relation']} {r['tail']['text']!r}")
        else:
            left.remove(match)
    problems += [f"missed: {h[0]!r} {rel} {t[0]!r}" for h, rel, t in left]
    return problems


def find(examples: Sequence[Example], text: str) -> Example | None:
    """The example whose text this is (the visitor ran it, or typed it), else None."""
    return next((ex for ex in examples if ex.text == text), None)


def verdict(example: Example | None, entities: Sequence[dict], relations: Sequence[dict] | None = None) -> str:
    """One line for a panel: empty for a visitor's own text; else right, or what the model got wrong."""
    if example is None:
        return ""
    problems = mismatches(entities, example.entities)
    if relations is not None and example.relations:
        problems += relation_mismatches(relations, example.relations)
    if not problems:
        return "✓ matches the written answer"
    shown = "; ".join(problems[:4]) + (f"; and {len(problems) - 4} more" if len(problems) > 4 else "")
    return f"✗ differs from the written answer: {shown}"
