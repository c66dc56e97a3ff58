"""Spans: candidate selection from scores (``candidates.py``) and greedy decoding into entities (``decoding.py``).
Shared by the networks (the relex and decoder forward passes select their entity candidates) and the pipeline.
Importing this package, or ``decoding.py``, loads no torch."""
