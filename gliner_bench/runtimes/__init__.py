"""What a model runs in besides torch fp32: bf16 and int8 encoders (``precision.py``, ``int8.py``, ``smoothing.py``)
and ONNX exports run by onnxruntime (``onnx/``). Importing this package loads no torch."""
