"""Parity with the reference on decoder checkpoints (built by scripts/parity/build_decoder_fixtures.py).

Entity spans, labels and scores must equal the reference's. Generated labels are compared with the
fixture's *oracle*: what the reference's own prefix construction and ``generate`` give each span alone
(``do_sample=False``). The reference's batched output itself is not batch-invariant: it zero-pads every
prefix to the longest selected span and attends to the padding, so its labels for a padded prefix depend on
the other spans; where a prefix was not padded (``prefix_padded`` false) ours must equal its output too.
The token decoder's oracle corrects the reference's off-by-one (it reads the words one to the left of the
span), so on those cases ours must differ from the reference's raw output somewhere: that is tested too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from parity_helpers import assert_same_entities

from gliner_bench import GLiNER

FIXTURES = Path(__file__).parent / "fixtures" / "parity"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.name.startswith("decoder_"))


def load(case):
    expected = json.loads((FIXTURES / case / "expected.json").read_text(encoding="utf-8"))
    return GLiNER.from_pretrained(FIXTURES / case), expected


def as_ours(labels, constraints):
    """The reference's generated strings as we return them: stripped, in order, once, among the constraints."""
    out = [x.strip() for x in labels]
    return [x for x in dict.fromkeys(out) if x and (constraints is None or x in constraints)]


def ours_for(model, expected, texts, run, batch_size=8):
    return model.inference(texts, expected["labels"], threshold=expected["threshold"], batch_size=batch_size,
                           gen_constraints=run["gen_constraints"], num_gen_sequences=run["num_gen_sequences"],
                           **expected["generation"])


def test_cases_exist():
    assert {"decoder_span_gpt2", "decoder_span_llama", "decoder_token_gpt2", "decoder_token_llama"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_entities_and_generated_labels_match_the_reference(case):
    model, expected = load(case)
    compared = unpadded = 0
    for run in expected["runs"]:
        for text, want, oracle in zip(expected["texts"], run["entities"], run["oracle"]):
            got = ours_for(model, expected, [text], run)[0]
            if want is None:  # the reference crashed: no span passed the threshold for generation
                assert all("generated_labels" in e for e in got)
                continue
            assert_same_entities([got], [want])
            assert len(oracle) == len(want)
            for entity, ref, spec in zip(got, want, oracle):
                assert (spec["start"], spec["end"]) == (entity["start"], entity["end"])
                assert spec["labels"] is not None, "every decoded entity had a span selected for generation"
                assert entity["generated_labels"] == as_ours(spec["labels"], run["gen_constraints"]), entity
                compared += 1
                if not spec["prefix_padded"]:
                    assert entity["generated_labels"] == as_ours(ref["generated_labels"], run["gen_constraints"])
                    unpadded += 1
    assert compared > 0
    if case.endswith("nocontext"):  # every prefix is one vector long: nothing is padded, so raw outputs match
        assert unpadded == compared


@pytest.mark.parametrize("case", [c for c in CASES if c.startswith("decoder_token")])
def test_token_decoder_reads_the_span_words_not_the_ones_left_of_them(case):
    """Upstream's token decoder compares 0-based span bounds with the 1-based decoder words mask, so its prefix
    holds the words one position to the left. Ours reads the span's own words: some labels must differ."""
    model, expected = load(case)
    run = expected["runs"][0]
    differs = 0
    for text, want in zip(expected["texts"], run["entities"]):
        if not want:
            continue
        got = ours_for(model, expected, [text], run)[0]
        differs += sum(a["generated_labels"] != as_ours(b["generated_labels"], None) for a, b in zip(got, want))
    assert differs > 0


@pytest.mark.parametrize("case", CASES)
def test_generated_labels_do_not_depend_on_the_batch(case):
    model, expected = load(case)
    for run in expected["runs"]:
        texts = expected["texts"]
        alone = [ours_for(model, expected, [t], run)[0] for t in texts]
        for batch_size in (2, 8):
            batched = ours_for(model, expected, texts, run, batch_size=batch_size)
            assert_same_entities(batched, alone)
            assert [[e["generated_labels"] for e in x] for x in batched] == \
                   [[e["generated_labels"] for e in x] for x in alone]
