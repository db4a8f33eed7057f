"""Misspelt and run-together words the manager-request grammar depends on ("huamn", "talkto").

People type requests for a person in a hurry. The grammar names each word once, so a slip of one
letter in "human" or "speak", or a missing space in "talk to", hides a request. Only the few
dozen words the grammar needs are mended, and only into forms that are not words themselves.
"""

from __future__ import annotations

import functools
import string


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words of the grammar worth mending: who is asked for and how one reaches them.
KEY_WORDS = _word_set(
    """human humans person persons people someone somebody anyone anybody agent agents manager
    managers supervisor supervisors representative representatives operator operators employee
    staff speak talk contact connect transfer chat available
    please could would should want need help"""
)
# Short words a missing space glues to a key word ("toan person", "issomeone", "howdo").
_GLUE = _word_set(
    """to too is how do i can a an the with me my you speak talk contact need want some any one
    there"""
)
# Real words one slip away from a key word; they stay as they are.
_REAL_WORDS = _word_set(
    """manage manger managed manages gent agenda urgent aged ages hunan humane humor
    parson prison poison reason season lesson speck spear spent steak sneak spell spend
    peak weak beak leak tall walk tale tail talc chalk stall staff stuff stiff still
    stuff contract contacts connects transfers reaches reached preach breach teach
    available please pleased pleases lease cold could would should shoulder world wound
    want wants wanted went wand ant need needs needed nerd feed heed seed weed kneed needy
    help helps helm held hell yelp whelp chat chap chant cheat what that hat chart chats
    someones anyones operate operated operation persona personal personas prison
    represent humanity staffs start stars stare theme dome mean tome couldn shouldn wouldn somehow isis employer employers gents"""
)
_LETTERS = string.ascii_lowercase


def _slips(word: str) -> set[str]:
    """Every form one dropped, added, swapped or doubled letter away from `word`."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    dropped = {left + right[1:] for left, right in splits if right}
    swapped = {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    # A wrong letter in a short word too often makes another word ("reach" → "react").
    replaced = (
        {left + c + right[1:] for left, right in splits if right for c in _LETTERS}
        if len(word) >= 6
        else set()
    )
    added = {left + c + right for left, right in splits for c in _LETTERS}
    return dropped | swapped | replaced | added


@functools.cache
def _mended() -> dict[str, str]:
    """Misspelling → key word, for key words of five letters or more (shorter ones collide)."""
    found: dict[str, str] = {}
    clashes: set[str] = set()
    for word in sorted(KEY_WORDS):
        if len(word) < 5:
            continue
        for slip in _slips(word):
            if slip in KEY_WORDS or slip in _REAL_WORDS or len(slip) < 4:
                continue
            if slip in found and found[slip] != word:
                clashes.add(slip)
            found[slip] = word
    for slip in clashes:
        del found[slip]
    return found


@functools.cache
def _lexicon_words() -> frozenset[str]:
    """The words of VADER's lexicon: real words, never mended into others."""
    from escalon.triage.default import vader  # the detector's own analyzer, loaded once

    return frozenset(vader().lexicon)


def mend(word: str) -> str:
    """The key word(s) a misspelt or run-together lower-case word stands for, else the word."""
    if word in KEY_WORDS or word in _REAL_WORDS or not word.isalpha():
        return word
    if word in _lexicon_words():
        return word
    # A lost space first: "icould" is "i could", not a slip of "could".
    for cut in range(1, len(word)):
        left, right = word[:cut], word[cut:]
        if (left in _GLUE and right in KEY_WORDS) or (left in KEY_WORDS and right in _GLUE):
            return f"{left} {right}"
        if left in _GLUE and right in _GLUE and len(word) > 3:
            return f"{left} {right}"
    return _mended().get(word, word)
