"""Word lists the phrase grammar is built from, in the folded form `text.fold` produces."""

from __future__ import annotations

from collections.abc import Iterable


def alt(words: Iterable[str]) -> str:
    """A regex alternation of phrases, longest first so the longest phrase wins."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "(?:" + "|".join(ordered) + ")"


# --- who is meant -------------------------------------------------------------------------------
# People on the company's side who outrank or replace the current agent or bot.
SENIOR_NOUNS = (
    r"managers?",
    r"supervisors?",
    r"superiors?",
    r"boss(?:es)?",
    r"team ?lead(?:er)?s?",
    r"head of (?:the )?\w+",
    r"management",
    r"higher ?ups?",
    r"(?:manager|supervisor) on duty",
    r"(?:person|someone|anyone) in charge",
    r"whoever is in charge",
    r"(?:someone|anyone|person) (?:more )?senior",
    r"(?:someone|anyone) (?:higher|above you|higher up|with authority|with more authority)",
    r"escalations? (?:team|department|desk)",
)
# A human, named as such, rather than whoever happens to answer.
HUMAN_NOUNS = (
    r"humans?",
    r"human beings?",
    r"representatives?",
    r"reps?",
    r"operators?",
    r"agents?",
    r"(?:someone|anyone|person|people|agent|one) else",
    r"(?:someone|anyone) (?:real|who is real|human|alive)",
)
# Words that mean a person only when the sentence around them asks to reach one.
WEAK_NOUNS = (
    r"persons?",
    r"people",
    r"someone",
    r"anyone",
    r"staff(?: members?)?",
    r"members? of (?:staff|your team|the team|your staff)",
    r"employees?",
    r"advis[eo]rs?",
    r"associates?",
    r"specialists?",
    r"colleagues?",
    r"one of (?:your|the) (?:colleagues|staff|agents|team|people|employees|managers|supervisors)",
)
# Swearing and emphasis change the tone, not who is meant ("a fucking person" is still a person).
INTENSIFIERS = (
    r"fucking",
    r"freaking",
    r"frigging",
    r"effing",
    r"damn",
    r"damned",
    r"goddamn",
    r"bloody",
    r"stupid",
)
# Qualifiers that make a vague "person" or "someone" a request for a human ("a real person").
HUMANISING = (
    r"real",
    r"actual",
    r"live",
    r"living",
    r"human",
    r"physical",
    r"proper",
    r"different",
    r"other",
    r"new",
    r"another",
    r"competent",
    r"qualified",
    r"senior",
    r"knowledgeable",
)
# Words before a noun that keep it a human on the company's side ("a real live person").
QUALIFIERS = (
    *HUMANISING,
    r"english speaking",
    r"customer service",
    r"support",
    r"service",
    r"sales",
    r"billing",
    r"technical",
    r"tech",
    r"account",
    r"floor",
    r"shift",
    r"store",
    r"duty",
    r"general",
    r"regional",
    r"branch",
    r"call cent(?:er|re)",
    r"higher",
    r"top",
    *INTENSIFIERS,
)
# Determiners that point at the company's side; "my"/"our" are absent on purpose: "my manager"
# is the customer's own boss.
DETERMINERS = (
    r"a",
    r"an",
    r"the",
    r"your",
    r"some",
    r"any",
    r"one",
    r"another",
    r"a different",
    r"some other",
    r"this",
    r"that",
    r"his",
    r"her",
    r"their",
    r"the agent's",
)
BOT_NOUNS = (
    r"bot",
    r"machine",
    r"computer",
    r"algorithm",
    r"script",
    r"recording",
    r"recorded (?:message|voice)",
    r"ivr",
    r"ai",
    r"virtual (?:assistant|agent)",
    r"automated (?:system|service|assistant|responses?|repl(?:y|ies)|messages?|menu|line|voice"
    r"|agent)",
    r"automatic (?:responses?|repl(?:y|ies)|messages?)",
    r"auto ?repl(?:y|ies)",
    r"robotic \w+",
)

# --- how a request is made -----------------------------------------------------------------------
# Verbs of wanting: the speaker's own wish, which a negation turns around.
DESIRE = (
    r"want",
    r"would like",
    r"would love",
    r"need",
    r"wish",
    r"demand",
    r"insist on",
    r"request",
    r"require",
    r"prefer",
    r"would prefer",
    r"would rather",
    r"ask(?:ing|ed)? for",
    r"expect",
    r"deserve",
    r"have to",
    r"must",
    r"got to",
    r"hop(?:e|ing) to",
    r"tr(?:y|ying|ied) to",
    r"attempting to",
    r"looking to",
    r"looking for",
    r"waiting for",
    r"waiting to",
)
# Asking whether or how something can be done.
ASKING = (
    r"(?:can|could|may|might|will|would|shall) (?:i|we|you|someone)"
    r"(?: please| possibly| just| maybe| kindly)?",
    r"how (?:can|do|could|should|would|may|will|to|does one)",
    r"what (?:do|should|can|must|would) (?:i|we) (?:have to |need to )?do to",
    r"what is the (?:best )?way to",
    r"where (?:can|do|could|should) (?:i|we)",
    r"who (?:can|do|should|could) (?:i|we)",
    r"is (?:it|there a way|there any way) (?:possible )?(?:for me )?to",
    r"(?:any|is there a|is there any) (?:way|chance|possibility) (?:to|i can|for me to|of)",
    r"possible to",
    r"help me(?: to)?",
    r"let me",
    r"allow me to",
    r"need help",
    r"want help",
    r"i would appreciate (?:it if i could|being able to)",
    # Not managing to reach someone still asks for them.
    r"why (?:can|could|do|will|would|does) not (?:i|we|you|anyone|someone)",
    r"why (?:can|could) (?:i|we) not",
    r"(?:can|could|will) not(?: seem to| even| ever| ever seem to)?",
    r"(?:unable|impossible|no way|hard|difficult|struggling|trouble|no option|no chance)"
    r" (?:to|for me to|trying to)",
)
# Words that may begin an imperative clause without changing it ("so just put me through").
IMPERATIVE_LEAD = (
    r"please",
    r"just",
    r"so",
    r"then",
    r"and",
    r"now",
    r"ok",
    r"okay",
    r"hey",
    r"hi",
    r"hello",
    r"well",
    r"also",
    r"oh",
    r"again",
    r"i said",
    r"seriously",
    r"kindly",
    r"immediately",
)
# Talking with someone, or being passed on to them: the verb and its preposition.
TALK_OR_MOVE = (
    r"(?:talk|talking|speak|speaking|chat|chatting|converse|discuss this|deal|dealing)"
    r"(?: directly)? (?:to|with)",
    r"(?:get|getting|be|being) (?:connected|transferred|put through|passed|switched|escalated"
    r"|redirected|forwarded|sent|referred|routed|handed)(?: over| on| back)? (?:to|with)",
    r"(?:connect|transfer|put|pass|forward|redirect|send|switch|route|refer|escalate|take"
    r"|bring|move)(?:ing)?(?: (?:me|us|this|it|my \w+|this \w+|the \w+))?"
    r"(?: (?:over|through|back|up|on|across))? (?:to|with)",
    # "Hand it to them" is praise; "hand me over to" passes the customer on.
    r"hand(?:ing)?(?: (?:me|us|this|it|my \w+|this \w+|the \w+))? over to",
)
# Reaching a person in any way, including verbs that need no preposition ("call a manager").
CONTACT = (
    *TALK_OR_MOVE,
    r"(?:contact|contacting|reach|reaching|call|calling|phone|phoning|ring|email|emailing|message"
    r"|messaging|dm|text|see|meet|have|get|getting|find|finding)",
    r"(?:get|getting|be|being) (?:through to|hold of|a hold of|in touch with|in contact with)",
    r"go to",
    r"ask for",
)
# Requests that need no verb of contact: "get me a manager".
GIVE_ME = (
    r"get me",
    r"give me",
    r"find me",
    r"bring me",
    r"fetch me",
)
GIVE = (
    *GIVE_ME,
    r"send me",
    r"i want",
    r"i need",
    r"i demand",
    r"we want",
    r"we need",
    r"can i (?:get|have|see)",
    r"could i (?:get|have|see)",
    r"may i (?:get|have|see)",
    r"can we (?:get|have|see)",
    r"where is",
    r"escalate (?:this|it|me|my \w+) to",
)
# A wish turned around: "I don't want to", "no need to", "without".
NEGATORS = (
    r"not",
    r"never",
    r"no",
    r"without",
    r"no longer",
    r"rather not",
    r"no need to",
    r"no reason to",
    r"needless to",
)
# What a negation is about when it is only "I can't manage to": the wish stands.
INABILITY = (
    r"can",
    r"could",
    r"will not let",
    r"unable",
    r"impossible",
    r"why",
)
# Rejecting the bot is asking for a human: "stop sending me to the bot".
BOT_REJECTION = (
    r"stop",
    r"quit",
    r"enough(?: of| with)?",
    r"tired of",
    r"sick of",
    r"fed up with",
    r"done with",
    r"hate",
    r"no more",
    r"instead of",
    r"rather than",
    r"other than",
)

# Every manager-request rule names one of these words, so a text without any needs no rule run.
_MANAGER_KEY_WORDS = """
    manager managers supervisor supervisors superior superiors boss bosses lead leader leaders
    head management higher ups senior charge human humans being beings representative
    representatives rep reps operator operators agent agents else real person persons people
    someone anyone staff member members employee employees advisor advisors adviser advisers
    associate associates specialist specialists colleague colleagues one bot machine computer
    algorithm script recording recorded ivr ai virtual automated automatic auto autoreply
    robotic escalate escalating
"""
MANAGER_KEYS = frozenset(_MANAGER_KEY_WORDS.split())
