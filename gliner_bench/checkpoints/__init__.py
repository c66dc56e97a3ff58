"""Checkpoints on disk and the models built from them: reading and writing the reference's layout (``files.py``),
assembling a module tree from a checkpoint's parts (``assembly.py``), compact deltas over a packaged backbone
(``delta.py``, ``lora.py``), the bundled defaults (``bundled.py``) and the reference's loading keywords
(``load_options.py``)."""
