"""Evaluation: metrics as pure functions (tasks, label scaling and results files build on them)."""
