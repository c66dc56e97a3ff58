"""Word splitters: text -> word spans (char offsets into the original text, end exclusive).

Two splitters, chosen by name from ``SPLITTERS``:

* ``"whitespace"`` -- the reference's (gliner 0.2.29 ``WhitespaceTokenSplitter``): the regex
  ``\\w+(?:[-_]\\w+)*|\\S``. Kept byte for byte so reference checkpoints split exactly as they were trained.
* ``"unicode"`` -- ours, for the text users paste (tweets, chat, web pages, CJK). Rules, first match wins:

  1. URLs (``http(s)://...``, ``www....``, bare ``name.com/path`` for common top-level domains); trailing
     ``.,!?;:'"`` stay outside, and ``)`` unless it closes a ``(`` of the URL (``.../Foo_(bar)``).
  2. e-mail addresses; ``@handles`` (also ``@user@host.social``); ``#hashtags``.
  3. emoji: one grapheme cluster starting with an Extended_Pictographic character or a flag (a pair of
     regional indicators), ZWJ sequences and skin tones included; keycaps (``1️⃣``).
  4. each Han / Hiragana / Katakana character is a word (the multilingual GLiNER checkpoints' approach);
     Hangul words stay whole.
  5. the clitic ``'s`` / ``’s`` after a word is a word of its own (``Obama's`` -> ``Obama`` ``'s``), as
     WNUT-16 and the Penn Treebank split possessives. Other contractions (``don't``, ``I'm``, ``you're``)
     stay whole: WNUT-16 keeps them (161 ``...n't`` words whole against 28 split).
  6. words of letters / marks / digits, joined across ``-`` ``_`` ``&`` (``AT&T``), an apostrophe between
     letters (``O'Neil``), ``.`` ``,`` ``:`` ``/`` between digits (``1,000.50``, ``12:30``, ``9/11``), with
     a leading currency sign and a trailing ``%`` on numbers (``$5``, ``100%``); abbreviations of single
     letters and dots (``U.K.``, ``p.m.``); HTML entities (``&amp;``), as tweets carry them.
  7. emoticons (``:)``, ``;-)``, ``:D``, ``-_-``, ``^^``).
  8. punctuation: a run of sentence punctuation and quotes (``...``, ``!!!``, ``?!``, ``."``) is one word;
     any other symbol is a word, a run of the same symbol one word (``--``, ``))``).

  Whitespace, control and format characters (Cc, Cf: NUL, BOM, zero-width space, bidi marks) and lone
  surrogates separate words and are never part of one -- except a soft hyphen, ZWNJ or ZWJ between letters
  (Persian, Indic scripts) and the ZWJ and tag characters inside an emoji sequence; so every word encodes
  to UTF-8. Every rule runs in time linear in the text (possessive quantifiers, starts tried once per run,
  flags paired by hand): 100,000 characters of any kind split in well under a second.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import regex

Spans = list[tuple[int, int]]

# The reference's "whitespace" splitter (data_processing/tokenizer.py:49).
WHITESPACE_PATTERN = re.compile(r"\w+(?:[-_]\w+)*|\S")


def split_whitespace(text: str) -> Spans:
    return [m.span() for m in WHITESPACE_PATTERN.finditer(text)]


# ---------------------------------------------------------------------------------------------- unicode
# Character classes (regex V1 syntax: ``--`` is set difference).
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\u30fc\uff70"  # + the prolonged sound marks (script Common)
_W = rf"[\p{{L}}\p{{M}}\p{{N}}\p{{Pc}}--[{_CJK}]]"  # a word character that is not a CJK character
_NOT_W = rf"(?!{_W})"
_LETTER = rf"[\p{{L}}--[{_CJK}]]"
_LETTER_OR_MARK = rf"[\p{{L}}\p{{M}}--[{_CJK}]]"
_APOS = "['\u2019]"
_SEPARATOR = r"[\s\p{Cc}\p{Cf}\p{Cs}]"  # never inside a word (but see _INNER_JOIN and emoji clusters)
_INNER_JOIN = "[\u00ad\u200c\u200d]"  # soft hyphen, ZWNJ, ZWJ: inside words of Persian, Indic scripts

# URLs: ASCII-ish characters and balanced (...) groups; they stop at CJK text and full-width punctuation
# and do not end in sentence punctuation or a quote.
_URL_CHAR = rf"[^\s\p{{Cc}}\p{{Cf}}\p{{Cs}}<>\"(){_CJK}\u3000-\u303f\uff00-\uffef]"
_URL_PATH = rf"(?:(?:{_URL_CHAR}|\({_URL_CHAR}*+\))*(?<![.,!?;:'\u2019\u201d\]}}]))"
# bare host names ("example.com/path"): these top-level domains only, lower case -- "home.In the" is no URL
_TLD = r"(?:com|org|net|edu|gov|mil|io|co|uk|ly|tv|fm|info|biz|eu|ai|app|dev|ru|jp|cn|fr|nl|ca|au|ch)"
_LABEL = r"[\p{L}\p{N}]++(?:-++[\p{L}\p{N}]++)*+"  # a host name label: letters, digits, inner hyphens
# a host name (two labels or more), matched possessively -- one linear scan -- and checked from its end
_HOST = rf"{_LABEL}(?:\.{_LABEL})++"
_MAIL_HOST = rf"{_HOST}(?<=\.\p{{L}}{{2,63}})(?![\p{{L}}\p{{M}}\p{{N}}\p{{Pc}}-])"
_HOST_START = r"(?<![\p{L}\p{M}\p{N}\p{Pc}.@-])"  # a host (or e-mail) is tried once per run, not per char

_EMOTICON = rf"(?:[:;]|(?<![\p{{L}}\p{{N}}=])=)[-^]?(?:[()\]/\\|*]|[DPpOo3]{_NOT_W})"
# a word: segments of word characters (a currency sign may lead a number) joined by - _ & &amp; (AT&T),
# an apostrophe between letters (O'Neil, don't -- not the clitic 's), . , : / between digits (1,000.50)
_SEGMENT = rf"(?:\p{{Sc}}(?=\p{{N}}))?{_W}++"
_JOIN = (
    rf"(?:[-_]|&(?:amp;)?(?={_W})|{_INNER_JOIN}++"
    rf"|(?<={_LETTER_OR_MARK}){_APOS}(?={_LETTER_OR_MARK})(?!(?i:s){_NOT_W})"
    rf"|(?<=\p{{N}})[.,:/](?=\p{{N}}))"
)

_UNICODE_RULES = [
    # 1. URLs
    rf"(?<!{_W})(?i:https?://|ftp://|www\.){_URL_PATH}",
    rf"{_HOST_START}{_HOST}(?<=\.{_TLD})(?![\p{{L}}\p{{M}}\p{{N}}\p{{Pc}}-])(?:/{_URL_PATH})?",
    # 2. e-mail addresses, @handles (and @user@host.social), #hashtags
    rf"{_HOST_START}[\p{{L}}\p{{N}}_%+-](?:[\p{{L}}\p{{N}}._%+-]*+(?<=[\p{{L}}\p{{N}}_%+-]))?@{_MAIL_HOST}",
    rf"[@\uff20][\p{{L}}\p{{M}}\p{{N}}_]++(?:@{_MAIL_HOST})?",
    r"[#\uff03][\p{L}\p{M}\p{N}_]++",
    # 3. emoji: keycaps, flags (by hand: \X looks back over a run of regional indicators, quadratic),
    #    one grapheme cluster from an Extended_Pictographic character (ZWJ sequences, skin tones)
    r"[0-9#*]\ufe0f?\u20e3|\p{Regional_Indicator}{1,2}|(?=\p{Extended_Pictographic})\X",
    # 4. CJK characters one by one (each with its combining marks / variation selectors)
    rf"(?=[{_CJK}])\X",
    # 5. the clitic 's after a word; a clitic already split off ("It 's", "I 'm", "do n't")
    rf"(?<={_W}){_APOS}(?i:s){_NOT_W}",
    rf"(?<!{_W}){_APOS}(?i:s|m|d|ll|re|ve){_NOT_W}|(?<!{_W})(?i:n{_APOS}t){_NOT_W}",
    # 6. abbreviations (U.K., p.m., w/), HTML entities, words and numbers
    rf"(?<!{_W})(?:{_LETTER}\.){{2,}}+{_NOT_W}|(?<!{_W}){_LETTER}(?:\.{_LETTER}{_NOT_W})++",
    rf"(?<!{_W})(?i:w/o|w/|b/c){_NOT_W}",
    r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});",
    rf"{_SEGMENT}(?:{_JOIN}{_SEGMENT})*+(?:(?<=\p{{N}})%)?",
    # 7. emoticons
    rf"{_EMOTICON}|-_+-|\^_*\^|(?<!{_W})<3(?!\p{{N}})",
    # 8. punctuation: a run of sentence punctuation and quotes; a run of one other symbol
    rf"(?:(?!{_EMOTICON})[.!?,:;\"'\u2026\u201c\u201d\u2018\u2019\u00ab\u00bb])++",
    rf"((?!{_SEPARATOR}).)\1*+",
]
# the leading lookahead skips a separator with one test instead of one per rule
UNICODE_PATTERN = regex.compile(
    rf"(?!{_SEPARATOR})(?:" + "|".join(f"(?:{r})" for r in _UNICODE_RULES) + ")", regex.V1 | regex.DOTALL
)


def split_unicode(text: str) -> Spans:
    return [m.span() for m in UNICODE_PATTERN.finditer(text)]


# ---------------------------------------------------------------------------------------------- registry
SPLITTERS: dict[str, Callable[[str], Spans]] = {
    "whitespace": split_whitespace,
    "unicode": split_unicode,
}


def get_splitter(name: str) -> Callable[[str], Spans]:
    """The splitter called ``name``; ``ValueError`` naming the known ones otherwise."""
    try:
        return SPLITTERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Word splitter {name!r} is not supported (fields words_splitter_type / word_splitter); "
            f"pass one of: {', '.join(map(repr, SPLITTERS))} -- 'whitespace' is the reference's default regex "
            "\\w+(?:[-_]\\w+)*|\\S, 'unicode' keeps URLs, e-mails, @handles, #hashtags, numbers and emoji "
            "whole and splits Chinese and Japanese into characters."
        ) from None
