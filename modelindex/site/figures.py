"""The comparison page's plots, as plotly figures: one of the chosen metric against MACs, one
against parameters.

The figures are made here: each collection's style (a colour and a marker, so that 100
collections differ), the axes (cost on a log scale), and how a value that validate reports as an
error is drawn (marked, and kept from stretching the axes). The page fills in the points of the
models its filters select, from the same rows as the table, and draws them with plotly.js, which
plotly's wheel carries: the site needs no network.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

# plotly's qualitative "D3" colours, then its marker symbols: 10 x 10 pairs.
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross",
           "star", "hexagon", "pentagon", "triangle-down", "star-square")  # fmt: skip
# Cost axes: the row key, the axis title and the hover's name for it.
AXES = (("macs", "MACs"), ("parameters", "Parameters"))
PLOTLY_FILE = "plotly.min.js"
LEGEND_LIMIT = 100


class PlotlyMissing(RuntimeError):
    """plotly's wheel, which carries plotly.js, is not installed."""


def plotly_js() -> Path:
    """plotly.js as plotly's wheel installs it. Found without importing plotly (whose import
    is slow and pulls in its own dependencies)."""
    spec = importlib.util.find_spec("plotly")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "package_data" / PLOTLY_FILE
        if path.is_file():
            return path
    raise PlotlyMissing("plotly is not installed: pip install plotly (it carries plotly.js)")


def collection_styles(collections: list[str]) -> dict[str, dict[str, str]]:
    """A marker per collection, in name order: the colour changes first, then the symbol, so
    that the first 100 collections each look different."""
    return {
        name: {
            "color": COLOURS[position % len(COLOURS)],
            "symbol": SYMBOLS[(position // len(COLOURS)) % len(SYMBOLS)],
        }
        for position, name in enumerate(sorted(collections))
    }


def _layout(title: str) -> dict[str, Any]:
    return {
        "height": 440,
        "margin": {"l": 64, "r": 8, "t": 8, "b": 48},
        "hovermode": "closest",
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": {
            "type": "log",
            "title": {"text": f"{title} (log scale)"},
            # SI prefixes: 25M, 4G, as the table writes counts.
            "exponentformat": "SI",
            "minor": {"ticks": "outside", "showgrid": True},
        },
        "yaxis": {"title": {"text": ""}, "zeroline": False},
        "legend": {
            "title": {"text": "Collection"},
            "itemsizing": "constant",
            "groupclick": "toggleitem",
        },
        "showlegend": False,
    }


def figures() -> dict[str, Any]:
    """What the page's script needs to draw the plots: per axis the layout, and the config."""
    return {
        "axes": [{"key": key, "title": title, "layout": _layout(title)} for key, title in AXES],
        "config": {
            "displaylogo": False,
            "responsive": True,
            "modeBarButtonsToRemove": ["select2d", "lasso2d"],
            "toImageButtonOptions": {"format": "png", "scale": 2},
        },
        "flagged": {
            "name": "reported by validate as an error",
            "marker": {
                "color": "#d62728",
                "symbol": "x-thin-open",
                "size": 11,
                "line": {"width": 2, "color": "#d62728"},
            },
            # Beyond the axes, at their edge, pointing the way the value lies.
            "above": "triangle-up-open",
            "below": "triangle-down-open",
        },
        "frontier": {"name": "Pareto frontier", "line": {"color": "#555", "width": 1.5}},
        # Collections past this many share one trace, with no legend.
        "legend_limit": LEGEND_LIMIT,
    }
