"""A bounded walk over the pages of one `_lastUpdated` search.

Nextech orders search results by creation, not by lastUpdated, so a tick that stops early
cannot move a lastUpdated cursor past what it has not read. Instead the feed says where to
resume (`resume_link`), and the engine moves the cursor only when a series is `complete`
(to no later than the moment the series began: items changed meanwhile carry newer stamps).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar
from urllib.parse import quote

from integrations.http import follow_links
from integrations.nextech.parse import BundlePage

T = TypeVar("T")

# Nextech answers `_lastUpdated` with a time from 14.3 on; older servers take a date only.
DATETIME_LASTUPDATED_SINCE = (14, 3)


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def last_updated_param(since: datetime, *, server_version: str) -> str:
    """`ge<since>`: a UTC time with `+00:00` (the query encoder sends `+` as `%2B`)."""
    if since.tzinfo is None:
        raise ValueError("a polling cursor must be timezone-aware")
    if version_tuple(server_version) < DATETIME_LASTUPDATED_SINCE:
        # A date is read in the practice's local day; a day earlier never misses a change.
        return "ge" + (since.astimezone(UTC) - timedelta(days=1)).date().isoformat()
    return "ge" + since.astimezone(UTC).isoformat(timespec="seconds")


def query_encode(params: list[tuple[str, str]]) -> str:
    """Percent-encode values; a literal `+` must reach Nextech as `%2B`, never as a space."""
    return "&".join(f"{quote(key, safe=':.')}={quote(value, safe=':,')}" for key, value in params)


class ChangeFeed(Generic[T]):
    """Iterate for pages; afterwards `complete` and `resume_link` say how the walk ended.

    `resume_link` is set as each page is handed out: once the caller has stored that page,
    it is where the next tick continues. `max_pages` keeps one tick bounded.
    """

    def __init__(self, *, first_link: str, fetch: Callable[[str], BundlePage[T]],
                 max_pages: int | None = None) -> None:
        if max_pages is not None and max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self.first_link = first_link
        self.fetch = fetch
        self.max_pages = max_pages
        self.pages_read = 0
        self.complete = False
        self.resume_link: str | None = first_link

    def __iter__(self) -> Iterator[BundlePage[T]]:
        def fetch_pair(link: str) -> tuple[BundlePage[T] | None, str | None]:
            page = self.fetch(link)
            return (page if page.entry_count else None), page.next_link

        for page in follow_links(self.first_link, fetch_pair):
            self.pages_read += 1
            self.resume_link = page.next_link
            yield page
            if page.next_link and self.max_pages and self.pages_read >= self.max_pages:
                return  # bounded: the caller keeps resume_link for the next tick
        self.complete = True
        self.resume_link = None

    def items(self) -> Iterator[T]:
        for page in self:
            yield from page.items
