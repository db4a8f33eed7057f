"""What built scenarios add to a real history: the customer's angrier messages and request words.

A history shows how the customer reacted to what the team really did; a trainee may answer
later or miss what was asked, so every built scenario carries a message for the trainee's
silence and, where the skill has a request, one for a reply that did not take it up. They are
written here, per skill, in the languages the detector reads (English for any other).
"""

from __future__ import annotations

LANGUAGES = ("en", "de", "fr", "es")

# What the customer is waiting for, per skill and language (fits "about ...").
_NEEDS: dict[str, dict[str, str]] = {
    "manager_request": {
        "en": "speaking to a manager",
        "de": "das Gespräch mit einer vorgesetzten Person",
        "fr": "parler à un responsable",
        "es": "hablar con un responsable",
    },
    "angry_customer": {
        "en": "my problem",
        "de": "mein Problem",
        "fr": "mon problème",
        "es": "mi problema",
    },
    "public_complaint": {
        "en": "my complaint",
        "de": "meine Beschwerde",
        "fr": "ma réclamation",
        "es": "mi queja",
    },
    "refund_above_authority": {
        "en": "my refund",
        "de": "meine Erstattung",
        "fr": "mon remboursement",
        "es": "mi reembolso",
    },
    "functional_handover": {
        "en": "getting this to someone who can actually fix it",
        "de": "die Weitergabe an jemanden, der das wirklich lösen kann",
        "fr": "le transfert à quelqu'un qui peut vraiment régler ça",
        "es": "pasar esto a alguien que pueda resolverlo de verdad",
    },
    "repeat_contact": {
        "en": "my earlier messages",
        "de": "meine früheren Nachrichten",
        "fr": "mes messages précédents",
        "es": "mis mensajes anteriores",
    },
    "reopened_case": {
        "en": "the problem you said was solved",
        "de": "das Problem, das angeblich gelöst war",
        "fr": "le problème que vous disiez résolu",
        "es": "el problema que dijeron que estaba resuelto",
    },
    "slow_answer": {
        "en": "my question",
        "de": "meine Frage",
        "fr": "ma question",
        "es": "mi pregunta",
    },
}

_SILENCE = {
    "en": "Hello? I am still waiting for an answer about {need}. Is anyone there at all?",
    "de": "Hallo? Ich warte immer noch auf eine Antwort wegen {need}. Ist da überhaupt jemand?",
    "fr": "Bonjour ? J'attends toujours une réponse concernant {need}. Il y a quelqu'un ?",
    "es": "¿Hola? Sigo esperando una respuesta sobre {need}. ¿Hay alguien ahí?",
}

# What the customer asked for, per skill with a request (fits "I asked for ...").
_ASKS: dict[str, dict[str, str]] = {
    "manager_request": {
        "en": "a manager",
        "de": "eine vorgesetzte Person",
        "fr": "un responsable",
        "es": "un responsable",
    },
    "angry_customer": {
        "en": "someone to take my problem seriously",
        "de": "jemanden, der mein Problem ernst nimmt",
        "fr": "quelqu'un qui prenne mon problème au sérieux",
        "es": "alguien que se tome en serio mi problema",
    },
    "public_complaint": {
        "en": "an apology and a fix",
        "de": "eine Entschuldigung und eine Lösung",
        "fr": "des excuses et une solution",
        "es": "una disculpa y una solución",
    },
    "refund_above_authority": {
        "en": "my money back",
        "de": "mein Geld zurück",
        "fr": "un remboursement",
        "es": "un reembolso",
    },
    "functional_handover": {
        "en": "someone with the right expertise",
        "de": "jemanden mit dem nötigen Fachwissen",
        "fr": "quelqu'un de compétent",
        "es": "alguien con los conocimientos adecuados",
    },
}

_IGNORED = {
    "en": "You are not listening. I asked for {ask} and you did not even mention it.",
    "de": "Sie hören mir nicht zu. Ich habe um {ask} gebeten und Sie gehen nicht darauf ein.",
    "fr": "Vous ne m'écoutez pas. J'ai demandé {ask} et vous n'en parlez même pas.",
    "es": "No me está escuchando. Pedí {ask} y ni siquiera lo menciona.",
}

# Words a reply must use for the customer to feel their request was taken up, per skill and
# language; a scenario lists English and its conversation's language.
_REQUEST_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "manager_request": {
        "en": ("manager", "supervisor", "escalate", "escalated", "team lead"),
        "de": ("Vorgesetzte", "Vorgesetzten", "Teamleitung", "Manager", "weitergeleitet"),
        "fr": ("responsable", "superviseur", "manager", "transmis"),
        "es": ("responsable", "supervisor", "gerente", "encargado"),
    },
    "angry_customer": {
        "en": ("sorry", "apologise", "apologize", "understand", "frustrating"),
        "de": ("Entschuldigung", "entschuldigen", "verstehe", "ärgerlich"),
        "fr": ("désolé", "excuses", "comprends", "frustrant"),
        "es": ("siento", "disculpe", "disculpas", "entiendo", "frustrante"),
    },
    "public_complaint": {
        "en": ("sorry", "apologise", "apologize", "message", "look into"),
        "de": ("Entschuldigung", "entschuldigen", "Nachricht", "kümmern"),
        "fr": ("désolé", "excuses", "message", "occuper"),
        "es": ("siento", "disculpas", "mensaje", "revisar"),
    },
    "refund_above_authority": {
        "en": ("refund", "money back", "reimburse", "approval"),
        "de": ("Erstattung", "erstatten", "Geld zurück", "Freigabe"),
        "fr": ("remboursement", "rembourser", "validation"),
        "es": ("reembolso", "devolución", "devolver", "aprobación"),
    },
    "functional_handover": {
        "en": ("specialist", "team", "expert", "department", "passed on"),
        "de": ("Fachabteilung", "Spezialist", "Team", "weitergegeben"),
        "fr": ("spécialiste", "équipe", "service", "transmis"),
        "es": ("especialista", "equipo", "departamento", "derivado"),
    },
}


def language_of(detected: str | None) -> str:
    """The language a scenario's added messages are written in: the conversation's, or English."""
    return detected if detected in LANGUAGES else "en"


def silence_message(skill: str, language: str) -> str:
    """The customer's message when the trainee has not answered."""
    language = language_of(language)
    return _SILENCE[language].format(need=_NEEDS[skill][language])


def ignored_message(skill: str, language: str) -> str | None:
    """The customer's message when a reply did not take up the request (None: no request)."""
    language = language_of(language)
    asks = _ASKS.get(skill)
    return None if asks is None else _IGNORED[language].format(ask=asks[language])


def request_words(skill: str, language: str) -> tuple[str, ...]:
    """The words that take up the skill's request: English, then the conversation's language."""
    words = _REQUEST_WORDS.get(skill)
    if words is None:
        return ()
    found = [*words["en"], *words.get(language_of(language), ())]
    return tuple(dict.fromkeys(found))
