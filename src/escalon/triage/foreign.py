"""German, French and Spanish: manager requests, complaint cues and a small sentiment lexicon.

Each language has the same parts as the English grammar, smaller: who may be asked for (targets
on the company's side, never the customer's own boss), the ways of asking, negation, complaint
cues with weights and words of praise and blame. Texts are folded first (`fold`): lower case,
no accents (`möchte` → `mochte`), elisions and hyphens as spaces (`passez-moi` → `passez moi`,
`l'agent` → `l agent`), so each rule names one spelling.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

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


def _sentiment_words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _grammar(
    code: str,
    words: Words,
    cues: tuple[Cue, ...],
    reassurance: str,
    thanks: str,
    positive: str,
    negative: str,
    negation_words: str,
) -> Grammar:
    return Grammar(
        code=code,
        rules=_rules(words),
        negator=re.compile(rf"\b(?:{words.negators})\b"),
        inability=re.compile(rf"\b(?:{words.inability})\b"),
        about=re.compile(rf"\b(?:{words.about})\b"),
        cues=cues,
        reassurance=re.compile(reassurance),
        thanks=re.compile(thanks),
        positive=_sentiment_words(positive),
        negative=_sentiment_words(negative),
        negation_words=_sentiment_words(negation_words),
        commas_inside=words.verb_last,
    )


# --- German ----------------------------------------------------------------------------------------
_DE_WORDS = Words(
    determiners=r"keinen|keinem|keiner|keine|irgendeinen|irgendeinem|irgendeiner|irgendeine|einen|einem|einer|eine|ein|"
    r"ihren|ihrem|ihrer|ihre|ihr|euren|eurem|eure|deinen|deinem|den|dem|der|die|das|zum|zur",
    own=r"mein\w*|unser\w*",
    qualifiers=r"echte[nmr]?|richtige[nmr]?|menschliche[nmr]?|andere[nmr]?|zustandige[nmr]?|"
    r"lebende[nmr]?|verantwortliche[nmr]?|hohere[nmr]?|kompetente[nmr]?",
    strong=r"vorgesetzte[nmr]?|manager(?:in|s)?|chef(?:in|s)?|teamleiter(?:in)?|teamleitung|"
    r"abteilungsleiter(?:in)?|filialleiter(?:in)?|filialleitung|geschaftsfuhrer(?:in)?|"
    r"geschaftsfuhrung|geschaftsleitung|supervisor(?:in)?|verantwortliche[nmr]?|"
    r"zustandige[nmr]?|mensch(?:en)?|operator|agent(?:en)?|jemand(?:en|em)? (?:anderes|anders)|"
    r"kundenberater(?:in)?|ansprechpartner(?:in)?|sachbearbeiter(?:in)?|menschlichen? \w+",
    weak=r"mitarbeiter(?:in|innen)?|mitarbeitende[nmr]?|person|jemand(?:en|em)?|berater(?:in)?|"
    r"kollege[n]?|kollegin",
    wish=r"mochte|mochten|will|wollen|wurde (?:gern|gerne)|hatte (?:gern|gerne)|brauche|"
    r"brauchen|verlange|verlangen|bestehe darauf|fordere|bitte um|kann ich|konnte ich|darf ich|"
    r"konnen sie|konnten sie|wie kann ich|wie erreiche ich|wo kann ich|ist es moglich|"
    r"lassen sie mich|ich suche",
    give=r"wie erreiche ich|wie kontaktiere ich|wie komme ich (?:an|zu)|verbinden sie|verbinde|geben sie|gib|holen sie|hol|stellen sie|leiten sie|schicken sie",
    contact=r"sprechen|reden|telefonieren|chatten|schreiben|verbunden werden|verbinden|"
    r"weitergeleitet werden|weiterleiten|durchgestellt werden|durchstellen|kontaktieren|"
    r"erreichen|sehen|haben|bekommen|zu sprechen|zu reden|zu erreichen",
    prepositions=r"mit|an|zu|zum|zur|nach|bei",
    negators=r"nicht|kein\w*|nie|niemals",
    inability=r"kann (?:einfach )?(?:nicht|keinen|keine)|konnte (?:nicht|keinen|keine)|"
    r"schaffe es nicht|unmoglich|erreiche (?:nicht|keinen|keine|niemanden)|warum kann ich nicht",
    about=r"beschwer\w*|reklamier\w*|uber|wegen|gegen",
    escalate=r"eskalier\w*",
    bot=r"bot|roboter|maschine|computer|automat\w*|sprachcomputer|ki|chatbot|sprachassistent\w*",
    courtesy=r"bitte|sofort|jetzt|schnell|hallo|danke",
    verb_last=True,
)
_DE_CUES = (
    said(
        "repeat_contact",
        phrases="schon wieder|immer wieder|zum wiederholten mal|"
        "mehrfach|mehrmals|zum zweiten mal|zum dritten mal|zum x ten mal|bereits mehrfach",
        pattern=r"\b(?:\d+|zwei|drei|vier|funf|mehrere|unzahlige) (?:mal|mails|anrufe|e mails)\b"
        r"|\b(?:zweite|dritte|vierte|funfte|x te|\d+ te)[nms]? mal\b",
        keys="mal|mails|anrufe|e",
    ),
    said(
        "money",
        phrases="doppelt abgebucht|doppelt berechnet|zweimal abgebucht|"
        "geld zuruck|mein geld|erstattung|ruckerstattung|abzocke|betrug|abgezockt|zu viel berechnet",
    ),
    said(
        "still_not",
        pattern=r"\b(?:immer noch|noch immer|bis heute|noch) (?:nicht|kein\w*|nichts)\b",
        keys="noch|heute",
    ),
    said(
        "not_received",
        phrases="nicht angekommen|nie angekommen|nicht erhalten|"
        "nicht geliefert|nicht bekommen|nie erhalten|nie bekommen|fehlt|fehlen|verschwunden",
    ),
    said(
        "no_response",
        phrases="keine antwort|keine ruckmeldung|niemand antwortet|"
        "niemand meldet sich|keiner meldet sich|keiner antwortet|ohne antwort|ignoriert|"
        "nicht erreichbar|aufgelegt",
    ),
    said(
        "waited",
        pattern=r"\b(?:seit|uber|schon) (?:\d+|zwei|drei|vier|funf|sechs|"
        r"mehreren|vielen|einer|einem) (?:stunden?|tagen?|wochen?|monaten?|minuten)\b",
        keys="seit|uber|schon",
    ),
    said("waiting", phrases="warte|warten|gewartet|warteschleife|wartezeit"),
    said(
        "malfunction",
        phrases="kaputt|defekt|funktioniert nicht|geht nicht|"
        "klappt nicht|sturzt ab|absturz|fehlermeldung|fehler|ausgefallen|ausfall|storung|"
        "beschadigt|gestort|lauft nicht|kein netz|kein internet|geht nicht mehr",
    ),
    said("wrong", phrases="falsch|falsche|falschen|falscher|falsches|verwechselt"),
    said("lost", phrases="verloren|gestohlen|weg|zerstort"),
    said("delay", phrases="verspatet|verspatung|zu spat|verzogerung|verzogert"),
    said("cancelled", phrases="storniert|gestrichen|abgesagt|annulliert"),
    said(
        "verdict",
        phrases="katastrophe|katastrophal|unverschamt|unverschamtheit|"
        "frechheit|zumutung|inakzeptabel|unakzeptabel|nicht akzeptabel|skandal|skandalos|"
        "miserabel|unfahig|inkompetent|unfreundlich|schlechteste|schlechtester|schlechtesten|"
        "lacherlich|peinlich|unmoglich|unprofessionell|nutzlos|schlechter service",
    ),
    said(
        "negative",
        phrases="schlecht|schlechte|mies|schrecklich|furchtbar|nervig|argerlich|traurig|leider",
    ),
    said(
        "emotion",
        phrases="enttauscht|enttauschend|verargert|sauer|wutend|"
        "unzufrieden|genervt|frustriert|reicht mir|habe genug|die nase voll",
    ),
    said(
        "complain",
        phrases="beschwerde|beschweren|beschwere|reklamation|"
        "reklamieren|nie wieder|zum letzten mal",
    ),
    said(
        "demand",
        phrases="ich erwarte|ich verlange|ich fordere|sofort|umgehend|"
        "wann wird|wann kommt|wann bekomme",
    ),
    said("why", phrases="warum|wieso|weshalb|wie kann es sein"),
    said("problem", phrases="problem|probleme|schwierigkeiten|mangel|schaden"),
    said("unable", phrases="kann nicht|konnte nicht|nicht moglich|nicht mehr"),
    said("help", phrases="hilfe|helfen|helft"),
)
GERMAN = _grammar(
    "de",
    _DE_WORDS,
    _DE_CUES,
    reassurance=r"\b(?:kein problem|keine probleme|funktioniert (?:wieder|jetzt)|geht wieder|"
    r"danke (?:fur|fuer) (?:die|ihre|eure|deine) (?:hilfe|schnelle))",
    thanks=r"^(?:\w+ )?(?:danke|vielen dank|super|toll|klasse|perfekt)\b",
    positive="gut super toll prima klasse danke dankeschon zufrieden freundlich hilfreich schnell "
    "perfekt wunderbar ausgezeichnet hervorragend genial lieb freue freut empfehlen top bestens "
    "schon froh begeistert",
    negative="schlecht schlechte schlechter schlechteste schrecklich furchtbar katastrophal "
    "katastrophe mies miserabel enttauscht enttauschend argerlich verargert sauer wutend "
    "unverschamt unfreundlich frech frechheit zumutung inakzeptabel nervig traurig leider "
    "unmoglich lacherlich peinlich skandal betrug abzocke nutzlos unzufrieden kaputt defekt "
    "problem probleme fehler beschwerde hasse grauenhaft unzuverlassig verspatet verspatung "
    "storniert verloren beschadigt genervt frustriert",
    negation_words="nicht kein keine keinen nie",
)

# --- French ----------------------------------------------------------------------------------------
_FR_WORDS = Words(
    determiners=r"aucun|aucune|un|une|le|la|l|les|votre|vos|ton|ta|des|du|au|aux|un autre|une autre|"
    r"quelqu un d|un vrai|une vraie",
    own=r"mon|ma|mes|notre|nos",
    qualifiers=r"vrai|vraie|reel|reelle|autre|humain|humaine|veritable|competent|competente",
    strong=r"responsables?|superieure?s? hierarchiques?|superieure?s?|chefs?(?: de \w+)?|"
    r"managers?|directeur|directrice|direction|gerante?|superviseure?s?|humaine?s?|"
    r"etre humain|conseill(?:er|ere)s?|operat(?:eur|rice)s?|agents?|autre chose qu un robot|"
    r"quelqu un d autre|personne (?:reelle|physique|humaine|competente)|vraie personne|"
    r"interlocut(?:eur|rice)",
    weak=r"personne|quelqu un|employee?s?|collaborat(?:eur|rice)|technicien(?:ne)?|"
    r"membre du personnel",
    wish=r"veux|voudrais|voudrions|voulons|souhaite|souhaiterais|souhaitons|aimerais|"
    r"aimerions|exige|exigeons|demande|desire|prefere|prefererais|ai besoin d|ai besoin de|"
    r"avons besoin de|il me faut|puis je|pourrais je|est ce que je peux|est ce que je pourrais|"
    r"pouvez vous|pourriez vous|peux tu|comment puis je|comment faire pour|comment je peux|"
    r"peut on|je dois|laissez moi|je cherche",
    give=r"comment (?:joindre|contacter|parler a)|passez moi|passez nous|passe moi|donnez moi|mettez moi en (?:relation|contact) avec|"
    r"transferez moi|redirigez moi|faites venir|appelez|envoyez moi|trouvez moi|"
    r"je veux parler",
    contact=r"parler|discuter|echanger|avoir|joindre|contacter|voir|rencontrer|appeler|"
    r"tomber sur|etre (?:mise? )?en (?:relation|contact)|etre transferee?|etre redirigee?|"
    r"etre passee?|avoir affaire|m adresser|nous adresser",
    prepositions=r"a|avec|au|aux|vers|en relation avec|en contact avec|a un|par",
    negators=r"pas|jamais|ne|n|aucun\w*|sans",
    inability=r"n arrive pas a|n arrivons pas a|ne parviens pas a|impossible de|pas moyen de|"
    r"ne peux pas|ne pouvons pas|ne peut pas|pourquoi je ne peux pas",
    about=r"plaindre|plainte|reclamation|sur|propos|contre|concernant",
    escalate=r"escalade\w*|escalader|faire remonter|remonter (?:ma|mon|cette|ce) \w+|"
    r"transmettre (?:ma|mon|cette|ce) \w+ (?:a|au) (?:votre|un|une)? ?(?:superieur|responsable)",
    bot=r"robot|bot|machine|ordinateur|automate|repondeur|serveur vocal|ia|assistant virtuel|"
    r"chatbot|message automatique|reponse automatique",
    courtesy=r"svp|s il vous plait|s il te plait|merci|maintenant|tout de suite|vite|bonjour|"
    r"bonsoir|alors",
)
_FR_CUES = (
    said(
        "repeat_contact",
        phrases="encore une fois|une fois de plus|a nouveau|"
        "de nouveau|pour la deuxieme fois|pour la troisieme fois|pour la enieme fois|"
        "plusieurs fois|maintes fois|deja appele|deja ecrit|deja envoye|deja signale",
        pattern=r"\b(?:\d+|deux|trois|quatre|cinq|plusieurs) (?:fois|mails|appels|messages)\b"
        r"|\b(?:deuxieme|troisieme|quatrieme|cinquieme|enieme|\d+e|\d+eme) fois\b",
        keys="fois|mails|appels|messages",
    ),
    said(
        "money",
        phrases="debite deux fois|preleve deux fois|facture deux fois|"
        "double prelevement|remboursement|rembourser|remboursez|mon argent|arnaque|escroquerie|"
        "trop percu|surfacture|vole",
    ),
    said(
        "still_not",
        phrases="toujours pas|toujours rien|toujours aucun|toujours aucune|"
        "pas encore|toujours en attente|toujours bloque",
    ),
    said(
        "not_received",
        phrases="jamais recu|pas recu|jamais arrive|pas arrive|"
        "jamais livre|pas livre|jamais eu|rien recu|manquant|manque|disparu",
    ),
    said(
        "no_response",
        phrases="aucune reponse|pas de reponse|sans reponse|"
        "personne ne repond|personne ne rappelle|jamais rappele|ignore|ignorez|raccroche|"
        "injoignable|aucun retour|pas de retour|aucune nouvelle|sans nouvelles|"
        "sans nouvelle|pas de nouvelles",
    ),
    said(
        "waited",
        pattern=r"\bdepuis (?:plus de )?(?:\d+|deux|trois|quatre|cinq|six|"
        r"plusieurs|des) (?:heures?|jours|semaines|mois|minutes)\b",
        keys="depuis",
    ),
    said("waiting", phrases="j attends|nous attendons|attente|attendre|en attente"),
    said(
        "malfunction",
        phrases="ne fonctionne pas|ne fonctionne plus|ne marche pas|"
        "ne marche plus|fonctionne pas|marche pas|en panne|panne|casse|cassee|endommage|"
        "endommagee|defectueux|defectueuse|abime|abimee|plante|bug|beug|bloque|bloquee|"
        "erreur|hors service|pas de connexion|pas de reseau",
    ),
    said(
        "wrong",
        phrases="mauvais article|mauvaise commande|mauvais produit|errone|"
        "erronee|incorrect|incorrecte",
    ),
    said("lost", phrases="perdu|perdue|perdus|perdues|vole|volee"),
    said("delay", phrases="retard|en retard|retarde|retardee|delai"),
    said("cancelled", phrases="annule|annulee|annulation|supprime"),
    said(
        "verdict",
        phrases="inadmissible|inacceptable|scandaleux|scandale|honteux|"
        "honte|lamentable|catastrophique|nul|nulle|pire|minable|incompetent|incompetents|"
        "incompetence|impoli|mal poli|desagreable|irrespectueux|inutile|mauvais service|"
        "service client nul|pas serieux|ridicule|pitoyable|deplorable",
    ),
    said(
        "negative",
        phrases="mauvais|mauvaise|horrible|affreux|terrible|malheureusement|penible|dommage",
    ),
    said(
        "emotion",
        phrases="decu|decue|decus|decevant|deception|mecontent|"
        "mecontente|furieux|furieuse|enerve|enervee|agace|agacee|en colere|marre|ras le bol|"
        "frustre|frustree|exaspere|exasperee|insatisfait|insatisfaite",
    ),
    said(
        "complain",
        phrases="plainte|plaindre|reclamation|reclamer|plus jamais|derniere fois",
    ),
    said(
        "demand",
        phrases="j exige|nous exigeons|immediatement|au plus vite|"
        "quand est ce que|quand allez vous|quand vais je",
    ),
    said("why", phrases="pourquoi|comment se fait il|comment est ce possible"),
    said(
        "problem",
        phrases="probleme|problemes|souci|soucis|dysfonctionnement|litige|defaut",
    ),
    said("unable", phrases="ne peux pas|impossible|n arrive pas|ne pouvons pas"),
    said("help", phrases="aide|aider|aidez"),
)
FRENCH = _grammar(
    "fr",
    _FR_WORDS,
    _FR_CUES,
    reassurance=r"\b(?:pas de (?:probleme|souci)|aucun (?:probleme|souci)|(?:fonctionne|marche) "
    r"(?:a nouveau|de nouveau|maintenant|bien)|merci (?:pour|de) (?:votre|ton|l|la) (?:aide|"
    r"reponse|rapidite))",
    thanks=r"^(?:\w+ )?(?:merci|super|genial|parfait|bravo)\b",
    positive="bien bon bonne super genial excellent excellente parfait parfaite merci content "
    "contente satisfait satisfaite rapide efficace aimable sympa gentil gentille formidable top "
    "bravo ravi ravie adore recommande agreable",
    negative="mauvais mauvaise nul nulle pire horrible affreux terrible catastrophique lamentable "
    "decu decue decevant deception mecontent mecontente furieux furieuse enerve agace "
    "inadmissible inacceptable scandaleux scandale honteux honte ridicule incompetent impoli "
    "desagreable arnaque escroquerie inutile malheureusement probleme problemes erreur plainte "
    "deteste triste lent retard annule perdu casse endommage defectueux panne marre frustre",
    negation_words="pas jamais plus aucun aucune",
)

# --- Spanish ---------------------------------------------------------------------------------------
_ES_WORDS = Words(
    determiners=r"ningun|ninguna|un|una|el|la|los|las|al|del|su|sus|otro|otra|algun|alguna",
    own=r"mi|mis|nuestro|nuestra|nuestros|nuestras",
    qualifiers=r"otro|otra|verdadero|verdadera|autentico|autentica",
    strong=r"supervisor(?:a|es|as)?|gerentes?|jef[ea]s?|encargad[oa]s?|responsables?|"
    r"director(?:a)?|superior(?:es)?|managers?|humanos?|ser humano|operador(?:a|es)?|"
    r"agentes?|asesor(?:a|es)?|ejecutiv[oa]s?|representantes?|alguien mas|otra persona|"
    r"alguien (?:real|humano|de verdad)|persona (?:real|de verdad|humana|fisica)",
    weak=r"personas?|alguien|emplead[oa]s?|trabajador(?:a)?|tecnic[oa]|miembro del personal",
    wish=r"quiero|quisiera|queremos|deseo|desearia|necesito|necesitamos|exijo|pido|solicito|"
    r"me gustaria|prefiero|preferiria|puedo|podria|podemos|puede|pueden|podrian|me puede|"
    r"me puedes|me podria|me podrian|como (?:puedo|hago para|podria)|hay (?:alguna )?forma de|"
    r"es posible|tengo que|debo|dejame|dejeme|busco",
    give=r"como (?:contacto a|hablo con|me comunico con|contactar a|hablar con)|paseme|pasame|pasenme|comuniqueme|comunicame|transfierame|transfiereme|"
    r"pongame|ponme|conecteme|conectame|deme|dame|traigame|traiga|llame a|llamen a|"
    r"quiero hablar",
    contact=r"hablar|conversar|comunicarme|comunicarnos|contactar|contactarme|tratar|ver|tener|"
    r"ser atendid[oa]|que me atienda|que me comunique|que me transfiera|que me pase|"
    r"ponerme en contacto|llamar|chatear|escribir|hablarle",
    prepositions=r"con|a|al|en contacto con|por",
    negators=r"no|nunca|jamas|ni|tampoco|sin",
    inability=r"no (?:puedo|podemos|consigo|logro|hay manera de|hay forma de)|imposible|"
    r"por que no puedo",
    about=r"quej\w*|reclam\w*|sobre|contra|acerca",
    escalate=r"escalar\w*|escale|escalen|escalarlo|elevar (?:mi|el|este|la|esta) \w+",
    bot=r"robot|bot|maquina|contestadora|grabacion|ia|asistente virtual|chatbot|"
    r"respuesta automatica|sistema automatico",
    courtesy=r"por favor|porfa|ya|ahora|inmediatamente|urgente|hola|gracias|buenas",
)
_ES_CUES = (
    said(
        "repeat_contact",
        phrases="otra vez|de nuevo|una vez mas|nuevamente|"
        "por segunda vez|por tercera vez|por enesima vez|varias veces|muchas veces|"
        "ya he llamado|ya llame|ya escribi|ya envie|ya reporte",
        pattern=r"\b(?:\d+|dos|tres|cuatro|cinco|varias) (?:veces|correos|llamadas|mensajes)\b"
        r"|\b(?:segunda|tercera|cuarta|quinta|enesima) vez\b",
        keys="veces|vez|correos|llamadas|mensajes",
    ),
    said(
        "money",
        phrases="cobrado dos veces|cobraron dos veces|cobro doble|"
        "doble cargo|cargo doble|reembolso|devolucion de mi dinero|mi dinero|estafa|"
        "estafaron|robo|me robaron|cobro indebido|cobraron de mas",
    ),
    said(
        "still_not",
        phrases="todavia no|aun no|sigue sin|siguen sin|sigo sin|"
        "seguimos sin|todavia nada|aun nada|sigo esperando|seguimos esperando",
    ),
    said(
        "not_received",
        phrases="no ha llegado|no llego|nunca llego|no he recibido|"
        "nunca recibi|no recibi|no me llego|nunca me llego|no han entregado|falta|faltan",
    ),
    said(
        "no_response",
        phrases="sin respuesta|ninguna respuesta|nadie contesta|"
        "nadie responde|nadie me responde|nadie me contesta|no contestan|no responden|"
        "no me responden|me colgaron|ignoran|ignorado|nadie me ayuda",
    ),
    said(
        "waited",
        pattern=r"\b(?:llevo|llevamos|hace|desde hace|mas de) (?:\d+|dos|"
        r"tres|cuatro|cinco|seis|varios|varias|muchos|muchas) (?:horas|dias|semanas|meses|"
        r"minutos)\b",
        keys="llevo|llevamos|hace|mas",
    ),
    said("waiting", phrases="esperando|espera|esperar|en espera"),
    said(
        "malfunction",
        phrases="no funciona|no sirve|dejo de funcionar|no anda|"
        "roto|rota|averiado|averia|danado|danada|defectuoso|defectuosa|falla|fallo|error|"
        "se cae|caido|bloqueado|sin servicio|sin conexion|sin internet|sin senal",
    ),
    said(
        "wrong",
        phrases="equivocado|equivocada|incorrecto|incorrecta|producto equivocado|pedido equivocado",
    ),
    said("lost", phrases="perdido|perdida|perdieron|extraviado|robado"),
    said("delay", phrases="retraso|retrasado|retrasada|demora|tarde|atrasado"),
    said("cancelled", phrases="cancelado|cancelada|cancelaron|cancelacion"),
    said(
        "verdict",
        phrases="inaceptable|verguenza|vergonzoso|pesimo|pesima|"
        "fatal|malisimo|peor|desastre|incompetente|incompetentes|grosero|grosera|inutil|"
        "inutiles|mal servicio|mala atencion|pesimo servicio|lamentable|ridiculo|una burla|"
        "falta de respeto|irrespetuoso|no es serio",
    ),
    said(
        "negative",
        phrases="malo|mala|horrible|terrible|lamentablemente|desgraciadamente|triste",
    ),
    said(
        "emotion",
        phrases="decepcionado|decepcionada|decepcion|molesto|molesta|"
        "enojado|enojada|enfadado|enfadada|furioso|furiosa|harto|harta|frustrado|frustrada|"
        "indignado|indignada|insatisfecho|insatisfecha|cansado de",
    ),
    said(
        "complain",
        phrases="queja|quejarme|quejar|reclamo|reclamacion|reclamar|nunca mas|ultima vez",
    ),
    said(
        "demand",
        phrases="exijo|exigimos|inmediatamente|cuanto antes|"
        "cuando van a|cuando me van|cuando llega|cuando voy a",
    ),
    said("why", phrases="por que|como es posible"),
    said(
        "problem",
        phrases="problema|problemas|inconveniente|inconvenientes|dificultades|fallos",
    ),
    said("unable", phrases="no puedo|no podemos|imposible|no consigo"),
    said("help", phrases="ayuda|ayudar|ayudenme|ayudame"),
)
SPANISH = _grammar(
    "es",
    _ES_WORDS,
    _ES_CUES,
    reassurance=r"\b(?:no hay problema|ningun problema|sin problema|ya funciona|funciona bien|"
    r"gracias por (?:la|su|tu) (?:ayuda|respuesta|rapidez))",
    thanks=r"^(?:\w+ )?(?:gracias|muchas gracias|genial|perfecto|excelente)\b",
    positive="bien bueno buena buenisimo excelente genial perfecto perfecta gracias contento "
    "contenta satisfecho satisfecha rapido rapida amable eficiente maravilloso estupendo "
    "fantastico encantado encanta recomiendo feliz",
    negative="malo mala malisimo pesimo pesima horrible terrible fatal peor decepcionado "
    "decepcionada decepcion molesto molesta enojado enojada enfadado enfadada furioso harto "
    "harta inaceptable verguenza vergonzoso ridiculo incompetente grosero grosera estafa robo "
    "inutil lamentablemente desgraciadamente problema problemas error queja odio triste lento "
    "retraso cancelado perdido roto danado defectuoso desastre frustrado",
    negation_words="no nunca jamas ni",
)

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
