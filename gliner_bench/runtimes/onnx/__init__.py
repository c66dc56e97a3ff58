"""ONNX export of the uni- and bi-encoders, and running an export through onnxruntime (optional extra ``onnx``).

``export.py`` writes an export folder (``gliner-bench export``); ``runtime.py`` loads one behind the same
``GLiNER`` API (``GLiNER.from_pretrained(folder)``); ``graphs.py`` holds the traceable form of the computations.
"""

MANIFEST_FILE = "onnx_export.json"
FORMAT = "gliner-bench-onnx"
FORMAT_VERSION = 1
INSTALL_HINT = "pip install 'gliner-bench[onnx]' (onnxruntime and onnx)"
