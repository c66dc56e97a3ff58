"""What a model is, as plain data: its configuration (``schema.py``), the architecture registry
(``registry.py``), the bundled defaults' settings (``defaults.py``) and what each family can do
(``capabilities.py``). Torch-free: the CLI, the app and the leaderboard read it before any model loads."""

from . import registry
from .schema import (
           ARCHITECTURES,
           SUBTOKEN_POOLING,
           ConfigError,
           GLiNERConfig,
           check_field_types,
           derive_architecture,
)

__all__ = ["ARCHITECTURES", "SUBTOKEN_POOLING", "ConfigError", "GLiNERConfig", "check_field_types",
           "derive_architecture", "registry"]
