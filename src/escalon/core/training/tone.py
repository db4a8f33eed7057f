"""The tone of a trainee's reply: does it acknowledge the customer, blame, dismiss, say what next.

Four detectors read a reply with the phrase lists of `tone_lexicon` (English, German, French and
Spanish) and keep, for each phrase found, the sentence of the reply that shows it, so feedback
can quote the trainee's own words. Matching ignores case and accents and treats curly
apostrophes as straight ones; it never matches inside a word. Work is bounded whatever the
reply: the scan is linear, at most `MAX_EXAMPLES` findings are kept per detector and each
example is at most `MAX_EXAMPLE` characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from escalon.core.signals import TextAnalyzer
from escalon.core.training.tone_lexicon import (
    ACKNOWLEDGES,
    BLAMES,
    DETECTORS,
    DISMISSIVE,
    LEXICON,
    NEXT_STEP,
)

MAX_EXAMPLES = 3
MAX_EXAMPLE = 160
# The analyzer is built for short customer messages and slows down sharply on long texts, so it
# reads the opening of a reply only: a reply's tone is set in its first paragraphs anyway.
ANALYZED_CHARS = 2_000
# How far from a phrase the sentence around it is looked for, each way.
_SENTENCE_REACH = 300

_APOSTROPHES = "\u2019\u2018\u02bc\u00b4\u0060\u2032\uff07"
# Characters above this are left as they are rather than remembered, so that a hostile text of
# many rare characters cannot grow the folding table without bound.
_FOLD_CACHE_LIMIT = 0x3000


class _FoldTable(dict[int, int]):
    """`str.translate` table that strips accents one character for one (offsets stay valid)."""

    def __missing__(self, code: int) -> int:
        char = chr(code)
        folded = code
        if char in _APOSTROPHES:
            folded = ord("'")
        else:
            decomposed = unicodedata.normalize("NFD", char)
            if len(decomposed) > 1 and all(unicodedata.combining(mark) for mark in decomposed[1:]):
                folded = ord(decomposed[0])
        if code < _FOLD_CACHE_LIMIT:
            self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """The text without accents and with straight apostrophes, character for character."""
    return text.translate(_FOLD)


def _compile(entries: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    groups = []
    for language, phrases in entries.items():
        alternatives = "|".join(f"(?:{phrase})" for phrase in phrases)
        groups.append(f"(?P<{language}>{alternatives})")
    body = "|".join(groups).replace(" ", r"\s+")
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


_PATTERNS: dict[str, re.Pattern[str]] = {
    detector: _compile(LEXICON[detector]) for detector in DETECTORS
}
_SENTENCE_END = re.compile(r"[.!?\u2026]+(?=\s|$)|\n")


@dataclass(frozen=True, slots=True)
class Finding:
    """One phrase a detector found: the words themselves, the sentence around them, the language."""

    phrase: str
    example: str
    language: str


@dataclass(frozen=True, slots=True)
class Tone:
    """What the detectors found in one reply (an empty tuple: not found) and its sentiment."""

    acknowledges: tuple[Finding, ...] = ()
    blames: tuple[Finding, ...] = ()
    next_step: tuple[Finding, ...] = ()
    dismissive: tuple[Finding, ...] = ()
    # The analyzer's sentiment of the reply in [-1, 1]; None when no analyzer was given.
    sentiment: float | None = None

    def found(self, detector: str) -> tuple[Finding, ...]:
        """The findings of one detector by name (`acknowledges`, `blames`, ...)."""
        findings: tuple[Finding, ...] = getattr(self, detector)
        return findings


def read_tone(text: str, analyzer: TextAnalyzer | None = None) -> Tone:
    """The tone of one reply, with the sentences that show it."""
    folded = fold(text)
    found = {detector: _findings(text, folded, _PATTERNS[detector]) for detector in DETECTORS}
    sentiment = None
    if analyzer is not None:
        sentiment = analyzer.analyze(text[:ANALYZED_CHARS]).sentiment
    return Tone(
        acknowledges=found[ACKNOWLEDGES],
        blames=found[BLAMES],
        next_step=found[NEXT_STEP],
        dismissive=found[DISMISSIVE],
        sentiment=sentiment,
    )


def _findings(text: str, folded: str, pattern: re.Pattern[str]) -> tuple[Finding, ...]:
    findings: list[Finding] = []
    seen: set[str] = set()
    for match in pattern.finditer(folded):
        example = sentence_around(text, match.start(), match.end())
        # One sentence is one example, however many phrases it holds.
        if example in seen:
            continue
        seen.add(example)
        phrase = " ".join(text[match.start() : match.end()].split())
        findings.append(Finding(phrase, example, match.lastgroup or ""))
        if len(findings) == MAX_EXAMPLES:
            break
    return tuple(findings)


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end], shortened around those words when it is long."""
    before_from = max(0, start - _SENTENCE_REACH)
    left = before_from
    for mark in _SENTENCE_END.finditer(text, before_from, start):
        left = mark.end()
    after = _SENTENCE_END.search(text, end, min(len(text), end + _SENTENCE_REACH))
    right = after.end() if after is not None else min(len(text), end + _SENTENCE_REACH)
    if after is not None and after.group() == "\n":
        right = after.start()
    sentence = " ".join(text[left:right].split())
    if len(sentence) <= MAX_EXAMPLE:
        return sentence
    phrase = " ".join(text[start:end].split())
    if len(phrase) >= MAX_EXAMPLE - 2:
        return phrase[: MAX_EXAMPLE - 1] + "\u2026"
    at = sentence.find(phrase)
    room = MAX_EXAMPLE - len(phrase) - 2
    begin = max(0, at - room // 2)
    stop = min(len(sentence), begin + MAX_EXAMPLE - 2)
    begin = max(0, stop - (MAX_EXAMPLE - 2))
    shortened = sentence[begin:stop].strip()
    return ("\u2026" if begin > 0 else "") + shortened + ("\u2026" if stop < len(sentence) else "")
