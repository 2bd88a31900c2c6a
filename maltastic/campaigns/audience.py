"""The audience a message was personalised to, by database id, as tokens carry it."""

from __future__ import annotations

from dataclasses import dataclass

from maltastic.targeting.decision import AudienceKind


@dataclass(frozen=True, slots=True)
class Audience:
    """A contact (with its account, if known), an account, or nobody.

    `contact_id` is set only for a contact audience; `account_id` for an account
    audience and, where the contact's account is known, for a contact audience.
    """

    kind: AudienceKind
    account_id: int | None = None
    contact_id: int | None = None

    @classmethod
    def nobody(cls) -> Audience:
        return cls(AudienceKind.NONE)

    @classmethod
    def account(cls, account_id: int) -> Audience:
        return cls(AudienceKind.ACCOUNT, account_id=account_id)

    @classmethod
    def contact(cls, contact_id: int, account_id: int | None = None) -> Audience:
        return cls(AudienceKind.CONTACT, account_id=account_id, contact_id=contact_id)
