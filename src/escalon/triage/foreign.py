"""German, French and Spanish: manager requests, complaint cues and a small sentiment lexicon.

Each language has the same parts as the English grammar, smaller: who may be asked for (targets
on the company's side, never the customer's own boss), the ways of asking, negation, complaint
cues with weights and words of praise and blame. Texts are folded first (`fold`): lower case,
no accents (`möchte` → `mochte`), elisions and hyphens as spaces (`passez-moi` → `passez moi`,
`l'agent` → `l agent`), so each rule names one spelling. Each language's words are data, in
`languages/<code>.yaml`; this module builds the same rules from each.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from escalon.triage.grammar import CUES, ComplaintReading, Cue, cue, weigh_cues
from escalon.triage.language import strip_accents
from escalon.triage.text import clauses

_NOT_GRAMMAR = re.compile(r"[^a-z0-9.!?,;:\n]+")
_MARKS = re.compile(r"([.!?,;:\n]+)")
_REPEATED = re.compile(r"([a-z])\1{2,}")
_W = r"[a-z0-9]+"
_SENTENCES = re.compile(r" ?(?:[.!?;:\n]+ ?)+")
# VADER's normalisation of a summed score into (-1, 1), so both lexicons speak the same scale.
_ALPHA = 15.0


def fold(cleaned: str) -> str:
    """Lower-case, strip accents, split elisions and hyphens; clause marks stay as words."""
    text = strip_accents(cleaned.lower())
    text = _REPEATED.sub(r"\1\1", text)
    text = _NOT_GRAMMAR.sub(" ", text)
    return " ".join(_MARKS.sub(r" \1 ", text).split())


@dataclass(frozen=True, slots=True)
class Words:
    """The word lists one language's manager-request rules are built from (regex alternatives)."""

    determiners: str
    own: str
    qualifiers: str
    strong: str
    weak: str
    wish: str
    give: str
    contact: str
    prepositions: str
    negators: str
    inability: str
    about: str
    escalate: str
    bot: str
    courtesy: str
    verb_last: bool = False


@dataclass(frozen=True, slots=True)
class Grammar:
    """One language's compiled rules, cues and sentiment words."""

    code: str
    rules: tuple[tuple[str, re.Pattern[str], bool], ...]
    negator: re.Pattern[str]
    inability: re.Pattern[str]
    about: re.Pattern[str]
    cues: tuple[Cue, ...]
    reassurance: re.Pattern[str]
    thanks: re.Pattern[str]
    positive: frozenset[str]
    negative: frozenset[str]
    negation_words: frozenset[str]
    # Whether a comma may sit inside a request (German: "Ich verlange, den Chef zu sprechen").
    commas_inside: bool


def _rules(w: Words) -> tuple[tuple[str, re.Pattern[str], bool], ...]:
    # A gap word is neither a negator nor the customer's own "my", so "quiero hablar con mi jefe"
    # never reaches "jefe" through it.
    gap = rf"(?:(?!(?:{w.negators}|{w.own})\b){_W} )"
    if w.verb_last:
        # German sets an infinitive off with a comma ("Ich verlange, den Chef zu sprechen").
        gap = rf"(?:(?!(?:{w.negators}|{w.own})\b)(?:{_W}|,) )"
    target = rf"(?:(?:{w.determiners}) )?(?:(?:{w.qualifiers}) ){{0,2}}"
    strong = rf"{target}(?:{w.strong})\b"
    anyone = rf"{target}(?:{w.strong}|{w.weak})\b"
    prep = rf"(?:(?:{w.prepositions}) )?"
    asked = rf"\b(?:{w.wish}) {gap}{{0,3}}(?:{w.contact}) {prep}{anyone}"
    unreachable = rf"\b(?:{w.inability}) {gap}{{0,2}}(?:{w.contact}) {prep}{anyone}"
    if w.verb_last:
        # German puts the verb last: "ich möchte mit einem Vorgesetzten sprechen".
        asked += rf"|\b(?:{w.wish}) {gap}{{0,3}}{prep}{anyone} {gap}{{0,2}}(?:{w.contact})\b"
        unreachable += (
            rf"|\b(?:{w.inability}) {gap}{{0,2}}{prep}{anyone} {gap}{{0,2}}(?:{w.contact})\b"
        )
    lead = rf"^(?:(?:{w.courtesy}) )*"
    return (
        ("asked", re.compile(asked), True),
        ("given", re.compile(rf"\b(?:{w.wish}) {gap}{{0,2}}{prep}{strong}"), True),
        ("imperative", re.compile(rf"(?:{lead}|\b)(?:{w.give}) {gap}{{0,2}}{prep}{anyone}"), True),
        ("unreachable", re.compile(unreachable), False),
        ("bare", re.compile(rf"{lead}{strong}(?: (?:,|{w.courtesy}))*$"), False),
        ("escalate", re.compile(rf"(?:{lead}|\b(?:{w.wish}) {gap}{{0,3}})(?:{w.escalate})"), True),
        (
            "no_bot",
            re.compile(
                rf"\b(?:{w.negators}) (?:{_W} ){{0,4}}(?:(?:{w.determiners}) )?(?:{w.bot})\b"
            ),
            False,
        ),
    )


