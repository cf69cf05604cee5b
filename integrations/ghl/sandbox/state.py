"""The sandbox's data, per location, and the rules real GoHighLevel applies to it
(upsert duplicate matching, custom field ids, eventually consistent search)."""

from __future__ import annotations

import secrets
import string
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from integrations.clock import Clock
from integrations.ghl.normalize import email_normalize, phone_normalize
from integrations.ghl.sandbox.schema import birth_date_parse
from integrations.sandbox_kit.faults import FaultPlan

_ALPHABET = string.ascii_letters + string.digits


def new_id(length: int = 20) -> str:
    """GoHighLevel ids look like 20 alphanumerics (`ve9EPM428h8vShlRW1KT`)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class SbContact:
    id: str
    location_id: str
    date_added: datetime
    searchable_at: datetime  # the search index lags writes [WEB: help.hoopai.com]
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: date | None = None
    source: str | None = None
    # First-touch attribution (form, ad click): read-only in the API, set by the CRM itself.
    attribution_source: dict[str, Any] | None = None
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)  # field id -> value
    other: dict[str, Any] = field(default_factory=dict)  # declared fields we only echo


@dataclass
class SbLocation:
    id: str
    name: str
    company_id: str
    contacts: dict[str, SbContact] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    workflows: list[dict[str, Any]] = field(default_factory=list)
    enrolments: list[dict[str, Any]] = field(default_factory=list)
    opportunities: dict[str, dict[str, Any]] = field(default_factory=dict)
    custom_fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: list[dict[str, Any]] = field(default_factory=list)
    # The "Allow Duplicate Contact" setting and its priority sequence.
    allow_duplicate_contact: bool = False
    duplicate_priority: tuple[str, ...] = ("email", "phone")
    ignored_custom_field_writes: int = 0  # writes real GHL would drop silently

    def field_id_resolve(self, item: dict[str, Any]) -> str | None:
        if item.get("id") in self.custom_fields:
            return str(item["id"])
        key = str(item.get("key") or "")
        for field_id, spec in self.custom_fields.items():
            if key and spec["fieldKey"] in (key, f"contact.{key}"):
                return field_id
        return None


@dataclass
class SbToken:
    kind: str  # "access", "refresh" or "pit"
    user_type: str  # "Location" or "Company"
    location_id: str | None
    company_id: str
    expires_at: datetime | None
    spent: bool = False


@dataclass
class SandboxState:
    clock: Clock
    company_id: str = "sandboxCompany0000001"
    oauth_client_id: str = "sandbox-app-client"
    oauth_client_secret: str = "sandbox-app-secret"
    oauth_scopes: tuple[str, ...] = ()
    search_delay_seconds: float = 5.0
    access_token_ttl_seconds: int = 86399
    burst_max: int = 100
    burst_interval_seconds: float = 10.0
    daily_limit: int = 200_000
    webhook_url: str | None = None
    webhook_public_pems: dict[str, str] = field(default_factory=dict)
    locations: dict[str, SbLocation] = field(default_factory=dict)
    tokens: dict[str, SbToken] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)  # webhooks not yet sent
    faults: FaultPlan = field(default_factory=FaultPlan)
    windows: dict[str, deque[float]] = field(default_factory=dict)
    daily_used: Counter[tuple[str, str]] = field(default_factory=Counter)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def location(self, location_id: str) -> SbLocation:
        return self.locations[location_id]

    # Tokens ------------------------------------------------------------------
    def token_issue(self, *, kind: str, user_type: str, location_id: str | None,
                    ttl_seconds: float | None) -> str:
        prefix = {"access": "sbx-at-", "refresh": "sbx-rt-", "pit": "pit-"}[kind]
        token = prefix + secrets.token_urlsafe(24)
        expires = self.clock.now() + timedelta(seconds=ttl_seconds) if ttl_seconds else None
        self.tokens[token] = SbToken(kind=kind, user_type=user_type, location_id=location_id,
                                     company_id=self.company_id, expires_at=expires)
        return token

    def token_valid(self, token: str, *, kind: str) -> SbToken | None:
        record = self.tokens.get(token)
        if record is None or record.spent or record.kind != kind:
            return None
        if record.expires_at is not None and record.expires_at <= self.clock.now():
            return None
        return record

    def access_tokens_revoke(self, *, location_id: str) -> int:
        """Invalidate a location's access tokens (as if GoHighLevel rotated its keys)."""
        hit = [t for t in self.tokens.values()
               if t.kind == "access" and t.location_id == location_id and not t.spent]
        for record in hit:
            record.spent = True
        return len(hit)

    # Rate limits ---------------------------------------------------------------
    def quota_take(self, resource: str) -> dict[str, str] | None:
        """Count one request; None when over a limit, else the X-RateLimit headers."""
        now = self.clock.monotonic()
        window = self.windows.setdefault(resource, deque())
        while window and window[0] <= now - self.burst_interval_seconds:
            window.popleft()
        day = self.clock.now().date().isoformat()
        used = self.daily_used[(resource, day)]
        if len(window) >= self.burst_max or used >= self.daily_limit:
            return None
        window.append(now)
        self.daily_used[(resource, day)] = used + 1
        return self.quota_headers(resource)

    def quota_headers(self, resource: str) -> dict[str, str]:
        window = self.windows.get(resource, deque())
        now = self.clock.now()
        used = self.daily_used[(resource, now.date().isoformat())]
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(),
                                    tzinfo=now.tzinfo)
        return {
            "X-RateLimit-Limit-Daily": str(self.daily_limit),
            "X-RateLimit-Daily-Remaining": str(max(0, self.daily_limit - used)),
            "X-RateLimit-Interval-Milliseconds": str(int(self.burst_interval_seconds * 1000)),
            "X-RateLimit-Max": str(self.burst_max),
            "X-RateLimit-Remaining": str(max(0, self.burst_max - len(window))),
            "X-RateLimit-Daily-Reset": str(int(midnight.timestamp() * 1000)),
        }


