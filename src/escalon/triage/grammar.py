"""The phrase grammar: who is asked for, whether the wish is negated, and what went wrong."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from escalon.triage import lexicon as lx
from escalon.triage.text import clauses

_WORD = r"[a-z0-9'$]+"
# The longest run of words a cue's phrases are looked up as.
MAX_GRAM = 3
_NEG = lx.alt(lx.NEGATORS)
# Filler between a wish and its verb ("I would like to be able to talk"); a negator may not hide
# inside it, or "can I not talk to a manager" would read as a request.
_GAP = rf"(?:(?!{_NEG}\b){_WORD} )"
_DET = lx.alt(lx.DETERMINERS)
_QUAL = lx.alt(lx.QUALIFIERS)
_SWEAR = lx.alt(lx.INTENSIFIERS)
_HUMANISING = lx.alt(lx.HUMANISING)
_SENIOR = lx.alt(lx.SENIOR_NOUNS)
_HUMAN = lx.alt(lx.HUMAN_NOUNS)
_WEAK = lx.alt(lx.WEAK_NOUNS)
_BOT = lx.alt(lx.BOT_NOUNS)
# A noun followed by a possessive is not the one asked for ("the manager's approval").
_END = r"(?!'|[a-z0-9])"
_STRONG_TARGET = (
    rf"(?:{_DET} )?(?:{_QUAL} ){{0,3}}(?:{_SENIOR}|{_HUMAN}){_END}"
    rf"|(?:{_DET} )?(?:{_QUAL} ){{0,2}}{_HUMANISING} (?:{_QUAL} )?{_WEAK}{_END}"
)
_ANY_TARGET = rf"{_STRONG_TARGET}|(?:{_DET} )?(?:{_SWEAR} )?{_WEAK}{_END}"
_LEAD = rf"(?:{lx.alt(lx.IMPERATIVE_LEAD)} )*"
_CONTACT = lx.alt(lx.CONTACT)
_HEAD = rf"(?:{lx.alt(lx.DESIRE)}|{lx.alt(lx.ASKING)})"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# Each rule reads one clause. `negatable` rules are dropped when a negator governs their head.
_IMPERATIVE = _rx(rf"^{_LEAD}(?:{_CONTACT}) (?:{_ANY_TARGET})")
_ASKED = _rx(rf"\b{_HEAD} (?:{_GAP}){{0,4}}(?:{_CONTACT}) (?:{_ANY_TARGET})")
_GIVEN = _rx(
    rf"\b(?:{lx.alt(lx.GIVE)}|{lx.alt(lx.DESIRE)}) "
    rf"(?:to (?:see|have|get|meet|speak|talk|chat)(?: to| with)? )?(?:{_STRONG_TARGET})"
    # "Get me someone" asks for a person; "I want someone to fix it" asks for a fix.
    rf"|\b{lx.alt(lx.GIVE_ME)} (?:{_ANY_TARGET})"
)
_THERE_IS = _rx(rf"\b(?:is|are) there (?:{_STRONG_TARGET})")
_AVAILABLE = _rx(
    rf"\b(?:if|whether|is|are) (?:there is |there are |there )?(?:{_ANY_TARGET}) (?:is |are )?"
    rf"(?:available|around|free|online|there|here|on the line|on this chat|reading this|alive"
    rf"|(?:(?:who|that) )?(?:i|we) (?:can|could) (?:talk|speak|chat))\b"
)
_BARE = _rx(
    rf"^{_LEAD}(?:{_STRONG_TARGET})(?: (?:please|now|asap|immediately|right now|here|thanks))*$"
)
_ESCALATE = _rx(
    rf"(?:^{_LEAD}|\b{_HEAD} (?:{_GAP}){{0,2}})escalat(?:e|ing)(?: (?:this|it|me|my \w+|the \w+))?"
    rf"(?: (?:please|now|up|higher|further|to (?:{_ANY_TARGET})))*$"
)
_NO_BOT = _rx(
    rf"\b(?:{_NEG}) (?:really )?(?:{lx.alt(lx.DESIRE)}|like) (?:to )?(?:{_GAP}){{0,2}}"
    rf"(?:(?:{_CONTACT}) )?(?:{_DET} )?(?:{_QUAL} )*{_BOT}{_END}"
    # "Do not send me to the bot", but not "I do not have a computer".
    rf"|(?:^{_LEAD}|\b){_NEG} (?:{lx.alt(lx.TALK_OR_MOVE)}) (?:{_DET} )?(?:{_QUAL} )*{_BOT}{_END}"
    rf"|\b{lx.alt(lx.BOT_REJECTION)} (?:{_GAP}){{0,3}}(?:{_DET} )?(?:{_QUAL} )*{_BOT}{_END}"
)
MANAGER_RULES: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    ("imperative", _IMPERATIVE, False),
    ("asked", _ASKED, True),
    ("given", _GIVEN, True),
    ("there_is", _THERE_IS, True),
    ("available", _AVAILABLE, True),
    ("bare", _BARE, False),
    ("escalate", _ESCALATE, True),
    ("no_bot", _NO_BOT, False),
)
# A negator right before the head, allowing a few adverbs between ("I do not really want").
_GOVERNED = re.compile(
    rf"(?:^|\s)({_NEG})(?: (?:really|even|actually|necessarily|particularly|at all|just|ever|"
    rf"exactly|personally|want to|need to|have to))* ?$"
)
# "can not" / "why not": the speaker cannot get what they want; the wish stands.
_INABILITY = re.compile(rf"\b{lx.alt(lx.INABILITY)} $")


def _negated(clause: str, start: int) -> bool:
    """Whether a negator governs the rule that matched at `start`."""
    left = clause[max(0, start - 40) : start]
    found = _GOVERNED.search(left)
    if found is None:
        return False
    return _INABILITY.search(left[: found.start(1)]) is None


def manager_rules(folded: str) -> tuple[str, ...]:
    """Names of the manager-request rules that hold in a folded text (empty if none)."""
    hits: list[str] = []
    # Every rule needs one of these words; most texts have none and are skipped at once.
    if lx.MANAGER_KEYS.isdisjoint(folded.split()):
        return ()
    for clause in clauses(folded):
        for name, rule, negatable in MANAGER_RULES:
            for match in rule.finditer(clause):
                if negatable and _negated(clause, match.start()):
                    continue
                hits.append(name)
                break
    return tuple(hits)


# --- complaints and service failures -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Cue:
    """A complaint cue: its name and weight, whether it is a service failure, how it is found.

    A cue holds when any of its `phrases` (one to three words) occurs in the text, or its
    `pattern` matches. The pattern is only tried when one of its `keys` is a word of the text:
    regular expressions are the slow part of the detector, and most texts lack every key.
    """

    name: str
    weight: float
    failure: bool
    phrases: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None
    keys: frozenset[str] | None = None

    def holds(self, grams: frozenset[str], folded: str) -> bool:
        """Whether the cue holds in a text given as its n-grams and its folded form."""
        if self.phrases and not self.phrases.isdisjoint(grams):
            return True
        if self.pattern is None:
            return False
        if self.keys is not None and self.keys.isdisjoint(grams):
            return False
        return self.pattern.search(folded) is not None


def cue(
    name: str,
    weight: float,
    failure: bool,
    phrases: str = "",
    stems: str = "",
    pattern: str = "",
    keys: str = "",
) -> Cue:
    """Build a cue from `|`-separated phrases, stems (word beginnings) and keys, and a pattern."""
    parts = [pattern] if pattern else []
    if stems:
        parts.append(rf"\b(?:{stems})")
    # Only runs of up to three words are looked up as n-grams; longer phrases ("what is going
    # on") become part of the pattern, keyed on their first word.
    short = [p for p in phrases.split("|") if p and p.count(" ") < MAX_GRAM]
    long = [p for p in phrases.split("|") if p.count(" ") >= MAX_GRAM]
    key_words = [k for k in keys.split("|") if k]
    if long:
        parts.append(r"\b(?:" + "|".join(map(re.escape, long)) + r")\b")
        if key_words or not parts[:-1]:
            key_words += [p.split()[0] for p in long]
    return Cue(
        name=name,
        weight=weight,
        failure=failure,
        phrases=frozenset(short),
        pattern=re.compile("|".join(parts)) if parts else None,
        keys=frozenset(key_words) if key_words and not stems else None,
    )


# Verbs of a thing doing its job; negated, they report a fault ("will not charge").
_FUNCTIONS = (
    r"work|works|working|worked|load|loading|loaded|open|opening|connect|connecting|turn on|start|"
    r"starting|charge|charging|sync|syncing|synced|respond|responding|responded|reply|replying|"
    r"replied|print|printing|log ?in|sign in|access|play|playing|stream|streaming|update|updating|"
    r"updated|install|download|show up|display|let me|accept|accepted|go through|send|sending|"
    r"arrive|deliver|delivered|function|recogni[sz]ed?|pair|boot|run|running|ring|pick up|"
    r"pick it up|come on|load up|match|fit|fits|shipped|allowed|allow|allowing|processed|"
    r"accepting|sending|receiving|showing|printing|remember|remembers|recognise|recognize|"
    r"processing|appear|appears|letting me|letting us|let us"
)
# What may stand between a negator and that verb ("does not seem to be working").
_AUX = (
    r"(?:(?:be|being|been|even|seem to|seems to|properly|correctly|anymore|always|really|actually"
    r"|quite|ever|fully|at all|get to|got|get) )"
)
_RECEIVED = (
    r"received|receive|arrived|arrive|delivered|showed up|shown up|turned up|heard back|"
    r"heard anything|heard from (?:you|them|anyone)|shipped|dispatched|"
    r"(?:got|had|gotten) (?:a|an|any|my|the|our|one) (?:reply|response|answer|call|refund|email|"
    r"confirmation|order|package|parcel|item|money|credit|update)|"
    r"been (?:refunded|delivered|fixed|resolved|contacted|credited|shipped|dispatched|processed)"
)
_TIME = (
    r"(?:\d+|an?|one|two|three|four|five|six|ten|twenty|thirty|forty|several|many|few|couple of)"
)
_UNITS = r"(?:hours?|days?|weeks?|months?|minutes?|years?)"
_SPAN = (
    rf"(?:(?:almost|nearly|about|over|more than|at least) )?{_TIME}(?: plus| or so| more)? {_UNITS}"
)

CUES: tuple[Cue, ...] = (
    # Writing again about the same thing: the first answer did not help.
    cue(
        "repeat_contact",
        2.0,
        True,
        phrases="yet again|once again|again and again|over and over|too many times|"
        "so many times|far too often|too often",
        pattern=(
            r"\b(?:second|third|fourth|fifth|sixth|2nd|3rd|4th|5th|\d+th|umpteenth|nth) time\b"
            r"|\b(?:\d+|two|three|four|five|six|several|multiple|many|numerous|countless|so many) "
            r"(?:emails|calls|messages|attempts|tweets|phone calls|tries|complaints|chats|dms)\b"
            r"|\b(?:called|emailed|written|wrote|tweeted|messaged|asked|contacted|tried|complained)"
            r" (?:\w+ )?(?:\d+|two|three|four|five|several|multiple|many|countless) times\b"
            r"|\b(?:keep|kept|keeps) (?:calling|asking|emailing|trying|getting|having|being told)\b"
            r"|\b(?:i|we) (?:have )?already (?:sent|called|emailed|tried|done|contacted|asked|told|"
            r"reported|messaged|dm|explained|complained|paid|returned)\b"
        ),
        keys="time|times|emails|calls|messages|attempts|tweets|tries|complaints|chats|dms|keep|"
        "kept|keeps|already",
    ),
    cue(
        "money",
        2.0,
        True,
        phrases="money back|scammed|scamming|rip off|ripoff|ripped off|hidden fees|hidden fee|"
        "hidden charges|overcharged|overcharging|over charged|double charged|double billed",
        pattern=(
            r"\b(?:charged|billed) (?:\w+ ){0,4}(?:twice|double|two times|\d+ times|again|extra)\b"
            r"|\b(?:still no|no|where is my|waiting (?:for|on) (?:my|a)|want my|need my|"
            r"never got my|not received my|no sign of my) (?:refund|money|credit|reimbursement)"
            r"|\bstole (?:my|our)\b"
        ),
        keys="charged|billed|refund|money|credit|reimbursement|stole",
    ),
    # Something promised or fixed has not happened yet.
    cue(
        "still_not",
        2.0,
        True,
        pattern=(
            r"\bstill (?:not|no|nothing|have not|has not|can not|does not|is not|are not|waiting|"
            r"broken|missing|having (?:the |this |that |an |a )?(?:problem|issue|trouble)|no sign|"
            r"unresolved|down|delayed|on hold|stuck|the same|charging|unable|without|did not|"
            r"will not|never|nobody|an issue|a problem|problems|issues|says|shows|showing|saying|"
            r"pending|processing)\b"
            r"|\bnot (?:yet |even )?(?:been )?(?:fixed|resolved|sorted|refunded|answered|addressed|"
            r"repaired|replaced)\b"
        ),
        keys="still|not",
    ),
    # What was promised or due has not come true.
    cue(
        "broken_promise",
        1.5,
        True,
        phrases="was supposed to|were supposed to|should have arrived|should have been|"
        "should already|was promised|were promised|promised me|promised us|you promised|"
        "was told it|was told that|were told that|was told i would|was assured|were assured|"
        "but never|they never do|never did|never does|never happened|never showed",
    ),
    cue(
        "not_received",
        2.0,
        True,
        phrases="gone missing|went missing|go missing|where is my|not arrived|not yet arrived",
        pattern=(
            rf"\b(?:never|not|nor|yet to) (?:yet |even |ever |actually )?(?:{_RECEIVED})\b"
            r"|\b(?:not|never) (?:\w+ ){1,3}yet\b"
        ),
        keys="never|not|nor|yet",
    ),
    cue(
        "no_response",
        2.0,
        True,
        phrases="hung up|hang up|hangs up|hanging up|ignored|ignoring|ignores|not answering|not responding|"
        "not replying|not returning",
        pattern=(
            r"\b(?:no|zero|without (?:a|any)) (?:reply|replies|response|responses|answer|answers|"
            r"update|updates|call back|callback|email back|feedback|follow ?up|communication|"
            r"explanation|acknowledg\w+|information|info|notice|warning|notification)\b"
            r"|\bnobody (?:answers|answered|responds|responded|replied|replies|calls|called|helped|"
            r"helps|picks up|picked up|got back|gets back|cares|seems|will|is answering|"
            r"is responding|is helping|can|could|knows)\b"
            r"|\bnever (?:answer\w*|respond\w*|repl(?:y|ied|ies)|call(?:ed|s)? back|got back|"
            r"get back|heard back|followed up|follow up)\b"
            r"|\bnot (?:getting|got|gotten|receiving|received|had|having|heard) (?:any |a |an )?"
            r"(?:response|reply|answer|call ?back|update|word)\b"
            # Not being told: "without telling us", "nobody informed me".
            r"|\b(?:not|never|without|nobody) (?:even |ever |bother(?:ed|ing)? to )?(?:tell|told|"
            r"telling|inform|informed|informing|notify|notified|notifying|warn|warned|"
            r"let (?:me|us) know)\b"
        ),
        keys="no|zero|without|nobody|never|not",
    ),
    # A length of time spent waiting, delayed or stuck.
    cue(
        "waited",
        2.0,
        True,
        pattern=(
            r"\b(?:on hold|waiting|waited|wait|holding|queue|queued|stuck|sitting|sat|delayed|late|"
            r"standing|trying|dealing|dealt|struggling|fighting|chasing|calling)"
            rf" (?:\w+ ){{0,3}}(?:for |over |since |by )?{_SPAN}\b"
            rf"|\bfor {_SPAN} (?:now|already)\b"
            # "... after two hours": a time that had to pass before something happened.
            rf"|\bafter (?:waiting )?{_SPAN}\b"
            rf"|\b{_SPAN} (?:\w+ )?(?:later|since|and still|and counting|and no|and nothing|"
            r"on hold|waiting|of waiting|wait|hold|in line|in a queue|late|delay)\b"
        ),
        keys="hour|hours|day|days|week|weeks|month|months|minute|minutes|year|years",
    ),
    cue(
        "waiting",
        1.5,
        True,
        pattern=(
            r"\b(?:been|was|were|am|are|is|still|currently|now|keep|kept)"
            r" (?:waiting|on hold|holding)\b"
            r"|\b(?:waiting|waited) (?:for|since) (?:ages|ever|forever|an eternity|so long|"
            r"too long|"
            r"weeks|days|hours|months)\b"
            r"|\bwaiting (?:on|for) (?:a |an |my |the |your )?(?:reply|response|answer|call|refund|"
            r"email|update|delivery|order|package|technician|engineer)\b"
        ),
        phrases="on hold|left on hold|put on hold|kept on hold|hold music",
        keys="waiting|waited|hold|holding",
    ),
    cue(
        "malfunction",
        1.5,
        True,
        phrases="crash|crashes|crashed|crashing|freezes|freezing|frozen|stuck|glitch|glitches|"
        "glitched|glitchy|glitching|buggy|error|errors|broken|faulty|defective|outage|outages|"
        "down again|unresponsive|laggy|lag|lags|lagging|locked out|dead on arrival|disappeared|"
        "vanished|not allowed|not being allowed|will not allow|will not let|malfunction|"
        "malfunctions|malfunctioned|malfunctioning|is down|are down|been down|went down|was down|"
        "goes down|keeps going down|site down|system down|service down|website down|app down|"
        "server down|servers down|network down|buffers|buffering|keeps buffering|falling apart|"
        "fell apart|falls apart|fall apart|came apart|falling off|fell off|falls off|peeling off",
        pattern=(
            r"\b(?:not|never|no longer|can not|could not|will not|unable to|fails? to|failed to|"
            rf"failing to|refuses? to|refused to) {_AUX}{{0,2}}(?:{_FUNCTIONS})\b"
            r"|\bcan not get (?:\w+ ){1,4}(?:to work|working|back on|online|to load|to connect|"
            r"to turn on|to start|to open)\b"
            r"|\b(?:do|does|did) not have (?:any )?(?:power|internet|signal|service|wifi|heat|"
            r"heating|water|electricity|hot water|connection)\b"
            r"|\b(?:can )?(?:barely|hardly) (?:hear|see|use|work|works|load|loads|connect|get)\b"
            r"|\b(?:is|are) (?:the |your |my )?\w+ down\b"
            r"|\bno longer (?:\w+ )?(?:remembers|works|shows|loads|accepts|lets|can)\b"
            r"|\b(?:stopped|stops|stop|quit|quits) (?:working|responding|charging|loading|syncing|"
            r"functioning)\b|\b(?:stopped|stops) \w+ing\b"
            r"|\b(?:went out|died|quit|broke|gave up|crapped out|stopped|cut out|shut down)"
            r" on (?:me|us)\b"
            r"|\b(?:keeps?|kept) (?:crashing|freezing|dropping|disconnecting|failing|restarting|"
            r"rebooting|logging me out|cutting out|buffering|glitching|turning off|shutting down|"
            r"kicking me)\b"
            r"|\bno (?:sound|audio|picture|video|signal|service|internet|wifi|power|connection|"
            r"heat|"
            r"heating|hot water|dial tone|network|data|reception|display)\b"
        ),
        keys="not|never|no|longer|unable|fail|fails|failed|failing|refuse|refuses|refused|stopped|"
        "stops|stop|quit|quits|keep|keeps|kept|on|barely|hardly|down",
    ),
    cue(
        "wrong",
        1.5,
        True,
        phrases="incorrect|incorrectly|incomplete|arrived damaged|arrived broken|came damaged|came broken|"
        "arrived late|arrived cold|arrived open|arrived opened|arrived crushed|delivered damaged|"
        "delivered broken|arrived defective",
        pattern=(
            r"\bwrong (?!with\b)\w+|\bwhat is wrong with\b"
            r"|\b(?:damaged|ripped|torn|stained|cracked|scratched|dented|smashed|soggy|stale|"
            r"expired|mouldy|moldy) \w+"
            r"|\b(?:you|they|he|she|someone|staff|driver|store) (?:\w+ )?(?:forgot|forget|forgets|"
            r"forgotten|messed up|mess up|screwed up|left out)\b"
            r"|\b(?:cold|used|dirty) (?:item|items|order|product|parcel|package|food|meal|box|room|"
            r"seat|coffee|pizza|fries|chips)\b"
        ),
        keys="wrong|damaged|ripped|torn|stained|cracked|scratched|dented|smashed|soggy|stale|"
        "expired|mouldy|moldy|cold|used|dirty|forgot|forget|forgets|forgotten|messed|mess|screwed|"
        "left",
    ),
    cue(
        "lost",
        1.5,
        True,
        pattern=(
            r"\b(?:lost|losing|lose|misplaced|damaged|destroyed|ruined) (?:my|our|his|her|their|"
            r"all my|all our) \w+"
            r"|\bmissing (?:bags?|luggage|baggage|package|parcel|order|items?|delivery|suitcase|"
            r"refund|payment|money)\b"
            r"|\b(?:bags?|luggage|baggage|package|parcel|order|delivery|suitcase) (?:is |are |was |"
            r"were |has been |have been |got )?(?:lost|missing|damaged|delayed|stolen)\b"
        ),
        keys="lost|losing|lose|misplaced|damaged|destroyed|ruined|missing|delayed|stolen|missing",
    ),
    cue(
        "delay",
        1.0,
        True,
        phrases="delay|delays|delayed|late|bumped|overbooked|oversold|over sold|stranded|diverted|"
        "postponed|missed my connection|missed our connection|missed my flight|missed our flight|"
        "missed the connection|missed my train|missed my appointment",
        stems="misconnect",
    ),
    cue(
        "cancelled",
        1.0,
        True,
        phrases="cancelled|canceled|cancellation|cancellations|cancelation|cancelations",
    ),
    # How the customer judges the service or the staff.
    cue(
        "verdict",
        1.5,
        False,
        phrases="worst|terrible|horrible|horrendous|awful|appalling|atrocious|dreadful|pathetic|"
        "useless|unacceptable|disgusting|disgraceful|abysmal|incompetent|incompetence|rude|"
        "unprofessional|lousy|inexcusable|unreliable|unhelpful|clueless|a joke|joke|a shambles|"
        "shambolic|a disgrace|misleading|misled|lied to|lying to|false advertising|not helpful|"
        "no help|not acceptable|not fair|unfair|not good enough|poor service|poor quality|"
        "poor customer|poor communication|poor experience|poor job|poor support|poor response|"
        "bad service|bad experience|bad customer|bad support|bad quality|bad communication|"
        "bad job|too slow|so slow|too long|way too long|inadequate|subpar|impolite|dismissive|"
        "surly|unsafe|inaccurate|overpriced|lacks|lacking|worse|not recommended|"
        "do not recommend|avoid|debacle|fiasco|nonexistent|non existent",
        stems="terribl|horribl|discriminat|dangerous|overcharg|hassl",
    ),
    cue(
        "negative",
        1.0,
        False,
        phrases="bad|poor|sucks|suck|sucked|crap|crappy|shitty|garbage|trash|rubbish|ridiculous|"
        "nightmare|mess|shame|shameful|annoying|slow|dumb|stupid|unbelievable|not cool|not ok|"
        "stinks|stink|fail|epic fail|"
        "not okay|not nice|not good|not great|let down|letdown|let me down|let us down",
    ),
    cue(
        "emotion",
        1.0,
        False,
        phrases="upset|angry|furious|livid|fuming|fed up|sick of|sick and tired|tired of|"
        "done with|had enough|unhappy|dissatisfied|not happy|not impressed|not pleased|"
        "not satisfied|not amused|ugh|ughh|smh|wtf|ffs|sigh|grr|pissed",
        stems="disappoint|frustrat|annoy",
    ),
    cue(
        "complain",
        1.5,
        False,
        phrases="complaint|waste of time|waste of money|wasted my|wasted our|never again|"
        "never buying|never using|never flying|never ordering|never shopping|never going back|"
        "never coming back|never be buying|never be using|never be flying|never use you|"
        "lost a customer|lost my business|lost your business|go elsewhere|going elsewhere|"
        "take my business|taking my business|last time i|thanks for nothing|thank you for nothing",
        stems="complain",
        # "I will never use southwest again".
        pattern=r"\bnever (?:\w+ ){1,3}again\b",
    ),
    # A demand that something be put right.
    cue(
        "demand",
        1.0,
        False,
        phrases="fix this|fix it|fix your|fix the|fix that|fix my|sort this out|sort it out|"
        "make this right|make it right|explain why|explain how|explain this|refund me|"
        "give me my money|help asap|fix asap|respond asap|reply asap|help immediately|"
        "any update|any news|any fix|any idea|any ideas|any solution|any resolution|any eta|"
        "take action|do something|get your act together|please advise|any suggestions|look into|"
        "what are my options|what do i do|what should i do|what can i do|what do we do|"
        "what should we do|anything we can do|anything i can do|anything you can do",
        pattern=(
            r"\b(?:i|we) (?:want|need|demand|expect|deserve) (?:a|my|an|some|our) (?:refund|"
            r"explanation|answer|apology|replacement|compensation|response|resolution)\b"
            r"|\bwhen (?:will|is|are|can|do|does) (?:you|it|this|my|the|i|we)\b(?: \S+){0,6} "
            r"(?:fix|fixed|arrive|deliver|delivered|refund|refunded|resolved|working|sorted|ship|"
            r"shipped|restored)\b"
        ),
        keys="i|we|when",
    ),
    # Asking why something is as it is, which in a message to support blames.
    cue(
        "why",
        1.0,
        False,
        phrases="why is|why are|why does|why do|why did|why can|why will|why would|why has|"
        "why have|why was|why were|why the|why on|why not|how is it|how come|how hard|"
        "how difficult|how many times|how long does|how long do|how long will|how long is|"
        "how can you|how could you|how do you expect|what happened to|what is going on|"
        "what gives|what the|is this a joke|is this how|is this what|is this the way|"
        "are you kidding|are you serious|are you joking|what is the point|what good is|"
        "you call this|now what|so that is it|is it too much to ask|too much to ask|how is that|"
        "is this normal|is that normal|is it normal|what are you playing at|what is with",
    ),
    cue(
        "problem",
        1.0,
        False,
        phrases="problem|problems|issue|issues|trouble|difficulty|difficulties|fault|failure|"
        "failed|fails|declined|denied|refused|unable|impossible|nothing works|hacked|"
        "compromised|leak|leaking|leaks|recall|mistake|broke|bug|bugs|dead|dies|died",
    ),
    # Not being able to do something, or asking for help with it: a complaint only together
    # with another cue ("I can't log in, please help" is; "please help me choose" is not).
    cue(
        "unable",
        0.5,
        False,
        phrases="can not|could not|will not|did not|does not|is not|are not|not able to|was not|"
        "were not|have not|has not|had not|would not|do not|not even|nothing",
    ),
    # A length of time named to support ("two hours") is mostly time lost; it needs another cue.
    cue(
        "time_spent",
        0.5,
        False,
        pattern=rf"\b{_SPAN}\b",
        keys="hour|hours|day|days|week|weeks|month|months|minute|minutes",
    ),
    # Telling support what one bought or booked is the start of a report of what went wrong
    # with it; like "unable", it needs another cue.
    cue(
        "purchase",
        0.5,
        False,
        pattern=r"\b(?:i|we) (?:just |recently )?(?:ordered|bought|paid|purchased|booked|"
        r"received|got)\b|\bmy (?:order|purchase|package|delivery|booking)\b",
        keys="i|we|my",
    ),
    cue(
        "help",
        0.5,
        False,
        phrases="help|assist|assistance|advice|advise|suggestion|suggestions",
    ),
)
CUE_NAMES = tuple(cue.name for cue in CUES)
# The cues a trained model reads one by one: fixed, so that a cue added later changes only the
# complaint score, not the shape of the features a saved model was fitted on.
MODEL_CUE_NAMES = (
    "repeat_contact",
    "money",
    "still_not",
    "broken_promise",
    "not_received",
    "no_response",
    "waited",
    "waiting",
    "malfunction",
    "wrong",
    "lost",
    "delay",
    "cancelled",
    "verdict",
    "negative",
    "emotion",
    "complain",
    "demand",
    "why",
    "problem",
    "unable",
    "help",
)

# Praise, thanks or the absence of a problem: the opposite of a complaint.
_NO_PROBLEM = re.compile(
    r"\b(?:no|not a|not any|never had a|never had any|never have a|never have any|without a|"
    r"without any) (?:problem|problems|issue|issues|worries|complaint|complaints|trouble)\b"
    r"|\bnot (?:bad|too bad|disappointed)\b"
    r"|\b(?:works|worked|working) (?:now|again|fine|great|perfectly)\b"
    r"|\b(?:all )?(?:sorted|fixed|resolved) (?:now|it|thanks)\b"
    r"|\b(?:thanks|thank you)(?: \w+)? for (?:resolving|fixing|sorting|solving|helping|the help|"
    r"your help|the quick|getting back)"
)
_THANKS = re.compile(
    r"^(?:\w+ )?(?:thanks|thank you|cheers|great|awesome|love|loving|amazing|appreciate|perfect|"
    r"excellent|brilliant|congrat\w*)\b"
)
# Praise that, next to a failure, is meant the other way ("love how you lost my bag").
_IRONIC_PRAISE = re.compile(
    r"\b(?:thanks|thank you)(?: so much| a lot| again)? for (?:nothing|the wrong|losing|ruining|"
    r"leaving|wasting|cancel\w*|delay\w*|never|not|making (?:me|us) wait)\b"
    r"|\b(?:love|loving|great|nice|thanks) (?:how|that|it when|being)\b"
    r"|\b(?:oh|just|so) (?:great|wonderful|perfect|fantastic|lovely)\b|\byeah right\b"
    r"|\bso much for\b|\bnot$"
    r"|\b(?:great|excellent|awesome|amazing|stellar|fantastic|wonderful) (?:job|service|work)\b"
)


@dataclass(frozen=True, slots=True)
class ComplaintReading:
    """What the complaint grammar found: cue names, their summed weight and the failure part."""

    cues: tuple[str, ...]
    weight: float
    failure: float
    sarcasm: bool
    reassured: bool
    thanks: bool


def grams(words: list[str]) -> frozenset[str]:
    """Every run of one to three (`MAX_GRAM`) words."""
    found = set(words)
    found.update(f"{a} {b}" for a, b in itertools.pairwise(words))
    found.update(f"{a} {b} {c}" for a, b, c in zip(words, words[1:], words[2:], strict=False))
    return frozenset(found)


def weigh_cues(cues: tuple[Cue, ...], folded: str) -> tuple[tuple[str, ...], float, float]:
    """Names of the cues that hold in a folded text, their summed weight and its failure part."""
    found_grams = grams(folded.split())
    names: list[str] = []
    weight = 0.0
    failure = 0.0
    for item in cues:
        if item.holds(found_grams, folded):
            names.append(item.name)
            weight += item.weight
            if item.failure:
                failure += item.weight
    return tuple(names), weight, failure


def complaint_cues(folded: str) -> ComplaintReading:
    """Read the complaint and service-failure cues of a folded text."""
    names, weight, failure = weigh_cues(CUES, folded)
    # Praise only turns ironic next to something that went wrong.
    sarcasm = failure > 0 and _IRONIC_PRAISE.search(folded) is not None
    return ComplaintReading(
        cues=names,
        weight=weight,
        failure=failure,
        sarcasm=sarcasm,
        reassured=_NO_PROBLEM.search(folded) is not None,
        thanks=_THANKS.search(folded) is not None,
    )


def sincere_thanks(folded: str) -> bool:
    """Whether a folded text thanks someone and means it: thanks or praise, no failure named,
    nothing ironic ("thanks for nothing")."""
    reading = complaint_cues(folded)
    thanked = reading.thanks or (reading.reassured and "thank" in folded)
    return thanked and reading.failure == 0 and _IRONIC_PRAISE.search(folded) is None
