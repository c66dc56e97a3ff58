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

    def app_headline(self) -> pd.DataFrame | None:
        """The page's ranking table: rank, model, the zero-shot tasks and their mean, throughput (the README's
        table less the architecture, the raw-text column and the tasks seen in training, which ``app_seen`` has)."""
        table = self.headline()
        if table is None:
            return None
        keep = ["rank", "model", tables.MEAN] + [c for c in table.columns if c in _zero_shot(self.f1)
                                                  and not c.endswith(" raw")]
        out = table[[c for c in dict.fromkeys(keep) if c in table]].copy()
        out["model"] = out["model"].str.removeprefix("bundled:")
        if "texts/s" in table:
            out["texts/s"] = table["texts/s"]
        return out

    def app_seen(self) -> pd.DataFrame | None:
        """The rest of the README's table: the tasks some model trained on, parameters, raw-text F1."""
        table = self.headline()
        if table is None:
            return None
        shown = set(self.app_headline().columns) - {"model"}
        rest = [c for c in table.columns if c not in shown and c not in ("rank", "architecture", tables.SEPARATOR)]
        out = table[rest].copy()
        out["model"] = out["model"].str.removeprefix("bundled:")
        return out

    def app_scale(self) -> pd.DataFrame | None:
        if self.scale is None:
            return None
        out = self.scale[["model", "task", "labels", "F1", "F1 low", "F1 high", "texts/s"]].copy()
        out["model"] = out["model"].str.removeprefix("bundled:")
        return out

    def f1_vs_labels(self):
        return _fit(figures.f1_vs_labels(self.scale)) if self.scale is not None and len(self.scale) else None

    def throughput_vs_labels(self):
        if self.scale is None or self.throughput is None:
            return None
        return _fit(figures.throughput_vs_labels(self.scale, self.throughput))

    def f1_vs_throughput(self):
        return _fit(figures.f1_vs_throughput(self.f1)) if self.f1 is not None and len(self.f1) else None


def _zero_shot(frame: pd.DataFrame) -> list[str]:
    return tables.zero_shot_tasks(frame) + [tables.MEAN]


def _fit(fig):
    """A published figure made to follow the page's width: no fixed size, the legend under the plot, margins
    that keep the axis titles inside."""
    fig.update_layout(width=None, autosize=True, height=560, margin={"l": 60, "r": 20, "t": 60, "b": 40},
                      legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0},
                      title={"font": {"size": 15}})
    return fig


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
