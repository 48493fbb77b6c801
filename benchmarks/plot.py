"""Plot benchmark results (from ``run.py --json``): time against graph size, one line per engine and step.

    python benchmarks/plot.py results.json [more-results.json ...] docs/benchmarks.png

Several results files are plotted together, each adding its sizes (a 10M run made apart, say).

Needs matplotlib (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

STEPS = (
    ("load", "load"),
    ("queries", "median canned query"),
    ("export", "Turtle export"),
    ("validate_all", "full validation"),
)
STYLE = {"relgraph": "-o", "rdflib": "--s", "pyoxigraph": ":^"}


def main() -> None:
    """Plot the results JSON files named first to the PNG named last."""
    if len(sys.argv) < 3:
        sys.exit("usage: plot.py RESULTS.json [MORE.json ...] OUTPUT.png")
    runs = [json.loads(Path(name).read_text()) for name in sys.argv[1:-1]]
    output = Path(sys.argv[-1])
    results = runs[0]
    sizes = {label: size for run in runs for label, size in run["sizes"].items()}
    labels = sorted(sizes, key=lambda label: sizes[label]["triples"])
    xs = [sizes[label]["triples"] for label in labels]
    figure, axes = plt.subplots(1, len(STEPS), figsize=(4.2 * len(STEPS), 4), sharex=True)
    for axis, (key, title) in zip(axes, STEPS, strict=True):
        for engine, style in STYLE.items():
            points = []
            for x, label in zip(xs, labels, strict=True):
                data = sizes[label].get(engine, {})
                if key == "queries":
                    values = [v for v in data.get("queries", {}).values() if isinstance(v, float)]
                    value = statistics.median(values) if values else None
                else:
                    value = data.get(key)
                if isinstance(value, float):
                    points.append((x, value))
            if points:
                axis.plot(*zip(*points, strict=True), style, label=engine)
        if key == "export":  # relgraph's unsorted export (--no-sort) too
            extra = [
                (x, sizes[label].get("relgraph", {}).get("export_unsorted"))
                for x, label in zip(xs, labels, strict=True)
            ]
            extra = [(x, value) for x, value in extra if isinstance(value, float)]
            if extra:
                axis.plot(*zip(*extra, strict=True), "-.x", label="relgraph --no-sort")
                axis.legend()
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_title(title)
        axis.set_xlabel("triples")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("seconds (log)")
    axes[0].legend()
    machine = results.get("machine", {})
    figure.suptitle(
        f"relgraph vs rdflib vs pyoxigraph — {machine.get('cpu', '')}, Python {machine.get('python', '')}",
        fontsize=10,
    )
    figure.tight_layout()
    figure.savefig(output, dpi=110)
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
