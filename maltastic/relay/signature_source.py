"""The contract between the relay and the signature renderer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from maltastic.directory.models import Employee
from maltastic.relay.mime import Signature
from maltastic.targeting import AudienceDecision


@dataclass(frozen=True, slots=True)
class TargetedAudience:
    """The targeting decision for one message with the database ids it names.

    `contact_id` is set for a contact audience whose contact is stored. `account_id` is
    set for an account audience whose account is stored, and for a stored contact's account.
    """

    decision: AudienceDecision
    account_id: int | None = None
    contact_id: int | None = None


class SignatureSource(Protocol):
    """Render the signature of one outgoing message.

    The relay calls this from a worker thread, so an implementation may block on the
    database. Return None when the sender gets no signature; the message is then relayed
    unchanged. An exception also relays the message unchanged and is logged.
    """

    def signature_for(
        self, tenant_id: int, employee: Employee, audience: TargetedAudience
    ) -> Signature | None: ...