def contact_identifiers(body: dict[str, Any]) -> dict[str, str | None]:
    """Email and phone as GoHighLevel stores them; an unparseable phone is kept as sent."""
    raw_phone = body.get("phone")
    try:
        phone = phone_normalize(raw_phone) if raw_phone else None
    except ValueError:
        phone = raw_phone
    return {"email": email_normalize(body.get("email")), "phone": phone}


def contact_upsert(*, state: SandboxState, location: SbLocation,
                   body: dict[str, Any]) -> tuple[SbContact, bool]:
    """The upsert rule of ghl-api.md 4.1: match by the configured priority; when the
    email and the phone belong to two different contacts, update the first and
    silently drop the second identifier [ISSUE:#37]."""
    idents = contact_identifiers(body)
    matches: list[tuple[str, SbContact]] = []
    for ident in location.duplicate_priority:
        value = idents.get(ident)
        found = next((c for c in location.contacts.values()
                      if value and getattr(c, ident) == value), None)
        if found is not None:
            matches.append((ident, found))
    force_new = bool(body.get("createNewIfDuplicateAllowed")) and location.allow_duplicate_contact
    now = state.clock.now()
    if matches and not force_new:
        contact, created = matches[0][1], False
    else:
        contact = SbContact(id=new_id(), location_id=location.id, date_added=now,
                            searchable_at=now + timedelta(seconds=state.search_delay_seconds))
        location.contacts[contact.id] = contact
        created = True
    for ident, value in idents.items():
        owner = next((c for i, c in matches if i == ident), None)
        if value and (owner is None or owner is contact or force_new):
            setattr(contact, ident, value)
    contact_fields_apply(location=location, contact=contact, body=body)
    return contact, created


def contact_fields_apply(*, location: SbLocation, contact: SbContact,
                         body: dict[str, Any]) -> None:
    """Everything but the identifiers; `tags` here replaces the whole list, as in GHL."""
    simple = {"firstName": "first_name", "lastName": "last_name", "source": "source"}
    for key, attr in simple.items():
        if key in body:
            setattr(contact, attr, body[key])
    if "dateOfBirth" in body:  # checked by the route: one of the spec's formats, or null
        contact.date_of_birth = birth_date_parse(body["dateOfBirth"])
    if "tags" in body:
        contact.tags = list(dict.fromkeys(body["tags"] or []))
    for item in body.get("customFields") or []:
        field_id = location.field_id_resolve(item)
        if field_id is None:
            location.ignored_custom_field_writes += 1
            continue
        contact.custom_fields[field_id] = item.get("field_value")
    skip = {"locationId", "email", "phone", "tags", "customFields", "dateOfBirth",
            "createNewIfDuplicateAllowed", *simple}
    contact.other.update({k: v for k, v in body.items() if k not in skip})
