"""German, French and Spanish: the language is told, and manager requests, complaints and
sentiment are read in each, with the same traps as in English (the customer's own boss)."""

from __future__ import annotations

import pytest

from escalon.core.signals import COMPLAINT, MANAGER_REQUEST
from escalon.triage import DefaultDetector
from escalon.triage.language import detect_language, strip_accents

DETECTOR = DefaultDetector()

MANAGER_REQUESTS = {
    "de": [
        "Ich möchte mit einem Vorgesetzten sprechen.",
        "Verbinden Sie mich bitte mit Ihrem Chef!",
        "Kann ich bitte mit einem echten Menschen reden?",
        "Ich will keinen Bot, ich will einen Menschen.",
        "Geben Sie mir Ihren Vorgesetzten.",
        "Ich verlange, den Filialleiter zu sprechen.",
        "Wie erreiche ich einen Mitarbeiter?",
        "Bitte eskalieren Sie das an Ihre Teamleitung.",
        "Ich kann keinen Menschen erreichen, nur den Sprachcomputer.",
    ],
    "fr": [
        "Je veux parler à un responsable.",
        "Passez-moi votre chef, s'il vous plaît.",
        "J'aimerais parler à un conseiller humain.",
        "Est-ce que je peux parler à une vraie personne ?",
        "Je souhaite être mis en relation avec votre supérieur.",
        "Je ne veux pas parler à un robot, je veux un humain.",
        "Je n'arrive pas à joindre un conseiller.",
        "Je demande à parler au directeur du magasin.",
    ],
    "es": [
        "Quiero hablar con un supervisor.",
        "Páseme con su jefe, por favor.",
        "¿Puedo hablar con una persona real?",
        "Necesito hablar con el gerente ahora mismo.",
        "No quiero hablar con un robot, quiero un humano.",
        "Comuníqueme con un asesor, por favor.",
        "Exijo hablar con el encargado de la tienda.",
        "No puedo comunicarme con ningún agente.",
    ],
}
NOT_MANAGER_REQUESTS = {
    "de": [
        "Mein Chef hat mich gebeten, die Rechnung zu prüfen.",
        "Ich möchte nicht mit einem Vorgesetzten sprechen, bitte nur die Rechnung.",
        "Der Mitarbeiter hat mir gestern sehr geholfen.",
        "Ich möchte mich über Ihren Mitarbeiter beschweren.",
        "Ich möchte meine Adresse ändern.",
    ],
    "fr": [
        "Mon responsable m'a demandé de vous écrire.",
        "Je ne veux pas parler à un responsable, réglez juste le problème.",
        "Le conseiller m'a dit d'attendre une semaine.",
        "Je veux me plaindre de votre responsable.",
        "Je voudrais changer mon adresse de livraison.",
    ],
    "es": [
        "Mi jefe me pidió que revisara la factura.",
        "No quiero hablar con un supervisor, solo quiero mi factura.",
        "El agente me dijo que esperara.",
        "Quiero quejarme de su supervisor.",
        "Quiero cambiar mi dirección de envío.",
    ],
}
COMPLAINTS = {
    "de": [
        "Das Paket ist immer noch nicht angekommen, ich warte seit zwei Wochen!",
        "Mir wurde der Betrag doppelt abgebucht. Eine Frechheit.",
        "Die App stürzt ständig ab und niemand antwortet auf meine E-Mails.",
        "Ich rufe jetzt zum dritten Mal an.",
    ],
    "fr": [
        "Ma commande n'est toujours pas arrivée, c'est inadmissible.",
        "J'ai été débité deux fois et personne ne répond.",
        "Le produit est arrivé cassé, je suis très déçu.",
        "C'est la troisième fois que j'appelle.",
    ],
    "es": [
        "Mi pedido llegó roto y nadie contesta. Es una vergüenza.",
        "Me cobraron dos veces y todavía no tengo el reembolso.",
        "Llevo tres semanas esperando y el servicio no funciona.",
        "Es la tercera vez que llamo.",
    ],
}
NOT_COMPLAINTS = {
    "de": ["Vielen Dank, alles hat perfekt funktioniert!", "Wann öffnet die Filiale morgen?"],
    "fr": [
        "Merci beaucoup, tout fonctionne parfaitement.",
        "Quels sont vos horaires d'ouverture ?",
    ],
    "es": ["Muchas gracias, todo funciona perfectamente.", "¿A qué hora abre la tienda mañana?"],
}


def cases(table: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(language, text) for language, texts in table.items() for text in texts]


@pytest.mark.parametrize(("language", "text"), cases(MANAGER_REQUESTS))
def test_manager_requests_are_read_in_each_language(language: str, text: str) -> None:
    signals = DETECTOR.analyze(text)
    assert signals.language == language
    assert MANAGER_REQUEST in signals.intents


@pytest.mark.parametrize(("language", "text"), cases(NOT_MANAGER_REQUESTS))
def test_own_bosses_negations_and_mentions_are_not_requests(language: str, text: str) -> None:
    signals = DETECTOR.analyze(text)
    assert signals.language == language
    assert MANAGER_REQUEST not in signals.intents


@pytest.mark.parametrize(("language", "text"), cases(COMPLAINTS))
def test_complaints_are_read_in_each_language_and_sound_negative(language: str, text: str) -> None:
    signals = DETECTOR.analyze(text)
    assert signals.language == language
    assert COMPLAINT in signals.intents
    assert signals.sentiment < -0.05


@pytest.mark.parametrize(("language", "text"), cases(NOT_COMPLAINTS))
def test_thanks_and_questions_are_not_complaints(language: str, text: str) -> None:
    signals = DETECTOR.analyze(text)
    assert signals.language == language
    assert COMPLAINT not in signals.intents
    assert signals.sentiment >= 0


@pytest.mark.parametrize(
    "text",
    [
        "My manager asked me to check the invoice.",
        "I spoke to a manager yesterday and it was sorted.",
    ],
)
def test_english_traps_stay_english_and_are_not_requests(text: str) -> None:
    signals = DETECTOR.analyze(text)
    assert signals.language == "en"
    assert MANAGER_REQUEST not in signals.intents


def test_plain_english_is_told_without_asking_lingua(monkeypatch: pytest.MonkeyPatch) -> None:
    from escalon.triage import language

    def refuse() -> None:
        raise AssertionError("Lingua was asked")

    monkeypatch.setattr(language, "_lingua", refuse)
    assert detect_language("I have been waiting for my refund for two weeks") == "en"


def test_texts_too_short_to_tell_have_no_language_and_every_grammar_reads_them() -> None:
    assert detect_language("1234 !!") is None
    signals = DETECTOR.analyze("Agent!")
    assert signals.language is None
    assert MANAGER_REQUEST in signals.intents
    assert MANAGER_REQUEST in DETECTOR.analyze("Vorgesetzter, bitte!").intents


def test_languages_the_detector_tells_but_does_not_read_get_no_intents() -> None:
    signals = DETECTOR.analyze("Voglio parlare con il responsabile del negozio, per favore.")
    assert signals.language == "it"
    assert signals.intents == frozenset()


def test_accents_are_folded_away_for_the_grammars() -> None:
    assert strip_accents("Möchte größer, très déçu, señor") == "Mochte grosser, tres decu, senor"
