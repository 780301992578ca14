"""TMDb, the one outside service: the client and its resilience (breaker, shared pause, retry),
the cached extras (trailers, cast, providers), neighbours for titles MovieLens does not know,
where to watch and My services, and the placeholder art shown when TMDb has none."""
