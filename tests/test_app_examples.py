"""The app's example sentences give the right answers with their labels, through the app's own service.

Every example the app shows (``ui.EXAMPLES``, the compare tab's table and the default text) has its answer written
out here by hand; the showcase defaults (a span and a token model) must return exactly that at the app's default
threshold (0.5, flat): every entity found, with its label, and nothing else. Alternatives list the spans a reader
would accept ("Tuesday" or "Tuesday morning").
"""

from __future__ import annotations

import pytest

from gliner_bench.app import service
from gliner_bench.app.limits import LIMITS, parse_labels
from gliner_bench.app.models import ModelPool
from gliner_bench.app.ui import EXAMPLES

SHOWCASE = ("uni-span", "uni-token")  # the app's first two columns: the span and the token default

# text -> [(accepted surface forms, label)]
GOLD: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "Barack Obama flew from Washington to Paris on Monday.":
        [(("Barack Obama",), "person"), (("Washington",), "location"), (("Paris",), "location"),
         (("Monday",), "date")],
    "Pablo Picasso moved from Barcelona to Paris in 1904.":
        [(("Pablo Picasso",), "person"), (("Barcelona",), "city"), (("Paris",), "city"), (("1904",), "date")],
    "Nelson Mandela was released from prison in February 1990 and became president of South Africa.":
        [(("Nelson Mandela",), "person"), (("February 1990",), "date"), (("South Africa",), "country")],
    "Mozart was born in Salzburg in 1756 and died in Vienna in 1791.":
        [(("Mozart",), "person"), (("Salzburg",), "city"), (("1756",), "date"), (("Vienna",), "city"),
         (("1791",), "date")],
    "Elon Musk said Tesla will build a plant near Berlin.":  # a candidate uni-span gets wrong (see ui.EXAMPLES)
        [(("Elon Musk",), "person"), (("Tesla",), "company"), (("Berlin",), "location")],
}


def mismatches(entities: list[dict], gold: list[tuple[tuple[str, ...], str]]) -> list[str]:
    """What differs between a model's entities and the hand-written answer (empty: right)."""
    problems, left = [], list(gold)
    for e in entities:
        match = next((g for g in left if e["text"] in g[0] and e["label"] == g[1]), None)
        if match is None:
            problems.append(f"wrong: {e['text']!r} as {e['label']}")
        else:
            left.remove(match)
    problems += [f"missed: {forms[0]!r} as {label}" for forms, label in left]
    return problems


def test_every_example_shown_has_a_written_answer():
    assert [t for t, _ in EXAMPLES if t not in GOLD] == []


def test_the_checker_finds_wrong_and_missed_entities():
    gold = GOLD["Elon Musk said Tesla will build a plant near Berlin."]
    right = [{"text": "Elon Musk", "label": "person"}, {"text": "Tesla", "label": "company"},
             {"text": "Berlin", "label": "location"}]
    assert mismatches(right, gold) == []
    assert mismatches(right[:2] + [{"text": "Berlin", "label": "person"}], gold) == \
        ["wrong: 'Berlin' as person", "missed: 'Berlin' as location"]


@pytest.fixture(scope="module")
def pool():
    return ModelPool.from_config("")


@pytest.mark.parametrize("text,labels", EXAMPLES)
def test_the_showcase_defaults_answer_each_example_right(pool, text, labels):
    names = [n for n in SHOWCASE if n in pool.entries]
    assert names, "no showcase default is bundled"
    outputs = service.compare(pool, names, text, parse_labels(labels, LIMITS.max_labels)[0], 0.5)  # as the app parses it
    problems = {o.model: mismatches(o.entities, GOLD[text]) for o in outputs}
    assert all(o.error is None for o in outputs)
    assert problems == {n: [] for n in names}
