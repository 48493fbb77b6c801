"""Plot benchmark results (from ``run.py --json``): time against graph size, one line per engine and step.

    python benchmarks/plot.py results.json docs/benchmarks.png

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
    """Plot ``sys.argv[1]`` (results JSON) to ``sys.argv[2]`` (PNG)."""
    results = json.loads(Path(sys.argv[1]).read_text())
    output = Path(sys.argv[2])
    sizes = results["sizes"]
    labels = list(sizes)
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
