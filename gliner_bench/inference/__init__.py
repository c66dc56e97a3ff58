"""Running a model on texts: the pipeline every family shares (``pipeline.py``: words, windows, batches), the steps
that differ by family (``families/``), call options (``options.py``), label generation for decoders
(``generation.py``) and subtoken batches (``tokenization.py``). Span candidates and decoding are ``spans/``."""
