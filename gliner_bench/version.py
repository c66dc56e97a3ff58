"""The package version (one place; ``results`` and ``environment`` read it without importing the package)."""

__version__ = "0.1.0"