# Each cue weighs as much, and counts as a service failure or not, in every language as in English.
_KINDS = {english.name: (english.weight, english.failure) for english in CUES}


def said(name: str, **parts: str) -> Cue:
    """One language's way of giving the English cue `name` (phrases, pattern, keys: see `cue`)."""
    weight, failure = _KINDS[name]
    return cue(name, weight, failure, **parts)


_LANGUAGES = Path(__file__).with_name("languages")
# The files ship with Escalon and are read at import: libyaml's loader, when it is there, is quick.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_grammar(code: str) -> Grammar:
    """The grammar of the language `code`, from its file `languages/<code>.yaml`."""
    text = (_LANGUAGES / f"{code}.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.load(text, Loader=_LOADER)
    # A list in the file holds the alternatives of one regex, or of one cue's phrases or keys.
    fields: dict[str, Any] = {
        name: value if isinstance(value, bool) else "|".join(value)
        for name, value in data["words"].items()
    }
    words = Words(**fields)
    return Grammar(
        code=code,
        rules=_rules(words),
        negator=re.compile(rf"\b(?:{words.negators})\b"),
        inability=re.compile(rf"\b(?:{words.inability})\b"),
        about=re.compile(rf"\b(?:{words.about})\b"),
        cues=tuple(
            said(name, **{part: "|".join(items) for part, items in parts.items()})
            for name, parts in data["cues"].items()
        ),
        reassurance=re.compile("|".join(data["reassurance"])),
        thanks=re.compile("|".join(data["thanks"])),
        positive=frozenset(data["positive"].split()),
        negative=frozenset(data["negative"].split()),
        negation_words=frozenset(data["negation_words"].split()),
        commas_inside=words.verb_last,
    )


GERMAN = load_grammar("de")
FRENCH = load_grammar("fr")
SPANISH = load_grammar("es")

GRAMMARS = {grammar.code: grammar for grammar in (GERMAN, FRENCH, SPANISH)}


def manager_rules(grammar: Grammar, folded: str) -> tuple[str, ...]:
    """Names of the manager-request rules that hold in a text folded by `fold`."""
    hits: list[str] = []
    parts = _SENTENCES.split(folded) if grammar.commas_inside else clauses(folded)
    for clause in (part for part in parts if part):
        for name, rule, negatable in grammar.rules:
            for match in rule.finditer(clause):
                span = clause[max(0, match.start() - 12) : match.end()]
                # "Je veux me plaindre de votre chef" is about the boss, not a wish to meet them.
                if grammar.about.search(match.group()) is not None:
                    continue
                if negatable and _negated(grammar, span):
                    continue
                hits.append(name)
                break
    return tuple(hits)


def _negated(grammar: Grammar, span: str) -> bool:
    """Whether a negator governs a match (and is not only "I cannot manage to")."""
    return grammar.negator.search(span) is not None and grammar.inability.search(span) is None


def complaint_cues(grammar: Grammar, folded: str) -> ComplaintReading:
    """Complaint and service-failure cues of a folded text (no irony is read)."""
    names, weight, failure = weigh_cues(grammar.cues, folded)
    return ComplaintReading(
        cues=names,
        weight=weight,
        failure=failure,
        sarcasm=False,
        reassured=grammar.reassurance.search(folded) is not None,
        thanks=grammar.thanks.search(folded) is not None,
    )


@dataclass(frozen=True, slots=True)
class Polarity:
    """Counts of praise and blame words and their score in [-1, 1], VADER's scale."""

    positive: float
    negative: float
    compound: float


def polarity(grammar: Grammar, folded: str) -> Polarity:
    """Praise minus blame words, a negator within two words before one turning it around."""
    positive = 0.0
    negative = 0.0
    words = folded.split()
    for index, word in enumerate(words):
        good = word in grammar.positive
        bad = word in grammar.negative
        if not good and not bad:
            continue
        flipped = not grammar.negation_words.isdisjoint(words[max(0, index - 2) : index])
        if good != flipped:
            positive += 1.0 if good else 0.5
        else:
            # Blame, or praise turned around ("nicht gut"); "pas mal" only praises a little.
            negative += 1.0
    total = positive - negative
    return Polarity(
        positive=positive, negative=negative, compound=total / math.sqrt(total * total + _ALPHA)
    )
