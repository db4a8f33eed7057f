"""The phrases the tone detectors look for in a trainee's reply, by detector and language.

Each entry is a regular expression written against folded text (see `tone.fold`): lower case
does not matter (matching ignores case), accents are gone (`désolé` is written `desole`), and
curly apostrophes are straight. A space stands for any run of whitespace; a lookbehind must
spell its space `\\s` so that it keeps a fixed width. Every entry is matched whole words only.
German umlauts are written `ae?` so that both `ärgerlich` (folded to `argerlich`) and the
typed-out `aergerlich` match.
"""

from __future__ import annotations

ACKNOWLEDGES = "acknowledges"
BLAMES = "blames"
NEXT_STEP = "next_step"
DISMISSIVE = "dismissive"
DETECTORS = (ACKNOWLEDGES, BLAMES, NEXT_STEP, DISMISSIVE)

# Words that turn an apology or an understanding into its opposite ("I don't understand why").
_NOT_BEFORE = r"(?<!n't\s)(?<!not\s)(?<!never\s)"

_WEEKDAYS_EN = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_CLOCK_EN = r"\d{1,2}(?::\d\d)? ?(?:am|pm|a\.m\.|p\.m\.|o'clock)"
_OTHER_PARTY_EN = (
    r"(?:courier|carrier|delivery (?:company|driver|partner)|driver|warehouse|supplier|"
    r"manufacturer|post office|postal service|royal mail|ups|fedex|dhl|usps|bank|"
    r"(?:other|billing|tech|technical|shipping|sales|\w+) (?:team|department))"
)
_OTHER_PARTY_DE = r"(?:paketdienst|kurier|zusteller|spediteur|lieferant|hersteller|post|bank|lager)"
_OTHER_PARTY_FR = r"(?:transporteur|livreur|la poste|poste|fournisseur|fabricant|banque|entrepot)"
_OTHER_PARTY_ES = (
    r"(?:mensajero|transportista|repartidor|paqueteria|proveedor|fabricante|banco|almacen|correo)"
)

