"""Masking: who a customer is and how to reach them, taken out of a text before it is a scenario.

A scenario is read by trainees who must not learn who the real customer was. `Masker.mask`
replaces links, e-mail addresses, @handles (brand handles may stay: the brand is no secret),
phone numbers, order and account numbers, other long digit runs and letter+digit codes, and
the customer's own identifiers by placeholders such as `[customer]` or `[phone]`. `reference`
names a case by a keyed hash, never by its own id.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

CUSTOMER = "[customer]"
EMAIL = "[email]"
PHONE = "[phone]"
ORDER = "[order number]"
ACCOUNT = "[account number]"
NUMBER = "[number]"
CODE = "[code]"
LINK = "[link]"

# Links first: a link's path may hold anything the later rules look for (@, digits, dots).
_LINK = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)\S+"
    r"|\b(?:t\.co|bit\.ly|goo\.gl|ow\.ly|tinyurl\.com|buff\.ly|amzn\.to|fb\.me|lnkd\.in)/\S+",
    re.IGNORECASE,
)
# Unicode letters count (`\w`): `jürgen.müller+tag@post.example.de` is an address too.
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# A handle anywhere, at the text's start too, after a dot (".@name" makes a reply public),
# but not inside a word (addresses are masked before).
_HANDLE = re.compile(r"(?<![\w@])@(\w{1,50})")
# A labelled number: "order #A12-345", "Bestellnummer: 12345", "account no. 998877".
_ORDER_WORDS = (
    r"order|orders|booking|reservation|ticket|tracking|invoice|confirmation|"
    r"bestellung|bestellnummer|auftrag|auftragsnummer|rechnung|rechnungsnummer|sendung|"
    r"commande|facture|réservation|reservation|suivi|"
    r"pedido|orden|factura|reserva|seguimiento"
)
_ACCOUNT_WORDS = (
    r"account|acct|a/c|member|membership|customer|card|iban|policy|contract|"
    r"konto|kontonummer|kundennummer|kunden-nr|vertrag|vertragsnummer|mitgliedsnummer|"
    r"compte|client|contrat|carte|"
    r"cuenta|cliente|contrato|tarjeta|socio"
)
_LABEL_GAP = r"(?:\s*(?:number|num|nr|no|n°|nº|núm|numéro|nummer|número|id)?\.?\s*[:#]?\s*)"
_VALUE = r"(#?[A-Za-z]{0,4}[-\s]?\d[\w-]{2,40})"
_ORDER = re.compile(rf"\b((?:{_ORDER_WORDS})\w*{_LABEL_GAP}){_VALUE}", re.IGNORECASE)
_ACCOUNT = re.compile(rf"\b((?:{_ACCOUNT_WORDS})\w*{_LABEL_GAP}){_VALUE}", re.IGNORECASE)
_HASH_NUMBER = re.compile(r"(?<![\w&])#\d{3,}\b")
# A phone number: an optional + or 00, then digits in groups parted by one space, dot, dash or
# slash, with an optional "(0)" or "(030)" group; it needs 7 digits at least to be one.
_PHONE = re.compile(
    r"(?<![\w+/.-])(?:\+|00)?(?:\(\d{1,5}\)[ .-]?)?\d"
    r"(?:[ .\-/]?(?:\(\d{1,5}\)|\d)){5,}(?![\w/-])"
)
_DATE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}|\d{1,2}[./-]\d{1,2}")
# Any other run of 6 digits or more, and a code mixing letters and at least 3 digits.
_DIGITS = re.compile(r"(?<!\w)\d{6,}(?!\w)")
_CODE = re.compile(r"(?<![\w\[])(?=[A-Za-z0-9-]*[A-Za-z])(?=(?:[A-Za-z-]*\d){3})[A-Za-z0-9-]{5,}\b")
_AMOUNT = re.compile(r"\d+[A-Za-z]{1,5}")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class Masker:
    """Masks texts of one history: `brands` are handles that may stay (lower case, no @),
    `identities` the customers' own identifiers (masked as whole words wherever they appear)."""

    brands: frozenset[str] = frozenset()
    identities: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *, brands: Iterable[str] = (), identities: Iterable[str] = ()) -> Masker:
        """A masker keeping `brands` and masking `identities` (empty ones are left out)."""
        return cls(
            frozenset(brand.lstrip("@").casefold() for brand in brands if brand.strip("@ ")),
            # Ids shorter than 3 characters ("7") would eat ordinary words and numbers.
            frozenset(identity.strip() for identity in identities if len(identity.strip()) >= 3),
        )

    def mask(self, text: str) -> str:
        """The text with every identity, address, number and link replaced by a placeholder."""
        text = _LINK.sub(LINK, text)
        text = _EMAIL.sub(EMAIL, text)
        text = _HANDLE.sub(self._handle, text)
        for identity in self._longest_first:
            text = re.sub(rf"(?<!\w){re.escape(identity)}(?!\w)", CUSTOMER, text)
        text = _ORDER.sub(lambda match: match.group(1) + ORDER, text)
        text = _ACCOUNT.sub(lambda match: match.group(1) + ACCOUNT, text)
        text = _HASH_NUMBER.sub(ORDER, text)
        text = _PHONE.sub(_phone, text)
        text = _DIGITS.sub(NUMBER, text)
        return _CODE.sub(_code, text)

    @property
    def _longest_first(self) -> list[str]:
        # "jane doe" before "jane": the longer identity is masked whole.
        return sorted(self.identities, key=len, reverse=True)

    def _handle(self, match: re.Match[str]) -> str:
        return match.group(0) if match.group(1).casefold() in self.brands else CUSTOMER


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    if _DATE.fullmatch(found):
        return found  # 31.10.2017 is a date, not a number to hide
    if len(_DIGIT.findall(found)) < 7:
        return found
    # A bare run of digits is a phone number only when dialled as one (a leading 0); else it
    # is some other number, masked all the same.
    return NUMBER if found.isdigit() and not found.startswith("0") else PHONE


def _code(match: re.Match[str]) -> str:
    found = match.group(0)
    # "500GB", "100mbps" and "2017th" are amounts and ordinals, not codes naming anyone.
    return found if _AMOUNT.fullmatch(found) else CODE


def reference(case: str, salt: bytes) -> str:
    """A stable, unguessable name of a case: an HMAC of its id keyed by the build's salt.

    A plain hash would not do: case ids such as tweet ids are few and guessable, so anyone
    could hash every candidate and find the case (and its customer) again.
    """
    return hmac.new(salt, case.encode(), hashlib.sha256).hexdigest()[:16]
