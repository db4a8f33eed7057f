"""The default detector: a sentiment lexicon (VADER) read together with Escalon's phrase grammar."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from escalon.core.signals import COMPLAINT, MANAGER_REQUEST, TextSignals
from escalon.triage import foreign
from escalon.triage.grammar import ComplaintReading, complaint_cues, manager_rules
from escalon.triage.language import detect_language
from escalon.triage.text import clean, fold

# A text is a complaint when its cues weigh this much: any one full cue (charged twice, an error,
# a "why is..."), or two half ones ("I can't log in" and "please help").
COMPLAINT_THRESHOLD = 1.0
# How far each unit of service-failure weight pulls the lexicon score down: "still waiting" has
# no negative word in it, yet no customer writes it happily.
FAILURE_PULL = 0.15
# A complaint is never read as pleased, whatever polite words it uses.
COMPLAINT_CEILING = -0.1
# A text with some trouble in it but short of a complaint reads negative below this warmth.
TROUBLE_WARMTH = 0.6


@functools.cache
def vader() -> SentimentIntensityAnalyzer:
    """The shared VADER analyzer: loading its lexicon takes tens of milliseconds, so only once."""
    return SentimentIntensityAnalyzer()


@dataclass(frozen=True, slots=True)
class Reading:
    """Everything the default detector read in one text, for explanations and model features."""

    manager_rules: tuple[str, ...]
    complaint: ComplaintReading
    complaint_score: float
    vader_neg: float
    vader_neu: float
    vader_pos: float
    vader_compound: float
    sentiment: float
    signals: TextSignals
    language: str | None = None

    @property
    def is_manager_request(self) -> bool:
        """Whether any manager-request rule held."""
        return bool(self.manager_rules)

    @property
    def is_complaint(self) -> bool:
        """Whether the complaint cues outweigh the threshold."""
        return self.complaint_score >= COMPLAINT_THRESHOLD


def _complaint_score(found: ComplaintReading, compound: float) -> float:
    score = found.weight
    # The lexicon backs the grammar up: strongly negative wording is a complaint by itself, mildly
    # negative wording half of one, and warm wording weighs against.
    if compound <= -0.5:
        score += 1.0
    elif compound <= -0.2:
        score += 0.5
    elif compound >= 0.5 and not found.sarcasm:
        score -= 0.5
    if found.sarcasm:
        score += 1.0
    if found.reassured:
        score -= 1.5
    if found.thanks and found.failure == 0 and not found.sarcasm:
        score -= 0.5
    return score


def _sentiment(found: ComplaintReading, compound: float, complaint_score: float) -> float:
    score = compound
    if found.sarcasm and score > 0:
        score = -0.5 * score
    score -= FAILURE_PULL * min(found.failure, 4.0)
    if complaint_score >= COMPLAINT_THRESHOLD:
        score = min(score, COMPLAINT_CEILING)
    elif complaint_score > 0 and compound < TROUBLE_WARMTH:
        # Half a complaint ("I can't log in", "please help") is someone in trouble: not pleased
        # unless the wording is plainly warm.
        score = min(score, COMPLAINT_CEILING)
    return max(-1.0, min(1.0, score))


def read(text: str) -> Reading:
    """Read one text without caching (use `DefaultDetector` for the cached form)."""
    cleaned = clean(text)
    language = detect_language(cleaned)
    grammar = foreign.GRAMMARS.get(language or "")
    if grammar is not None:
        folded = foreign.fold(cleaned)
        found = foreign.complaint_cues(grammar, folded)
        rules = tuple(f"{language}:{name}" for name in foreign.manager_rules(grammar, folded))
        # VADER knows English words only: the language's own short lexicon stands in for it.
        words = foreign.polarity(grammar, folded)
        total = max(words.positive + words.negative, 1.0)
        polarity = {
            "neg": words.negative / total / 2,
            "neu": 1.0 - (words.positive + words.negative) / total / 2,
            "pos": words.positive / total / 2,
            "compound": words.compound,
        }
    else:
        folded = fold(cleaned)
        found = complaint_cues(folded)
        rules = manager_rules(folded)
        polarity = vader().polarity_scores(cleaned)
        if language is None:
            # Too short to tell ("Agent!", "Chef bitte"): every grammar gets a look.
            rules += _foreign_manager_rules(cleaned)
    compound = float(polarity["compound"])
    score = _complaint_score(found, compound)
    complaint = score >= COMPLAINT_THRESHOLD
    sentiment = _sentiment(found, compound, score)
    intents = frozenset(
        name for name, holds in ((MANAGER_REQUEST, bool(rules)), (COMPLAINT, complaint)) if holds
    )
    return Reading(
        manager_rules=rules,
        complaint=found,
        complaint_score=score,
        vader_neg=float(polarity["neg"]),
        vader_neu=float(polarity["neu"]),
        vader_pos=float(polarity["pos"]),
        vader_compound=compound,
        sentiment=sentiment,
        signals=TextSignals(intents=intents, sentiment=sentiment, language=language),
        language=language,
    )


def _foreign_manager_rules(cleaned: str) -> tuple[str, ...]:
    folded = foreign.fold(cleaned)
    return tuple(
        f"{code}:{name}"
        for code, grammar in foreign.GRAMMARS.items()
        for name in foreign.manager_rules(grammar, folded)
    )


class DefaultDetector:
    """Offline detector needing no training data: lexicon sentiment plus the phrase grammar."""

    def __init__(self, cache_size: int = 4096) -> None:
        self._read = functools.lru_cache(maxsize=cache_size)(read)

    def read(self, text: str) -> Reading:
        """The full reading of a text (cached)."""
        return self._read(text)

    def analyze(self, text: str) -> TextSignals:
        """Intents and sentiment of a text."""
        return self._read(text).signals
