"""The suite's bar chart: one panel per scenario, requests per second per framework."""

from __future__ import annotations

from typing import Any

COLOURS = {
    "pegboard": "#1f77b4",
    "falcon": "#ff7f0e",
    "flask": "#2ca02c",
    "cherrypy": "#d62728",
    "raw": "#7f7f7f",
    "whitenoise": "#9467bd",
}


def draw(rows: list[Any], path: str, subtitle: str) -> None:
    """Write a PNG to ``path``: horizontal bars of req/s with pegboard's speed-up over each."""
    import matplotlib

    matplotlib.use("Agg")  # no display: render straight to the file
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    readable = FuncFormatter(_readable)

    scenarios: list[str] = []
    for row in rows:
        if row.scenario not in scenarios:
            scenarios.append(row.scenario)
    columns = 2
    lines = (len(scenarios) + columns - 1) // columns
    fig, axes = plt.subplots(lines, columns, figsize=(15, 3.3 * lines), squeeze=False)
    for ax, title in zip(axes.flat, scenarios, strict=False):
        panel = [r for r in rows if r.scenario == title]
        names = [r.name for r in panel][::-1]
        values = [r.rps or 0.0 for r in panel][::-1]
        colours = [COLOURS.get(r.framework, "#8c564b") for r in panel][::-1]
        bars = ax.barh(names, values, color=colours)
        top = max(values, default=0.0) or 1.0
        for bar, row in zip(bars, panel[::-1], strict=True):
            if row.rps:
                label = f" {row.rps:,.0f}"
                if row.speedup and not row.reference:
                    label += f"  (pegboard {row.speedup:.2f}x)"
            else:
                label = " not run" if row.note.startswith("NOT RUN") else " n/a"
            ax.text(
                bar.get_width(), bar.get_y() + bar.get_height() / 2, label, va="center", fontsize=8
            )
        ax.set_xlim(0, top * 1.45)
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xlabel("requests/s (higher is better)", fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.xaxis.set_major_formatter(readable)
    for ax in list(axes.flat)[len(scenarios) :]:
        ax.set_visible(False)
    fig.suptitle(f"pegboard vs Falcon, Flask, CherryPy ({subtitle})", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _readable(value: float, _position: int) -> str:
    """Tick labels: 250k, 1.5M rather than an offset exponent."""
    if value >= 1e6:
        return f"{value / 1e6:g}M"
    if value >= 1e3:
        return f"{value / 1e3:g}k"
    return f"{value:g}"
