"""Full-text search over letters: a Thai analyzer and a small index API (Whoosh storage, our own query engine).

This package knows nothing about the service's models; callers pass plain values (:class:`IndexDoc`).
"""

from search.index import (
    SCHEMA_VERSION,
    Hit,
    IndexDoc,
    SearchIndex,
    SearchIndexOutdated,
    SearchQuery,
    SearchResult,
    parse_date_range,
)

__all__ = [
    "SCHEMA_VERSION",
    "Hit",
    "IndexDoc",
    "SearchIndex",
    "SearchIndexOutdated",
    "SearchQuery",
    "SearchResult",
    "parse_date_range",
]
