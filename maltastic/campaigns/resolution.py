"""Campaign resolution: which campaign's banner a sender and audience get right now.

Order of precedence:
1. active recipient-based campaigns whose target group contains the contact, or the
   contact's or audience's account, by priority;
2. otherwise the active sender-based campaigns of the sender's department, by priority;
3. otherwise the tenant's default campaign, if it is active;
4. otherwise none (the caller serves a transparent image and the tenant's website).

Lower priority numbers win; equal priorities fall back to the lower campaign id, so the
banner request and the click a moment later resolve alike. Every lookup reads
an in-memory index that never changes after it is built, without a database round
trip. Each index keeps its results until the next campaign start or end.
"""

from __future__ import annotations

import datetime as dt
import enum
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from maltastic.campaigns.audience import Audience
from maltastic.targeting.decision import AudienceKind


class ResolutionReason(enum.StrEnum):
    CONTACT_GROUP = "contact_group"  # the contact is in a contact-level target group
    ACCOUNT_GROUP = "account_group"  # the account is in an account-level target group
    DEPARTMENT = "department"  # the sender's department campaign
    TENANT_DEFAULT = "tenant_default"


@dataclass(frozen=True, slots=True)
class ResolvedCampaign:
    campaign_id: int
    banner_id: int
    target_url: str
    reason: ResolutionReason


@dataclass(frozen=True, slots=True)
class IndexedCampaign:
    """The part of a campaign that resolution needs; paused campaigns are never indexed."""

    campaign_id: int
    banner_id: int
    target_url: str
    priority: int
    starts_at: dt.datetime | None = None  # timezone-aware UTC
    ends_at: dt.datetime | None = None
    # The result of resolving to this campaign for each reason, built once, because
    # resolution runs for every banner request.
    resolved_forms: dict[ResolutionReason, ResolvedCampaign] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        forms = {
            reason: ResolvedCampaign(self.campaign_id, self.banner_id, self.target_url, reason)
            for reason in ResolutionReason
        }
        object.__setattr__(self, "resolved_forms", forms)

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.priority, self.campaign_id)

    def is_active(self, now: dt.datetime) -> bool:
        if self.starts_at is not None and now < self.starts_at:
            return False
        return self.ends_at is None or now < self.ends_at


