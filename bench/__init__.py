"""The benchmark (``make bench``: bench/run.py, asserting nothing, never run by
``make test``) and the sample-data generator with its commands; no domain code."""
