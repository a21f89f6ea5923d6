"""Full-text search over letters: a Thai analyzer and a small index API (Whoosh behind it).

This package knows nothing about the service's models; callers pass plain values (:class:`IndexDoc`).
"""

from search.index import Hit, IndexDoc, SearchIndex, SearchQuery, SearchResult, parse_date_range

__all__ = ["Hit", "IndexDoc", "SearchIndex", "SearchQuery", "SearchResult", "parse_date_range"]
