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


# Function words of English that are not words of the other languages, and the other way round
# (for German, French and Spanish, and the commonest of Italian, Portuguese and Dutch).
_ENGLISH_MARKERS = _word_set(
    """the and you your my is it to of for this that with have has are be i was not can do
    what why how just get been will would from they we our at there their please thanks thank
    help about some any got i've i'm it's that's tell now too up down new good great love like
    right could call again another never time by when really hours hour minutes customer service
    account flight order today yes done"""
)
_FOREIGN_MARKERS = _word_set(
    """der das und ich nicht ist ein eine einen einem mit sie wir mein meine bitte auch noch
    mich mir ihr ihren ihrem ihre kein keine warum wie sehr danke hallo wurde alles vielen dank
    sind auf bei wann wo heute morgen schon aber oder nur kann gerne guten sehr zu den dem
    le les et je est pas une des du au aux avec pour vous nous mon ma mes ne qui votre moi
    ce cette dans sur tu bonjour merci toujours quels quel quelle sont vos nos mais ou avez
    avons suis cela tres bien
    el los las es una por para con mi mis usted muy pero del al yo que su hola gracias
    quiero esta todavia muchas hay estoy tengo cuando donde hora buenos dias
    che sono grazie voglio vorrei questo della
    nao obrigado obrigada voce uma meu minha quero estou
    ik het een niet wil mijn graag bedankt jullie zijn"""
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


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the text's language, or None when it cannot be told."""
    if _LETTER.search(text) is None:
        return None
    words = _WORDS.findall(text.lower())
    english = not _ENGLISH_MARKERS.isdisjoint(words)
    # Lingua's foreign answer stands only with a foreign word or letter to back it (it reads a
    # few short English lines as Dutch or German: "That's classy."), so without one it need not
    # be asked at all: most messages are English, and this test costs a tenth of Lingua's.
    if _ACCENTED.search(text) is None and _FOREIGN_MARKERS.isdisjoint(words):
        return "en" if english else None
    confidences = _lingua().compute_language_confidence_values(text)
    if confidences and confidences[0].value >= MIN_CONFIDENCE:
        return str(confidences[0].language.iso_code_639_1.name).lower()
    return "en" if english else None


def strip_accents(text: str) -> str:
    """The text without diacritics (`möchte` → `mochte`, `ß` → `ss`), as the grammars spell."""
    if _NON_ASCII.search(text) is None:
        return text
    decomposed = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))
