"""Helpers the tests and the benchmarks share, importable from the repository root.

Not part of the app: nothing in ``recsys``, ``pages`` or ``app.py`` imports this package.

* :mod:`testkit.layout`: the IMDb and MovieLens file layouts, written from title specs by one
  writer; :mod:`testkit.world`: the two datasets built on it (the random "world" and the
  hand-made app catalog);
* :mod:`testkit.frames`: tiny hand-written training frames for model and engine tests;
* :mod:`testkit.factories`: settings, a migrated database, an ingested service, a fitted engine;
* :mod:`testkit.pg_server`: a private PostgreSQL server for a test run or a benchmark;
* :mod:`testkit.tmdb_server`: a local HTTP server that plays TMDb;
* :mod:`testkit.visits`: what one simulated visitor of the load benchmark clicks and checks.

The test suite finds it through ``pythonpath = ["."]`` in ``pyproject.toml``; a benchmark script
puts the repository root on ``sys.path`` before importing it.
"""
