"""Text normalisation shared by the grammar, the lexicon scorer and the trained models."""

from __future__ import annotations

import functools
import html
import re

from escalon.triage.typos import mend

# Links, handles and markup carry no sentiment and confuse the phrase grammar, so they go first.
_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S*", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@\w+")
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"', "…": "..."})

# Spelling variants and contractions folded to one written form, so that each grammar rule needs
# to name only that form ("do not" rather than don't / dont / do n't).
_WORDS = {
    "cannot": "can not",
    "cant": "can not",
    "can't": "can not",
    "wont": "will not",
    "won't": "will not",
    "shan't": "shall not",
    "aint": "is not",
    "ain't": "is not",
    "im": "i am",
    "ive": "i have",
    "youre": "you are",
    "theyre": "they are",
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plez": "please",
    "pleas": "please",
    "wanna": "want to",
    "gotta": "got to",
    "gonna": "going to",
    "thx": "thanks",
    "thnx": "thanks",
    "thanx": "thanks",
    "ty": "thanks",
    "hr": "hours",
    "hrs": "hours",
    "min": "minutes",
    "mins": "minutes",
    "wk": "weeks",
    "wks": "weeks",
    "prob": "problem",
    "probs": "problem",
    "noone": "nobody",
    "somebody": "someone",
    "anybody": "anyone",
    "humanagent": "human agent",
    "humanagents": "human agents",
    "chatbot": "bot",
    "chatbots": "bot",
    "robot": "bot",
    "robots": "bot",
    "bots": "bot",
    "superviser": "supervisor",
    "supervisers": "supervisors",
    "lets": "let us",
    "let's": "let us",
    "its": "it is",
    "whats": "what is",
    "thats": "that is",
    "hows": "how is",
    "wheres": "where is",
    "theres": "there is",
    "heres": "here is",
}
# Auxiliaries whose "n't" (or a bare "nt", as people type it) is a separate "not".
_NOT_BASES = frozenset(
    [
        "do",
        "does",
        "did",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "could",
        "would",
        "should",
        "must",
        "need",
    ]
)
# Words whose "'s" is "is" rather than a possessive.
_IS_BASES = frozenset(["it", "that", "what", "where", "who", "there", "here", "how", "he", "she"])
_SUFFIXES = (("'re", " are"), ("'ve", " have"), ("'ll", " will"), ("'d", " would"), ("'m", " am"))
_TIMES = re.compile(r"^(\d+)x$")
# Phrases written as one or two words, or in several ways, that the grammar names one way.
_PHRASES = {
    "some one": "someone",
    "any one": "anyone",
    "no one": "nobody",
    "chat bot": "bot",
    "chat bots": "bot",
    "client service": "customer service",
    "client support": "customer service",
    "client care": "customer service",
    "customer support": "customer service",
    "customer care": "customer service",
    "customerservice": "customer service",
    "id like": "i would like",
    "id love": "i would love",
    "id prefer": "i would prefer",
    "id rather": "i would rather",
    "id appreciate": "i would appreciate",
}
_PHRASE = re.compile(r"\b(?:" + "|".join(sorted(_PHRASES, key=len, reverse=True)) + r")\b")

# The grammar sees words, digits, apostrophes and the marks that end a clause; the rest is space.
_NOT_GRAMMAR = re.compile(r"[^a-z0-9'$.!?,;:\n]+")
_IN_NUMBER = re.compile(r"(?<=\d)[.,:](?=\d)")
_MARKS = re.compile(r"([.!?,;:\n]+)")
_CLAUSE_MARKS = re.compile(r" ?(?:[.!?,;:\n]+ ?)+")
_REPEATED = re.compile(r"([a-z])\1{2,}")


@functools.lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    """The folded form of one lower-case token."""
    word = word.strip("'")
    found = _WORDS.get(word)
    if found is not None:
        return found
    if word.endswith("n't") and word[:-3] in _NOT_BASES:
        return word[:-3] + " not"
    if word.endswith("nt") and word[:-2] in _NOT_BASES:
        return word[:-2] + " not"
    if word.endswith("'s") and word[:-2] in _IS_BASES:
        return word[:-2] + " is"
    for suffix, expansion in _SUFFIXES:
        if word.endswith(suffix):
            return word[: -len(suffix)] + expansion
    times = _TIMES.match(word)
    if times is not None:
        return times.group(1) + " times"
    return mend(word)


# Words of blame that people run together in lower-case hashtags (#worstservice, #nothappy,
# #epicfail), as the grammar spells them.
_TAG_FRAGMENTS = {
    "worst": "worst",
    "fail": "fail",
    "nothappy": "not happy",
    "unhappy": "unhappy",
    "notcool": "not cool",
    "notimpressed": "not impressed",
    "sucks": "sucks",
    "terrible": "terrible",
    "horrible": "horrible",
    "awful": "awful",
    "disappoint": "disappointed",
    "frustrat": "frustrated",
    "angry": "angry",
    "annoyed": "annoyed",
    "useless": "useless",
    "rude": "rude",
    "neveragain": "never again",
    "ripoff": "rip off",
    "scam": "scammed",
    "badservice": "bad service",
    "poorservice": "poor service",
    "badcustomerservice": "bad customer service",
    "fml": "fml",
    "wtf": "wtf",
    "delayed": "delayed",
    "cancelled": "cancelled",
    "stranded": "stranded",
    "lostluggage": "lost luggage",
    "lostbag": "lost bag",
    "fedup": "fed up",
    "shameon": "shame on",
}
_TAG_FRAGMENT = re.compile("|".join(sorted(_TAG_FRAGMENTS, key=len, reverse=True)))


def _split_hashtag(match: re.Match[str]) -> str:
    """Turn `#WorstServiceEver` into `Worst Service Ever` so its words are read."""
    words = _CAMEL.sub(" ", match.group(1)).replace("_", " ")
    # A run-together lower-case tag keeps its words of blame: `#worstairline` → `worst`.
    found = [
        _TAG_FRAGMENTS[fragment.group()]
        for word in words.split()
        if len(word) > 6 and word.islower()
        for fragment in _TAG_FRAGMENT.finditer(word)
    ]
    return " ".join([words, *found]) if found else words


def clean(text: str) -> str:
    """Remove links, handles and entities, keeping case and punctuation for the lexicon scorer."""
    # Each step is skipped when its mark is absent: most messages have no link, handle or tag.
    if "&" in text:
        text = html.unescape(text)
    text = text.translate(_QUOTES)
    if "/" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    if "#" in text:
        text = _HASHTAG.sub(_split_hashtag, text)
    return _SPACES.sub(" ", text).strip()


def fold(cleaned: str) -> str:
    """Lower-case a cleaned text and fold spellings so the grammar sees one form of each phrase."""
    # The result is words separated by single spaces, with clause marks as words of their own.
    text = cleaned.lower()
    # "soooo" and "pleeease" are emphasis, not new words.
    text = _REPEATED.sub(r"\1\1", text)
    text = _NOT_GRAMMAR.sub(" ", text)
    text = _IN_NUMBER.sub("", text)
    text = _MARKS.sub(r" \1 ", text)
    text = " ".join([folded for word in text.split() if (folded := _fold_word(word))])
    return _PHRASE.sub(lambda match: _PHRASES[match.group()], text)


def clauses(folded: str) -> list[str]:
    """Split a folded text into clauses at sentence marks and commas."""
    return [part for part in _CLAUSE_MARKS.split(folded) if part]
