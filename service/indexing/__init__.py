"""Search: feeding the index after commit or from a worker (``indexer``), searching under the reading rule."""
