"""Masking: identities, addresses, numbers and links leave a text before it is a scenario."""

from __future__ import annotations

import pytest

from escalon.core.training.masking import Masker, reference

MASKER = Masker.of(brands=["sprintcare", "@AskPayPal"], identities=["115712", "jane-k"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@115712 I understand", "[customer] I understand"),
        ("@sprintcare and @AskPayPal help", "@sprintcare and @AskPayPal help"),
        ("@someone_else told me", "[customer] told me"),
        ("@Jürgen_Müller ça va?", "[customer] ça va?"),
        ("ask 115712 or jane-k", "ask [customer] or [customer]"),
    ],
)
def test_handles_and_identities_are_masked_but_brands_stay(text: str, expected: str) -> None:
    assert MASKER.mask(text) == expected


@pytest.mark.parametrize(
    "address",
    [
        "jane.doe+refunds@mail.sub.example.co.uk",
        "j_o-e@example.org",
        "jürgen.müller@post.example.de",
        "ADMIN@EXAMPLE.COM",
    ],
)
def test_email_addresses_with_plus_subdomains_and_unicode_are_masked(address: str) -> None:
    masked = MASKER.mask(f"write to {address}, thanks")
    assert masked == "write to [email], thanks"


@pytest.mark.parametrize(
    "phone",
    [
        "+49 (0)30 1234567",
        "+1 (555) 123-4567",
        "+44 20 7946 0958",
        "0171-2345678",
        "(030) 123 4567",
        "0049 30 12345678",
        "+33 1 23 45 67 89",
        "555.123.4567",
    ],
)
def test_international_phone_formats_are_masked(phone: str) -> None:
    assert MASKER.mask(f"call me on {phone} today") == "call me on [phone] today"


@pytest.mark.parametrize(
    "kept",
    ["on 31.10.2017 at 22:10", "I paid $1500.00", "iPhone 8 on iOS11", "got 500GB", "open 24/7"],
)
def test_dates_amounts_and_product_names_stay(kept: str) -> None:
    assert MASKER.mask(kept) == kept


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my order #A12345 never came", "my order #[order number] never came"),
        ("order number 98765", "order number [order number]"),
        ("Bestellnummer: 4711-0815", "Bestellnummer: [order number]"),
        ("account no. 99887766", "account no. [account number]"),
        ("Kundennummer 12345", "Kundennummer [account number]"),
        ("ticket #20931 again", "ticket #[order number] again"),
        ("see #98231", "see [order number]"),
        ("ref 48213377", "ref [number]"),
        ("call 01712345678", "call [phone]"),
        ("code X7Y9Z2W4 failed", "code [code] failed"),
    ],
)
def test_order_and_account_numbers_and_codes_are_masked(text: str, expected: str) -> None:
    assert MASKER.mask(text) == expected


@pytest.mark.parametrize(
    "link",
    ["https://t.co/AbC123xyz", "t.co/xyz", "http://example.com/a?b=1&c=@x", "www.example.org/u/42"],
)
def test_links_are_masked_whole(link: str) -> None:
    assert MASKER.mask(f"see {link} now") == "see [link] now"


def test_short_identities_are_not_masked_as_words() -> None:
    assert Masker.of(identities=["12"]).mask("12 euros") == "12 euros"


def test_reference_is_keyed_by_the_salt_and_stable() -> None:
    first = reference("twcs-3", b"salt")
    assert first == reference("twcs-3", b"salt")
    assert first != reference("twcs-3", b"other")
    assert first != reference("twcs-4", b"salt")
    assert len(first) == 16
    assert int(first, 16) >= 0