class MembershipTable:
    """The groups of each member (contact or account id).

    Two parallel arrays sorted by member id take 12 bytes per membership, far less than
    a dict of Python ints, which matters at a million contacts.
    """

    def __init__(self, pairs: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(pairs)
        self._members = array("q", (member for member, _group in ordered))
        self._groups = array("l", (group for _member, group in ordered))

    def groups_of(self, member_id: int) -> Sequence[int]:
        start = bisect_left(self._members, member_id)
        end = bisect_right(self._members, member_id, lo=start)
        return self._groups[start:end]

    def __len__(self) -> int:
        return len(self._members)

    def memory_bytes(self) -> int:
        return self._members.itemsize * len(self._members) + self._groups.itemsize * len(
            self._groups
        )


@dataclass(frozen=True)
class CampaignIndex:
    """Everything one tenant needs to resolve campaigns, built once and never changed.

    `group_campaigns` maps a target group id to its recipient-based campaigns, sorted by
    priority; `department_campaigns` does the same for sender-based campaigns.
    """

    tenant_id: int
    contact_groups: MembershipTable
    account_groups: MembershipTable
    group_campaigns: dict[int, tuple[IndexedCampaign, ...]]
    department_campaigns: dict[int, tuple[IndexedCampaign, ...]]
    employee_departments: dict[int, int | None]
    default_campaign: IndexedCampaign | None
    built_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    _memo: ResolutionMemo = field(
        default_factory=lambda: ResolutionMemo(), init=False, repr=False, compare=False
    )

    def resolve(
        self, employee_id: int, audience: Audience, now: dt.datetime
    ) -> ResolvedCampaign | None:
        """Return the campaign for this sender and audience at `now`, or None."""
        window = self._memo.window_of(now, self)
        key = (employee_id, audience.kind, audience.account_id, audience.contact_id)
        try:
            return window.results[key]
        except KeyError:
            result = self.resolve_now(employee_id, audience, now)
            window.remember(key, result)
            return result

    def schedule_boundaries(self) -> list[dt.datetime]:
        """Return every moment at which one of the indexed campaigns starts or ends, sorted."""
        campaigns = [campaign for group in self.group_campaigns.values() for campaign in group]
        campaigns += [
            campaign for group in self.department_campaigns.values() for campaign in group
        ]
        if self.default_campaign is not None:
            campaigns.append(self.default_campaign)
        moments = {campaign.starts_at for campaign in campaigns}
        moments |= {campaign.ends_at for campaign in campaigns}
        return sorted(moment for moment in moments if moment is not None)

    def resolve_now(
        self, employee_id: int, audience: Audience, now: dt.datetime
    ) -> ResolvedCampaign | None:
        """Resolve without the memo, walking the groups and campaigns."""
        recipient_campaign = self._resolve_recipient(audience, now)
        if recipient_campaign is not None:
            return recipient_campaign

        department_id = self.employee_departments.get(employee_id)
        if department_id is not None:
            campaign = first_active(self.department_campaigns.get(department_id, ()), now)
            if campaign is not None:
                return resolved(campaign, ResolutionReason.DEPARTMENT)

        default = self.default_campaign
        if default is not None and default.is_active(now):
            return resolved(default, ResolutionReason.TENANT_DEFAULT)
        return None

    def _resolve_recipient(self, audience: Audience, now: dt.datetime) -> ResolvedCampaign | None:
        if audience.kind is AudienceKind.NONE:
            return None
        best: tuple[IndexedCampaign, ResolutionReason] | None = None
        if audience.contact_id is not None:
            groups = self.contact_groups.groups_of(audience.contact_id)
            best = self._best_active(groups, ResolutionReason.CONTACT_GROUP, now, best)
        if audience.account_id is not None:
            groups = self.account_groups.groups_of(audience.account_id)
            best = self._best_active(groups, ResolutionReason.ACCOUNT_GROUP, now, best)
        return resolved(*best) if best is not None else None

    def _best_active(
        self,
        group_ids: Sequence[int],
        reason: ResolutionReason,
        now: dt.datetime,
        best: tuple[IndexedCampaign, ResolutionReason] | None,
    ) -> tuple[IndexedCampaign, ResolutionReason] | None:
        """Return the better of `best` and the first active campaign of each group.

        Each group's campaigns are sorted by priority, so the first active one is that
        group's best.
        """
        for group_id in group_ids:
            campaign = first_active(self.group_campaigns.get(group_id, ()), now)
            if campaign is not None and (best is None or campaign.sort_key < best[0].sort_key):
                best = (campaign, reason)
        return best


MemoKey = tuple[int, AudienceKind, int | None, int | None]  # employee, audience
# Per index, so per tenant: about 100 bytes an entry, 1.6 MiB when full.
MAX_MEMO_ENTRIES = 16384
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)
_LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)


class ScheduleWindow:
    """The time between two campaign starts or ends, with results resolved within it.

    Within a window no campaign starts or ends, so a result depends only on the sender
    and the audience.
    """

    __slots__ = ("end", "results", "start")

    def __init__(self, start: dt.datetime, end: dt.datetime) -> None:
        self.start = start
        self.end = end
        self.results: dict[MemoKey, ResolvedCampaign | None] = {}

    def remember(self, key: MemoKey, result: ResolvedCampaign | None) -> None:
        if len(self.results) >= MAX_MEMO_ENTRIES:
            self.results.clear()
        self.results[key] = result


class ResolutionMemo:
    """The resolution results of one index for its current schedule window.

    Threads may share an index. A thread works on the window it read and a new window
    replaces the old one whole, so a result never lands in a window it was not
    resolved in.
    """

    def __init__(self) -> None:
        self._boundaries: list[dt.datetime] | None = None
        self._window = ScheduleWindow(_LATEST, _LATEST)  # contains no moment

    def window_of(self, now: dt.datetime, index: CampaignIndex) -> ScheduleWindow:
        window = self._window
        if window.start <= now < window.end:
            return window
        if self._boundaries is None:
            self._boundaries = index.schedule_boundaries()
        boundaries = self._boundaries
        position = bisect_right(boundaries, now)
        start = boundaries[position - 1] if position else _EARLIEST
        end = boundaries[position] if position < len(boundaries) else _LATEST
        self._window = window = ScheduleWindow(start, end)
        return window


def first_active(campaigns: Iterable[IndexedCampaign], now: dt.datetime) -> IndexedCampaign | None:
    for campaign in campaigns:
        if campaign.is_active(now):
            return campaign
    return None


def resolved(campaign: IndexedCampaign, reason: ResolutionReason) -> ResolvedCampaign:
    return campaign.resolved_forms[reason]
