"""The Leaderboard and Scaling tabs: the tables ``gliner-bench leaderboard`` wrote under ``leaderboards/`` and the
same plotly figures, rebuilt from those tables (the app never edits or regenerates the published files)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..leaderboard import figures, tables

REPO_LEADERBOARDS = Path(__file__).resolve().parents[2] / "leaderboards"


@dataclass
class LeaderboardView:
    root: Path
    f1: pd.DataFrame | None
    scale: pd.DataFrame | None
    throughput: pd.DataFrame | None
    reported: pd.DataFrame | None

    @property
    def missing(self) -> str | None:
        if self.f1 is None:
            return (f"No leaderboard found under {self.root.name}/: run `gliner-bench leaderboard` (or "
                    "`bash scripts/leaderboards.sh`) to generate it.")
        return None

    def headline(self) -> pd.DataFrame | None:
        return tables.headline(self.f1) if self.f1 is not None else None

    def f1_vs_labels(self):
        return figures.f1_vs_labels(self.scale) if self.scale is not None and len(self.scale) else None

    def throughput_vs_labels(self):
        if self.scale is None or self.throughput is None:
            return None
        return figures.throughput_vs_labels(self.scale, self.throughput)

    def f1_vs_throughput(self):
        return figures.f1_vs_throughput(self.f1) if self.f1 is not None and len(self.f1) else None


def _read(path: Path) -> pd.DataFrame | None:
    try:
        return pd.read_csv(path) if path.is_file() else None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return None


def load(root: str | Path | None = None) -> LeaderboardView:
    """``root`` (default: ``./leaderboards``, else the repository's) -> its tables; a missing or unreadable file
    leaves its table ``None``, which the tab reports instead of failing."""
    if root is None:
        root = Path("leaderboards") if Path("leaderboards/f1.csv").is_file() else REPO_LEADERBOARDS
    root = Path(root)
    return LeaderboardView(root, _read(root / "f1.csv"), _read(root / "scale.csv"), _read(root / "throughput.csv"),
                           _read(root / "reported.csv"))
