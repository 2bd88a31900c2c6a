"""Import every model module so that `Base.metadata` describes the whole schema."""

from maltastic.analytics.models import DailyRollup
from maltastic.audit.models import AuditLogEntry
from maltastic.campaigns.models import Banner, Campaign
from maltastic.db.base import Base
from maltastic.directory.models import Department, Employee
from maltastic.integrations.models import IntegrationCredential
from maltastic.relay.models import RelayLogEntry
from maltastic.signatures.models import SignatureTemplate
from maltastic.targeting.models import Account, Contact, TargetGroup
from maltastic.tenants.models import Tenant, TenantDomain, TenantNetwork, TrackingOptOut
from maltastic.tracking.models import TokenSigningKey, TrackingEvent
from maltastic.users.models import Membership, User

__all__ = [
    "Account",
    "AuditLogEntry",
    "Banner",
    "Base",
    "Campaign",
    "Contact",
    "DailyRollup",
    "Department",
    "Employee",
    "IntegrationCredential",
    "Membership",
    "RelayLogEntry",
    "SignatureTemplate",
    "TargetGroup",
    "Tenant",
    "TenantDomain",
    "TenantNetwork",
    "TokenSigningKey",
    "TrackingEvent",
    "TrackingOptOut",
    "User",
]
