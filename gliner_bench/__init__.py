"""gliner-bench: the GLiNER family of zero-shot NER models, reimplemented, benchmarked and demonstrated."""

from .config import ARCHITECTURES, GLiNERConfig
from .model import GLiNER

__version__ = "0.1.0"
__all__ = ["ARCHITECTURES", "GLiNER", "GLiNERConfig", "__version__"]
