"""The app's examples (``app/examples.py``): their written answers, the check that says what a model got wrong,
and what today's defaults make of them through the app's own service.

An example stays in the app whatever the defaults make of it; the panel then says what its model missed or added.
What must hold: every Compare example is read right by at least one bundled default (an example nobody gets right
shows nothing off), and the verdict a panel shows is exactly what the checker finds.
"""

from __future__ import annotations

import pytest

from gliner_bench.app import examples, service
from gliner_bench.app.limits import LIMITS, parse_labels
from gliner_bench.app.models import ModelPool

ALL = examples.COMPARE + examples.RELATIONS + examples.DISCOVERY + examples.MANY


def test_every_example_has_a_written_answer_and_distinct_text():
    assert all(ex.entities for ex in ALL)
    assert len({ex.text for ex in ALL}) == len(ALL)
    assert all(ex.relations and ex.relation_labels for ex in examples.RELATIONS)


def test_the_checker_finds_wrong_and_missed_entities():
    gold = examples.COMPARE[3].entities  # Elon Musk, Tesla, Berlin
    right = [{"text": "Elon Musk", "label": "person"}, {"text": "Tesla", "label": "company"},
             {"text": "Berlin", "label": "location"}]
    assert examples.mismatches(right, gold) == []
    assert examples.mismatches(right[:2] + [{"text": "Berlin", "label": "person"}], gold) == \
        ["wrong: 'Berlin' as person", "missed: 'Berlin' as location"]
    # an accepted alternative label or surface form counts as right
    assert examples.mismatches([{"text": "The Beatles", "label": "entity"}], examples.DISCOVERY[0].entities[:1]) == []


def test_the_checker_finds_wrong_and_missed_relations():
    gold = examples.RELATIONS[1].relations  # Marie Curie born in Warsaw; works for University of Paris
    said = [{"head": {"text": "Marie Curie"}, "relation": "born in", "tail": {"text": "Warsaw"}},
            {"head": {"text": "Warsaw"}, "relation": "born in", "tail": {"text": "Marie Curie"}}]
    assert examples.relation_mismatches(said, gold) == \
        ["wrong: 'Warsaw' born in 'Marie Curie'", "missed: 'Marie Curie' works for 'University of Paris'"]


def test_verdict_is_empty_for_a_visitors_own_text_and_names_the_problems_otherwise():
    ex = examples.COMPARE[0]
    assert examples.find(examples.COMPARE, "some other text") is None
    assert examples.verdict(None, []) == ""
    assert examples.find(examples.COMPARE, ex.text) is ex
    right = [{"text": forms[0], "label": labels[0]} for forms, labels in ex.entities]
    assert examples.verdict(ex, right).startswith("✓")
    wrong = examples.verdict(ex, right[1:] + [{"text": "Monday", "label": "person"}])
    assert wrong.startswith("✗") and "missed: 'Barack Obama' as person" in wrong and "'Monday' as person" in wrong
    many = [{"text": f"x{i}", "label": "person"} for i in range(9)]
    assert "and" in examples.verdict(ex, many) and examples.verdict(ex, many).count("wrong:") == 4


@pytest.fixture(scope="module")
def pool():
    return ModelPool.from_config("", serving="int8")  # as the app serves


@pytest.mark.parametrize("example", examples.COMPARE, ids=lambda ex: ex.text[:24])
def test_each_compare_example_is_read_right_by_some_default(pool, example):
    """Through the app's own path (its label parsing, its threshold), at least one default gets the example exactly
    right, unless the example carries a note saying what it shows the defaults failing at (it then stays, and the
    panels say what each model got wrong)."""
    labels = parse_labels(example.labels, LIMITS.max_labels)[0]
    outputs = service.compare(pool, list(pool.entries), example.text, labels, 0.5)
    assert all(o.error is None for o in outputs)
    verdicts = {o.model: examples.verdict(example, o.entities) for o in outputs}
    right = [m for m, v in verdicts.items() if v.startswith("✓")]
    if example.note:
        assert all(v for v in verdicts.values())
    else:
        assert right, verdicts
