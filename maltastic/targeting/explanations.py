"""Explain a targeting decision in German and English for logs and the admin preview.

The admin preview shows the German text under "Warum dieses Banner?". Each text names
the addresses and domains that the rule looked at.

NOTE: the texts are not in the gettext catalogues, so German and English are the only
languages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from maltastic.targeting.decision import DecisionRule

# Longer lists end with "and N more", so a message to a big list keeps a short explanation.
MAX_LISTED_NAMES = 5


@dataclass(frozen=True, slots=True)
class _Texts:
    de: str
    en: str


# Templates per rule, for one external recipient and for several. Fields: {address} (the
# only external recipient), {addresses}, {count}, {domain} (the only domain), {domains},
# {domain_count}.
_SINGLE_TEXTS: dict[DecisionRule, _Texts] = {
    DecisionRule.SINGLE_CONTACT: _Texts(
        de="Der einzige externe Empfänger, {address}, ist ein bekannter Kontakt.",
        en="The only external recipient, {address}, is a known contact.",
    ),
    DecisionRule.SINGLE_ACCOUNT: _Texts(
        de=(
            "Der einzige externe Empfänger, {address}, ist kein bekannter Kontakt, "
            "daher ist {domain} der Ziel-Account."
        ),
        en=(
            "The only external recipient, {address}, is not a known contact, "
            "so the audience is the account {domain}."
        ),
    ),
    DecisionRule.FREEMAIL_NOT_ACCOUNT: _Texts(
        de=(
            "Der einzige externe Empfänger, {address}, ist kein bekannter Kontakt, "
            "und {domain} ist eine Freemail-Domain, die nie ein Account ist."
        ),
        en=(
            "The only external recipient, {address}, is not a known contact, "
            "and {domain} is a freemail domain, which is never an account."
        ),
    ),
    DecisionRule.NO_REGISTRABLE_DOMAIN: _Texts(
        de=(
            "Der einzige externe Empfänger, {address}, ist kein bekannter Kontakt, "
            "und {domain} ist ein öffentliches Suffix oder eine IP-Adresse, "
            "die nie ein Account ist."
        ),
        en=(
            "The only external recipient, {address}, is not a known contact, "
            "and {domain} is a public suffix or an IP address, which is never an account."
        ),
    ),
}

_SEVERAL_TEXTS: dict[DecisionRule, _Texts] = {
    DecisionRule.ONE_DOMAIN: _Texts(
        de="Alle {count} externen Empfänger ({addresses}) gehören zu {domain}, "
        "daher ist {domain} der Ziel-Account.",
        en="All {count} external recipients ({addresses}) are at {domain}, "
        "so the audience is that account.",
    ),
    DecisionRule.FREEMAIL_NOT_ACCOUNT: _Texts(
        de="Alle {count} externen Empfänger ({addresses}) gehören zur Freemail-Domain "
        "{domain}, die nie ein Account ist.",
        en="All {count} external recipients ({addresses}) are at the freemail domain "
        "{domain}, which is never an account.",
    ),
    DecisionRule.NO_REGISTRABLE_DOMAIN: _Texts(
        de="Alle {count} externen Empfänger ({addresses}) gehören zu {domain}, einem "
        "öffentlichen Suffix oder einer IP-Adresse, die nie ein Account ist.",
        en="All {count} external recipients ({addresses}) are at {domain}, a public "
        "suffix or an IP address, which is never an account.",
    ),
    DecisionRule.SEVERAL_DOMAINS: _Texts(
        de="Die externen Empfänger gehören zu {domain_count} Domains ({domains}), "
        "daher wird die Nachricht nicht personalisiert.",
        en="The external recipients are at {domain_count} domains ({domains}), "
        "so the message is not personalised.",
    ),
}

_NO_EXTERNAL = _Texts(
    de="Die Nachricht hat keinen externen Empfänger, daher wird sie nicht personalisiert.",
    en="The message has no external recipient, so it is not personalised.",
)
_UNREADABLE = _Texts(
    de="Der Empfänger {recipient} ist keine lesbare Adresse; die Nachricht könnte an eine "
    "weitere Firma gehen, daher wird sie nicht personalisiert.",
    en="The recipient {recipient} is not a readable address; the message could go to "
    "another company, so it is not personalised.",
)
_IGNORED = _Texts(
    de=" Empfänger an eigenen oder internen Domains zählen nicht: {ignored}.",
    en=" Recipients at own or internal domains do not count: {ignored}.",
)
_MORE = _Texts(de="{names} und {count} weitere", en="{names} and {count} more")


def explain(
    rule: DecisionRule,
    *,
    addresses: Sequence[str],
    domains: Sequence[str],
    ignored: Sequence[str] = (),
) -> tuple[str, str]:
    """Write the German and the English explanation of a decision.

    ``addresses`` are the external recipients and ``domains`` their registrable domains
    (or the domain itself where it has none), both sorted. ``ignored`` are the recipients
    at own or internal domains, which only the NO_EXTERNAL text names.
    """
    if rule is DecisionRule.NO_EXTERNAL:
        if not ignored:
            return _NO_EXTERNAL.de, _NO_EXTERNAL.en
        return (
            _NO_EXTERNAL.de + _IGNORED.de.format(ignored=_join(ignored, "de")),
            _NO_EXTERNAL.en + _IGNORED.en.format(ignored=_join(ignored, "en")),
        )

    if rule is DecisionRule.UNREADABLE_RECIPIENT:
        recipient = _join(addresses, "de")
        return _UNREADABLE.de.format(recipient=recipient), _UNREADABLE.en.format(
            recipient=_join(addresses, "en")
        )

    texts = _SINGLE_TEXTS[rule] if len(addresses) == 1 else _SEVERAL_TEXTS[rule]
    return (
        _format(texts.de, "de", addresses, domains),
        _format(texts.en, "en", addresses, domains),
    )


def _format(template: str, language: str, addresses: Sequence[str], domains: Sequence[str]) -> str:
    return template.format(
        address=addresses[0],
        addresses=_join(addresses, language),
        count=len(addresses),
        domain=domains[0],
        domains=_join(domains, language),
        domain_count=len(domains),
    )


def _join(names: Sequence[str], language: str) -> str:
    listed = ", ".join(names[:MAX_LISTED_NAMES])
    if len(names) <= MAX_LISTED_NAMES:
        return listed
    template = _MORE.de if language == "de" else _MORE.en
    return template.format(names=listed, count=len(names) - MAX_LISTED_NAMES)
