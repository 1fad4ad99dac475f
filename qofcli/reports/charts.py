"""Charts for the HTML report, drawn with matplotlib and returned as inline SVG text (text kept as
text, no external font or image, no metadata), so the report opens offline."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import matplotlib
from matplotlib.figure import Figure

GREEN, AMBER, RED, GREY = "#1a9641", "#f39c12", "#c0392b", "#9e9e9e"
BAND, MAXIMUM, INK, PRACTICE = "#cfe0f3", "#e6e6e6", "#333333", "#6a1b9a"
STYLE: Any = {
    "svg.fonttype": "none",  # text stays text: no embedded glyphs, searchable, small
    "svg.hashsalt": "qofcli",  # stable element ids between runs
    "font.family": "sans-serif",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context(STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE (a DTD address)
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.DOTALL)


def _figure(width: float, rows: int, per_row: float = 0.28, top: float = 0.1) -> Figure:
    """A figure with fixed margins in inches (labels left, axis title below, legend on top):
    much faster than measuring the text for a tight layout, and alike from chart to chart."""
    left, bottom = 0.85, 0.45
    height = bottom + top + per_row * max(rows, 1)
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(width, height))
    figure.subplots_adjust(
        left=left / width, right=1 - 0.1 / width, bottom=bottom / height, top=1 - top / height
    )
    return figure


def achievement_chart(
    ids: Sequence[str],
    achievement: Sequence[float | None],
    lower: Sequence[float | None],
    upper: Sequence[float | None],
    computable: Sequence[bool],
) -> str:
    """One bar per indicator (achievement %) over its lower-upper threshold band."""
    with matplotlib.rc_context(STYLE):
        figure = _figure(6.2, len(ids))
        axes = figure.subplots()
        rows = range(len(ids))[::-1]
        for row, low, high in zip(rows, lower, upper, strict=True):
            if low is not None and high is not None:
                axes.barh(row, high - low, left=low, height=0.8, color=BAND, zorder=1)
        values = [a or 0.0 for a in achievement]
        colours = [
            _colour(a, lo, hi, ok)
            for a, lo, hi, ok in zip(achievement, lower, upper, computable, strict=True)
        ]
        axes.barh(list(rows), values, height=0.45, color=colours, zorder=2)
        for row, value, ok in zip(rows, achievement, computable, strict=True):
            label = "not computable" if not ok else ("no patients" if value is None else "")
            label = label or f"{value:.1f}%"
            axes.text(min((value or 0) + 1.5, 101), row, label, va="center", color=INK)
        axes.set_yticks(list(rows), list(ids))
        axes.set_xlim(0, 115)
        axes.set_xticks([0, 20, 40, 60, 80, 100])
        axes.set_xlabel("achievement % (shaded: lower to upper threshold)")
        return _svg(figure)


def _colour(value: float | None, lower: float | None, upper: float | None, ok: bool) -> str:
    if not ok or value is None or lower is None or upper is None:
        return GREY
    return GREEN if value >= upper else AMBER if value > lower else RED


def points_chart(labels: Sequence[str], points: Sequence[float], maxima: Sequence[float]) -> str:
    """Points achieved against points available, one bar per domain (or practice)."""
    with matplotlib.rc_context(STYLE):
        figure = _figure(6.2, len(labels), 0.24, top=0.3)
        axes = figure.subplots()
        rows = list(range(len(labels)))[::-1]
        axes.barh(rows, maxima, height=0.7, color=MAXIMUM, label="available")
        axes.barh(rows, points, height=0.7, color=GREEN, label="achieved")
        for row, got, most in zip(rows, points, maxima, strict=True):
            axes.text(most, row, f" {got:.1f} / {most:g}", va="center", color=INK)
        axes.set_yticks(rows, list(labels))
        axes.set_xlim(0, max(maxima, default=1) * 1.3 or 1)
        axes.set_xlabel("points")
        axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
        return _svg(figure)


def percentile_chart(labels: Sequence[str], percentiles: Sequence[float], where: str) -> str:
    """Where each register's prevalence sits among England's practices (percentile 0-100)."""
    with matplotlib.rc_context(STYLE):
        figure = _figure(6.2, len(labels), 0.24, top=0.3)
        axes = figure.subplots()
        rows = list(range(len(labels)))[::-1]
        axes.barh(rows, [80] * len(rows), left=10, height=0.6, color=BAND, label="middle 80%")
        axes.barh(rows, [50] * len(rows), left=25, height=0.6, color="#9ec3e6", label="middle 50%")
        axes.vlines(50, -0.5, len(rows) - 0.5, colors=INK, linewidth=0.8, label="median")
        axes.scatter(percentiles, rows, color=PRACTICE, zorder=3, s=22, label=where)
        axes.set_yticks(rows, list(labels))
        axes.set_xlim(0, 100)
        axes.set_xlabel("percentile of England's practices (prevalence, 2024-25)")
        axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, frameon=False)
        return _svg(figure)
