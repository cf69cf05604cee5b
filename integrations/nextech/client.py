"""The Nextech client: one short method per endpoint on the shared HTTP base.

Takes plain values (never Django models). Every request carries `nx-practice-id`, a
timeout (from the base) and passes a 20 requests/s per-endpoint limiter first.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Generic, TypeVar

import requests

from integrations.clock import SYSTEM_CLOCK, Clock
from integrations.http import DEFAULT_TIMEOUT, ApiClientBase, ApiError, ErrorKind
from integrations.nextech import parse
from integrations.nextech.auth import (
    REFRESH_TOKEN_WARNING,
    TOKEN_URL,
    Credentials,
    InMemoryTokenStore,
    PartnerCredentials,
    TokenKeeper,
    TokenStore,
)
from integrations.nextech.errors import (
    NEXTECH_ERROR_TABLE,
    SYSTEM,
    PatientAlreadyExists,
    config_error,
)
from integrations.nextech.patient_create import PatientDraft, patient_body_build
from integrations.nextech.polling import ChangeFeed, last_updated_param, query_encode
from integrations.nextech.resources import (
    FLAVORS,
    Appointment,
    AppointmentPurpose,
    AppointmentStatus,
    AppointmentType,
    Flavor,
    Location,
    NextechParseError,
    Patient,
    PaymentReconciliation,
    Practitioner,
)
from integrations.ratelimit import SlidingWindowLimiter

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_PAGE_SIZE = 50  # Nextech's hard maximum for _count


@dataclass(frozen=True)
class SearchResult(Generic[T]):
    """A whole search, read to the end: the records and the entries that did not parse."""

    items: tuple[T, ...]
    errors: tuple[NextechParseError, ...]


class NextechClient(ApiClientBase):
    system: ClassVar[str] = SYSTEM
    error_table = NEXTECH_ERROR_TABLE
    requests_per_second: ClassVar[int] = 20  # per endpoint, per user

    APPOINTMENT = "Appointment"
    PATIENT = "Patient"
    PAYMENT = "PaymentReconciliation"
    LOCATION = "Location"
    PRACTITIONER = "Practitioner"
    APPOINTMENT_TYPE = "appointment-type"
    APPOINTMENT_PURPOSE = "appointment-purpose"
    APPOINTMENT_STATUS = "appointment-status"

    def __init__(
        self,
        *,
        base_url: str,
        practice_id: str,
        flavor: Flavor,
        credentials: Credentials,
        token_url: str = TOKEN_URL,
        token_store: TokenStore | None = None,
        session: requests.Session | None = None,
        clock: Clock = SYSTEM_CLOCK,
        server_version: str = "17.0",
        page_size: int = MAX_PAGE_SIZE,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(base_url=base_url, session=session, clock=clock, timeout=timeout)
        if flavor not in FLAVORS:
            raise ValueError(f"flavor must be one of {FLAVORS}")
        if (flavor == "practiceplus") != isinstance(credentials, PartnerCredentials):
            raise ValueError("Practice+ signs in with partner credentials, Select with a user")
        self.practice_id = practice_id
        self.flavor = flavor
        self.token_url = token_url
        self.server_version = server_version
        self.page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        self.limiter = SlidingWindowLimiter(max_calls=self.requests_per_second, per_seconds=1.0,
                                            clock=clock)
        self.tokens = TokenKeeper(credentials=credentials, clock=clock,
                                  store=token_store or InMemoryTokenStore(),
                                  post_form=self._token_post)

    # ApiClientBase hooks ------------------------------------------------------
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.access_token()}",
                "nx-practice-id": self.practice_id}

    def refresh_auth(self) -> None:
        self.tokens.renew()

    def wait_for_slot(self, limiter_key: str) -> None:
        self.limiter.acquire(limiter_key)

    def backoff_seconds(self, kind: ErrorKind, attempt: int,
                        response: requests.Response | None) -> float:
        """Exponential with jitter; 429 starts at a full second because the window is 1 s."""
        base = 1.0 if kind is ErrorKind.RATE_LIMITED else 0.5
        ceiling = min(self.max_backoff_seconds, base * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not crypto

    def error_detail(self, response: requests.Response) -> tuple[str, Any]:
        reason, payload = super().error_detail(response)
        message = parse.operation_outcome_message(payload)
        if isinstance(payload, dict) and payload.get("error_description"):
            message = str(payload["error_description"]).splitlines()[0]
        return (message or reason)[:200], payload

    # Auth -----------------------------------------------------------------------
    def _token_post(self, form: dict[str, str]) -> Any:
        response = self.send("POST", self.token_url, data=form, authenticated=False,
                             limiter_key="POST token")
        return response.json()

    def authenticate(self) -> None:
        """Sign in now (onboarding's "test connection"); raises a config ApiError if refused."""
        self.tokens.renew()

    def refresh_token_expires_at(self) -> datetime | None:
        """When the Select refresh token lapses if unused (None for Practice+)."""
        return self.tokens.refresh_token_expires_at()

    def refresh_token_warning_due(self) -> bool:
        """True within 4 days of the refresh token lapsing: time to warn the agency."""
        expires = self.refresh_token_expires_at()
        return expires is not None and expires - self.clock.now() <= REFRESH_TOKEN_WARNING

    # Reading ---------------------------------------------------------------------
    def _json_get(self, link: str, *, resource: str) -> Any:
        if not link.startswith(self.base_url + "/"):
            # A paging link elsewhere would carry our bearer token off-site.
            raise config_error(f"Nextech sent a link outside {self.base_url}; not following it")
        for attempt in range(1, self.max_attempts + 1):
            response = self.send("GET", link, limiter_key=f"GET {resource}")
            try:
                return response.json()
            except ValueError:
                log.info("nextech GET %s -> malformed JSON (attempt %s)", resource, attempt)
                if attempt < self.max_attempts:
                    self.clock.sleep(self.backoff_seconds(ErrorKind.RETRY, attempt, response))
        raise ApiError(SYSTEM, ErrorKind.RETRY, 200, f"malformed JSON from {resource}")

    def _link(self, resource: str, params: list[tuple[str, str]]) -> str:
        query = query_encode([*params, ("_count", str(self.page_size))])
        return f"{self.base_url}/{resource}?{query}"

    def _feed(self, resource: str, parser: Callable[[Any], T], *, first_link: str,
              max_pages: int | None) -> ChangeFeed[T]:
        def fetch(link: str) -> parse.BundlePage[T]:
            return parse.bundle_parse(self._json_get(link, resource=resource), parser)

        return ChangeFeed(first_link=first_link, fetch=fetch, max_pages=max_pages)

    def _search_all(self, resource: str, parser: Callable[[Any], T],
                    params: list[tuple[str, str]] | None = None) -> SearchResult[T]:
        items: list[T] = []
        errors: list[NextechParseError] = []
        for page in self._feed(resource, parser, first_link=self._link(resource, params or []),
                               max_pages=None):
            items.extend(page.items)
            errors.extend(page.errors)
        return SearchResult(items=tuple(items), errors=tuple(errors))

    def changes_poll(self, *, resource: str, parser: Callable[[Any], T], since: datetime,
                     max_pages: int | None = None, resume_link: str | None = None) -> ChangeFeed[T]:
        """Everything changed at or after `since`, page by page (see `ChangeFeed`)."""
        stamp = last_updated_param(since, server_version=self.server_version)
        first = resume_link or self._link(resource, [("_lastUpdated", stamp)])
        return self._feed(resource, parser, first_link=first, max_pages=max_pages)

    def appointments_poll(self, *, since: datetime, max_pages: int | None = None,
                          resume_link: str | None = None) -> ChangeFeed[Appointment]:
        return self.changes_poll(resource=self.APPOINTMENT, parser=parse.appointment_parse,
                                 since=since, max_pages=max_pages, resume_link=resume_link)

    def patients_poll(self, *, since: datetime, max_pages: int | None = None,
                      resume_link: str | None = None) -> ChangeFeed[Patient]:
        return self.changes_poll(resource=self.PATIENT, parser=parse.patient_parse,
                                 since=since, max_pages=max_pages, resume_link=resume_link)

    def payments_poll(self, *, since: datetime, max_pages: int | None = None,
                      resume_link: str | None = None) -> ChangeFeed[PaymentReconciliation]:
        return self.changes_poll(resource=self.PAYMENT, parser=parse.payment_parse,
                                 since=since, max_pages=max_pages, resume_link=resume_link)

    def appointments_between(self, *, start: date, end: date, max_pages: int | None = None,
                             resume_link: str | None = None) -> ChangeFeed[Appointment]:
        """Appointments dated in [start, end], page by page: the backfill's search."""
        window = [("date", f"ge{start.isoformat()}"), ("date", f"le{end.isoformat()}")]
        first = resume_link or self._link(self.APPOINTMENT, window)
        return self._feed(self.APPOINTMENT, parse.appointment_parse, first_link=first,
                          max_pages=max_pages)

    def appointment_get(self, *, appointment_id: str) -> Appointment:
        link = f"{self.base_url}/{self.APPOINTMENT}/{appointment_id}"
        return parse.appointment_parse(self._json_get(link, resource=self.APPOINTMENT))

    def patient_get(self, *, patient_id: str) -> Patient:
        """One patient by GUID or chart number."""
        link = f"{self.base_url}/{self.PATIENT}/{patient_id}"
        return parse.patient_parse(self._json_get(link, resource=self.PATIENT))

    # Catalogs (the category spreadsheet, location and practitioner set-up) ----------
    def appointment_types_list(self) -> SearchResult[AppointmentType]:
        return self._search_all(self.APPOINTMENT_TYPE, parse.appointment_type_parse)

    def appointment_purposes_list(self) -> SearchResult[AppointmentPurpose]:
        return self._search_all(self.APPOINTMENT_PURPOSE, parse.appointment_purpose_parse)

    def appointment_statuses_list(self) -> SearchResult[AppointmentStatus]:
        """Practice-defined statuses; Practice+ has no such resource, so none."""
        if self.flavor == "practiceplus":
            return SearchResult(items=(), errors=())
        return self._search_all(self.APPOINTMENT_STATUS, parse.appointment_status_parse)

    def locations_list(self, *, include_unmanaged: bool = True) -> SearchResult[Location]:
        params = [("includeAll", "true")] if include_unmanaged else []
        return self._search_all(self.LOCATION, parse.location_parse, params)

    def practitioners_list(self) -> SearchResult[Practitioner]:
        return self._search_all(self.PRACTITIONER, parse.practitioner_parse)

    # Patients ------------------------------------------------------------------------
    def patients_search(self, *, family: str | None = None, given: str | None = None,
                        birthdate: date | None = None, email: str | None = None,
                        phone: str | None = None) -> SearchResult[Patient]:
        """Exact-match search, to link a CRM contact to the patient Nextech already has."""
        params = [(f"{name}:exact", value) for name, value in
                  (("family", family), ("given", given), ("email", email)) if value]
        if phone:
            params.append(("phone", phone))
        if birthdate:
            params.append(("birthdate", birthdate.isoformat()))
        if not params:
            raise ValueError("a patient search needs at least one of its fields")
        return self._search_all(self.PATIENT, parse.patient_parse, params)

    def patient_create(self, *, draft: PatientDraft) -> Patient:
        """POST /Patient after checking the flavor's required fields (PatientValidationError).

        A duplicate raises `PatientAlreadyExists`; find it with `patients_search` to link it.
        A retried POST is safe: Nextech's own duplicate rule turns a repeat into that 409.
        """
        body = patient_body_build(draft=draft, flavor=self.flavor, today=self.clock.now().date())
        try:
            response = self.send("POST", f"{self.base_url}/{self.PATIENT}", json=body,
                                 limiter_key=f"POST {self.PATIENT}")
        except ApiError as exc:
            if exc.status == 409:
                raise PatientAlreadyExists(SYSTEM, ErrorKind.RECORD, 409,
                                           "this patient already exists in Nextech",
                                           exc.payload) from None
            raise
        return parse.patient_parse(response.json())
