"""Which language a customer writes in: Lingua's statistical detector behind a cheap English test."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING

from escalon.core.signals import DETECTED_LANGUAGES

if TYPE_CHECKING:
    from lingua import LanguageDetector

# Below this confidence Lingua's answer is a guess ("Agent!" reads 0.41 French), so the language
# stays unknown and every grammar gets a look.
MIN_CONFIDENCE = 0.5


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Function words of English that are not words of German, French or Spanish, and the other way
# round. Two English ones and no foreign one settle the question without asking Lingua: most
# messages are English, and this test costs a tenth of Lingua's (docs/triage.md, Languages).
_ENGLISH_MARKERS = _word_set(
    """the and you your my is it to of for this that with have has are be i was not can do
    what why how just get been will would from they we our at there their please thanks"""
)
_FOREIGN_MARKERS = _word_set(
    """der das und ich nicht ist ein eine einen einem mit sie wir mein meine bitte auch noch
    mich mir ihr ihren ihrem ihre kein keine warum wie sehr danke hallo wurde alles vielen dank
    sind auf bei wann wo heute morgen schon aber oder nur kann gerne guten sehr zu den dem
    le les et je est pas une des du au aux avec pour vous nous mon ma mes ne qui votre moi
    ce cette dans sur tu bonjour merci toujours quels quel quelle sont vos nos mais ou avez
    avons suis cela tres bien
    el los las es una por para con mi mis usted muy pero del al yo que su hola gracias
    quiero esta todavia muchas hay estoy tengo cuando donde hora buenos dias"""
)
_WORDS = re.compile(r"[a-z']+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# A letter outside ASCII (ä, é, ñ, ß); emoji and typographic quotes are not letters.
_ACCENTED = re.compile(r"[^\W\d_a-zA-Z]")
_LETTER = re.compile(r"[^\W\d_]")


@functools.cache
def _lingua() -> LanguageDetector:
    """Lingua's detector for the languages Escalon tells apart (built once; models load lazily)."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
        for code in DETECTED_LANGUAGES
    ]
    # Low-accuracy mode reads trigrams only: five times faster, and as good on sentences.
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def _english_at_a_glance(text: str) -> bool:
    """Whether a text is plainly English: only ASCII, English function words, no foreign ones."""
    if _ACCENTED.search(text) is not None:
        return False
    words = _WORDS.findall(text.lower())
    if not _FOREIGN_MARKERS.isdisjoint(words):
        return False
    return sum(word in _ENGLISH_MARKERS for word in words) >= 2


def _foreign_at_a_glance(text: str) -> bool:
    """Whether a text has a letter outside ASCII or a function word of German, French or Spanish."""
    if _ACCENTED.search(text) is not None:
        return True
    return not _FOREIGN_MARKERS.isdisjoint(_WORDS.findall(text.lower()))


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the text's language, or None when it cannot be told."""
    if _LETTER.search(text) is None:
        return None
    if _english_at_a_glance(text):
        return "en"
    confidences = _lingua().compute_language_confidence_values(text)
    if confidences and confidences[0].value >= MIN_CONFIDENCE:
        code = str(confidences[0].language.iso_code_639_1.name).lower()
        # Lingua reads a few short English lines as Dutch or German ("That's classy."): a
        # foreign answer stands only with a foreign word or letter to back it.
        if code == "en" or _foreign_at_a_glance(text):
            return code
    words = _WORDS.findall(text.lower())
    return "en" if not _ENGLISH_MARKERS.isdisjoint(words) else None


def strip_accents(text: str) -> str:
    """The text without diacritics (`möchte` → `mochte`, `ß` → `ss`), as the grammars spell."""
    if _NON_ASCII.search(text) is None:
        return text
    decomposed = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))
