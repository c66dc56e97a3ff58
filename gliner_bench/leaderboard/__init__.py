"""Leaderboards: tables and figures regenerated from results files (``gliner-bench leaderboard``)."""
