"""The Hamkor benchmark: ``make bench`` (``bench/run.py``). Not a test suite: it
asserts nothing and ``make test`` never runs it. See docs/performance.md."""
