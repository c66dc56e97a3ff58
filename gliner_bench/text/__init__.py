"""Text before any model: words with char offsets, label sets, prompts, annotated records, entity type names.

Torch-free (tests/test_imports.py checks it): the evaluation's readers, the leaderboard and the app read these
without loading a model.
"""
