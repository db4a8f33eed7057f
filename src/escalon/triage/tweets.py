"""How a trained model reads a message: normalised for n-grams, and a few surface measures.

The default detector's `clean` removes links and @handles and keeps only words, which suits its
grammar. A model learns from words *and* from what surrounds them: whom a message is addressed to
(`@AskSupport` reads differently from `@a_friend`), whether it carries a link or a picture, its
emoji and emoticons, shouting and repeated marks. `model_text` keeps these as tokens of their own,
then folds the text like the grammar does (`escalon.triage.text.fold`), so that contractions and
spellings are written one way. Nothing here changes the default detector.

Marker tokens start with `x` and are written as one word so that no ordinary word collides with
them: `xurl`, `xat<handle>`, `xtag<hashtag>`, `xsmile`, `xfrown`, `xheart`, `xemo<code point>`,
`xelong` (a letter repeated three times or more), `xcaps` (a word of three or more capitals),
`xexcl` (`!!`) and `xquest` (`??`, `?!`).
"""

from __future__ import annotations

import html
import math
import re

from escalon.triage.text import fold

_URL = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S*", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@(\w+)")
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"', "…": "..."})
# Western emoticons, both ways round: ":)", ":-D", "(:", ":(", ":/", "<3".
_EMOTICONS = (
    (re.compile(r"(?:[:;=8][\-o*']?[)\]dDpP3>}]|[(\[<{][\-o*']?[:;=8])(?!\w)"), " xsmile "),
    (re.compile(r"(?:[:;=8][\-o*']?[(\[/\\|@{]|[)\]/\\|][\-o*']?[:;=8])(?![\w/])"), " xfrown "),
    (re.compile(r"<3+"), " xheart "),
)
# Pictographs, symbols and dingbats: each one becomes a token named by its code point.
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff]")
_ELONGATED = re.compile(r"([A-Za-z])\1{2,}")
_SHOUTED = re.compile(r"\b[A-Z]{3,}\b")
_WORDS = re.compile(r"[A-Za-z']+")
_FIRST_PERSON = frozenset(["i", "i'm", "me", "my", "mine", "we", "our", "us"])
_SECOND_PERSON = frozenset(["you", "your", "you're", "yours", "u", "ur"])
SURFACE_COUNT = 10


def _hashtag(match: re.Match[str]) -> str:
    tag = match.group(1)
    return f" {_CAMEL.sub(' ', tag).replace('_', ' ')} xtag{tag.lower()} "


def model_text(text: str) -> str:
    """The text as a model's n-grams see it: marker tokens for handles, links, emoji..., folded."""
    if "&" in text:
        text = html.unescape(text)
    text = text.translate(_QUOTES)
    text = _URL.sub(" xurl ", text)
    text = _MENTION.sub(lambda m: f" xat{m.group(1).lower()} ", text)
    text = _HASHTAG.sub(_hashtag, text)
    marks = []
    if _ELONGATED.search(text):
        marks.append("xelong")
    if _SHOUTED.search(text):
        marks.append("xcaps")
    if "!!" in text:
        marks.append("xexcl")
    if "??" in text or "?!" in text or "!?" in text:
        marks.append("xquest")
    for pattern, token in _EMOTICONS:
        text = pattern.sub(token, text)
    text = _EMOJI.sub(lambda m: f" xemo{ord(m.group()):x} ", text)
    folded = fold(text)
    return f"{folded} {' '.join(marks)}" if marks else folded


def surface_vector(text: str) -> list[float]:
    """Measures of a message's form, each within [0, 1.5]: address, links, marks, length, persons."""
    words = _WORDS.findall(text)
    lowered = [word.lower() for word in words]
    count = max(len(words), 1)
    return [
        1.0 if text.lstrip().startswith("@") else 0.0,
        min(len(_MENTION.findall(text)), 3) / 3,
        1.0 if _URL.search(text) else 0.0,
        1.0 if "pic.twitter.com/" in text or "t.co/" in text else 0.0,
        min(math.log1p(len(words)) / 4, 1.5),
        min(text.count("?"), 3) / 3,
        min(text.count("!"), 3) / 3,
        sum(word.isupper() and len(word) > 2 for word in words) / count,
        sum(word in _FIRST_PERSON for word in lowered) / count,
        sum(word in _SECOND_PERSON for word in lowered) / count,
    ]