LEXICON: dict[str, dict[str, tuple[str, ...]]] = {
    ACKNOWLEDGES: {
        "en": (
            _NOT_BEFORE + r"(?:i|we)(?:'m| am|'re| are)? (?:so |very |really |truly |terribly "
            r"|deeply |incredibly )?sorry",
            _NOT_BEFORE + r"(?:so |very |really |truly |terribly )?sorry (?:for|about|to hear|"
            r"that|you)",
            _NOT_BEFORE + r"(?:i|we) (?:sincerely |truly )?apologi[sz]e",
            r"(?:my|our|sincere|sincerest|please accept (?:my|our)) apologies",
            _NOT_BEFORE + r"(?:i|we) (?:completely |totally |fully |really |absolutely |do )?"
            r"(?:understand|can understand|can see|can imagine|know|appreciate) (?:how|why|what a|"
            r"that (?:this|it|you)|your (?:frustration|concern|disappointment|anger|worry|point)|"
            r"the (?:frustration|inconvenience|trouble|worry|stress))",
            r"(?:that|this|it) (?:must|must have|would|can) (?:be|been) (?:so |very |really "
            r"|incredibly |extremely )?(?:frustrating|annoying|upsetting|stressful|disappointing|"
            r"inconvenient|worrying|difficult)",
            r"(?:thanks|thank you) (?:so much |very much )?for (?:your )?(?:patience|bearing with)",
            r"i hear you",
            r"regret (?:the|any|this) (?:inconvenience|trouble|delay|frustration)",
            r"not the experience (?:we|you)",
            r"(?:not|n't) your fault",
        ),
        "de": (
            r"tut (?:mir|uns) (?:sehr |wirklich |aufrichtig |echt )?leid",
            r"(?:ich|wir) entschuldigen? (?:mich|uns)",
            r"entschuldigen sie (?:bitte )?(?:die|den) (?:unannehmlichkeiten|verzo?e?gerung|"
            r"a?e?rger|umstand|sto?e?rung)",
            r"(?:entschuldigung|verzeihung) fu?e?r",
            r"(?:ich|wir) (?:kann|ko?e?nnen) (?:das )?(?:gut |sehr gut |absolut |vollkommen )?"
            r"(?:verstehen|nachvollziehen)",
            r"(?<!nicht\s)ich verstehe (?:ihren|ihre|deinen|deine|dass|gut|vollkommen|sehr gut)",
            r"(?:das|es) ist (?:wirklich |sehr |natu?e?rlich |absolut )?(?:a?e?rgerlich|"
            r"frustrierend|unangenehm)",
            r"(?:wir )?bedauern (?:die|den|das|sehr)",
            r"(?:vielen )?dank fu?e?r ihre geduld",
        ),
        "fr": (
            r"(?:je suis|nous sommes) (?:vraiment |sincerement |tres |profondement )?"
            r"(?:desolee?s?|navree?s?)",
            r"desolee?s? (?:pour|de|du|des)",
            r"(?:toutes )?(?:nos|mes) excuses",
            r"(?:je m'|nous nous )excus(?:e|ons)",
            r"(?:je|nous) compren(?:ds|ons) (?:votre|vos|tout a fait|parfaitement|bien|que)",
            r"c'est (?:vraiment |tres |tout a fait )?(?:frustrant|agacant|penible|desagreable)",
            r"merci (?:pour|de) votre patience",
            r"nous regrettons",
        ),
        "es": (
            r"lo (?:siento|sentimos|lamento|lamentamos)",
            r"(?:disculpe|disculpa|disculpen) (?:las|la|por) (?:molestias|molestia|inconvenientes)",
            r"(?:pedimos|le pido|le pedimos|ofrecemos|mil) (?:disculpas|perdon)",
            r"disculpas por",
            r"perdon por (?:las|la|el|los)",
            r"lamento (?:mucho )?(?:las|la|el|los|que)",
            r"(?:entiendo|comprendo|entendemos|comprendemos) (?:perfectamente |totalmente )?"
            r"(?:su|tu|que|lo|como|la)",
            r"gracias por su paciencia",
            r"(?:es|debe ser|debe de ser) (?:muy |realmente )?(?:frustrante|molesto)",
            r"no es (?:su|tu) culpa",
        ),
    },
    BLAMES: {
        "en": (
            # "You should have read the terms" blames; "you should have an e-mail" or "you
            # should have received it" only tell the customer what to expect.
            r"you should(?: have|'ve)(?! (?:a|an|the|that|this|these|those|your|it|one|some|any|"
            r"no|access|received|got|gotten|been|heard|seen|had)\b)",
            r"you (?:failed|neglected|forgot) to",
            r"as i (?:already |previously )?(?:told you|said|explained|mentioned|stated)",
            r"like i (?:said|told you)",
            r"as (?:already|previously) (?:stated|explained|mentioned)",
            r"i(?:'ve| have)? already (?:told|explained to) you",
            r"(?:not|n't) (?:our|my) (?:fault|mistake)",
            r"(?<!not\s)(?<!n't\s)(?<!no\s)your (?:own )?(?:fault|mistake)",
            r"(?:the )?" + _OTHER_PARTY_EN + r"(?:'s)? (?:fault|mistake|problem)",
            r"blame (?:the |our )?" + _OTHER_PARTY_EN,
            r"(?:the )?" + _OTHER_PARTY_EN + r" (?:messed up|screwed up|is to blame|got it wrong)",
            r"you (?:didn't|did not|never) (?:read|follow|check|provide|include|tell us)",
            r"if you had (?:read|followed|checked|provided|told us)",
            r"(?:that's|that is) on you",
            r"your (?:own )?responsibility",
        ),
        "de": (
            r"sie ha?e?tten (?:\w+ ){0,5}(?:sollen|mu?e?ssen)",
            r"wie (?:ich )?(?:ihnen )?(?:bereits|schon) (?:gesagt|erwa?e?hnt|erkla?e?rt|"
            r"mitgeteilt|geschrieben)",
            r"(?:nicht|keine) unsere? (?:schuld|fehler)",
            r"(?<!nicht\s)(?<!keine\s)ihre (?:eigene )?schuld",
            r"selbst schuld",
            r"sie haben (?:es )?versa?e?umt",
            r"schuld (?:ist|hat|sind|hatte) (?:der|die|das) " + _OTHER_PARTY_DE,
            r"(?:der|die|das) " + _OTHER_PARTY_DE + r" ist schuld",
            r"sie haben (?:\w+ ){0,3}nicht (?:gelesen|beachtet|angegeben)",
        ),
        "fr": (
            r"vous auriez du",
            r"comme (?:je vous l'ai|je l'ai|deja) (?:deja )?(?:dit|explique|indique|precise)",
            r"(?:ce n'est|c'est) pas (?:de )?(?:notre|ma) faute",
            r"(?<!pas\s)(?<!pas\sde\s)(?:c'est )?(?:de )?votre faute",
            r"vous n'avez pas (?:lu|suivi|respecte|verifie)",
            r"vous avez oublie de",
            r"(?:la )?faute (?:du|au|de la|a la) " + _OTHER_PARTY_FR,
            r"c'est (?:le|la) " + _OTHER_PARTY_FR + r" qui",
        ),
        "es": (
            r"(?:usted )?deberia(?:s)? haber",
            r"como (?:ya )?(?:le|te) (?:dije|he dicho|indique|explique|comente)",
            r"no (?:es|fue) (?:nuestra|mi) culpa",
            r"(?<!no\s)es (?:su|tu) culpa",
            r"(?:la )?culpa es (?:suya|tuya|del|de la)",
            r"culpa (?:del|de la) " + _OTHER_PARTY_ES,
            r"(?:usted )?no (?:leyo|siguio|reviso|leiste)",
        ),
    },
    NEXT_STEP: {
        "en": (
            r"(?:i|we)(?: will|'ll| am going to|'m going to| are going to|'re going to| shall)"
            r"(?! not\b| never\b| be unable\b)",
            r"(?:i|we)(?:'ve| have) (?:just |now |already )?(?:escalated|passed|forwarded|referred|"
            r"raised|flagged|sent|arranged|booked|scheduled|issued|processed|opened|logged|asked)",
            r"(?:my|our|the|a) (?:supervisor|manager|team lead|team leader|colleague|specialist|"
            r"engineers?|\w+ team|team) (?:will|is going to|'ll|are going to)",
            r"you(?:'ll| will) (?:receive|get|hear|see)",
            r"expect (?:a|an|our|my) (?:reply|call|email|answer|update|response)",
            r"(?:the |as a |our )?next step",
            r"next, ",
            r"by (?:" + _CLOCK_EN + r"|tomorrow|tonight|end of (?:the )?day|eod|noon|midday|"
            r"the end of (?:the )?(?:day|week)|" + _WEEKDAYS_EN + ")",
            r"within (?:the (?:hour|day|next \w+ (?:minutes|hours|days))|an hour|a day|"
            r"\d+ (?:minutes?|hours?|business days?|working days?|days?))",
        ),
        "de": (
            r"(?:ich|wir) werden?(?! nicht\b| nie\b)",
            r"(?:ich|wir) melden? (?:mich|uns)",
            r"(?:ich|wir) rufen? (?:sie|dich) (?:\w+ ){0,3}(?:zuru?e?ck|an)",
            r"(?:ich|wir) (?:habe|haben) (?:\w+ ){0,6}(?:weitergeleitet|eskaliert|u?e?bergeben|"
            r"veranlasst|angewiesen|beauftragt)",
            r"bis (?:morgen|heute|spa?e?testens|ende|montag|dienstag|mittwoch|donnerstag|freitag|"
            r"\d{1,2}(?::\d\d)? uhr)",
            r"innerhalb (?:von |der na?e?chsten )?(?:\d+|einer|eines) (?:stunden?|minuten|tage?n?|"
            r"werktage?n?)",
            r"als na?e?chstes",
            r"(?:der )?na?e?chste schritt",
            r"(?:mein|meine|unser|unsere) (?:vorgesetzter?|teamleiter(?:in)?|kollegin|kollege|"
            r"\w*team|abteilung) wird",
        ),
        "fr": (
            r"je vais(?! pas\b)",
            r"nous allons(?! pas\b)",
            r"je vous (?:rappelle|recontacte|reponds|ecris|tiens au courant|rappellerai|"
            r"recontacterai|repondrai)",
            r"(?:je|nous) (?:reviens|revenons|reviendrai|reviendrons) vers vous",
            r"d'ici (?:demain|ce soir|lundi|mardi|mercredi|jeudi|vendredi|\d{1,2} ?h|la fin)",
            r"avant (?:demain|ce soir|\d{1,2} ?h|la fin de)",
            r"dans les (?:\d+|prochaines) (?:\d+ )?(?:heures|minutes|jours)",
            r"(?:j'ai|nous avons) (?:transmis|escalade|transfere|signale|remonte)",
            r"prochaine etape",
            r"(?:mon|ma|notre) (?:responsable|superviseur|equipe|service) (?:va|vous)",
        ),
        "es": (
            r"(?:le|te|les) (?:llamare|llamaremos|escribire|escribiremos|contactare|"
            r"contactaremos|respondere|responderemos|informare|informaremos|confirmare|enviare)",
            r"(?:voy|vamos) a(?! no\b)",
            r"(?:he|hemos) (?:escalado|derivado|trasladado|enviado|pasado|reenviado)",
            r"antes de (?:las \d{1,2}|manana|el (?:lunes|martes|miercoles|jueves|viernes)|"
            r"que termine)",
            r"en (?:las )?(?:proximas )?\d+ (?:horas|minutos|dias)",
            r"(?:el|como) (?:siguiente|proximo) paso",
            r"(?:mi|nuestro|nuestra) (?:supervisora?|responsable|equipo|departamento) "
            r"(?:le|te|se|va a)",
        ),
    },
    DISMISSIVE: {
        "en": (
            r"calm down",
            r"no need to (?:shout|yell|be rude|get upset|be upset)",
            r"(?:nothing|not anything) (?:else |more )?(?:we|i) can do",
            r"(?:we|i) (?:can't|cannot|can not) (?:do anything|help you)",
            r"(?:that's|that is|it's|it is) (?:just |simply )?(?:our |the |company )?"
            r"(?:policy|rules)(?! (?:to|that|is|of)\b)",
            r"(?:those|these) are the rules",
            r"not (?:our|my) problem",
            r"it is what it is",
            r"deal with it",
            r"take it or leave it",
            r"you(?:'ll| will) (?:just )?have to wait",
            r"nothing to do with (?:us|me)",
            r"out of (?:our|my) hands",
        ),
        "de": (
            r"beruhigen sie sich",
            r"regen sie sich (?:nicht|bitte nicht) (?:so )?auf",
            r"(?:kann|ko?e?nnen) (?:man |wir |ich )?(?:leider )?(?:da )?nichts (?:mehr )?"
            r"(?:machen|tun)",
            r"(?:das|so) ist (?:nun mal|eben|halt|einfach) (?:so|unsere richtlinie|die regel|"
            r"vorschrift)",
            r"nicht unser problem",
            r"so sind die regeln",
        ),
        "fr": (
            r"calmez-vous",
            r"calme-toi",
            r"(?:on|nous) ne (?:pouvons|peut|peux) rien (?:y )?faire",
            r"il n'y a rien (?:a|que nous puissions) faire",
            r"(?:c'est|ce sont) (?:la politique|le reglement|les regles)",
            r"c'est comme ca",
            r"ce n'est pas (?:notre|mon) probleme",
        ),
        "es": (
            r"(?:calmese|calmate|tranquilicese)",
            r"no (?:podemos|puedo) hacer nada",
            r"no (?:hay|se puede hacer) nada (?:que hacer|mas)",
            r"(?:es|son) (?:la politica|las normas|politica de la empresa)",
            r"asi son las (?:cosas|normas)",
            r"no es (?:nuestro|mi) problema",
        ),
    },
}
