"""The results: a table on the terminal, a JSON and a CSV file, and a PNG chart.

Everything is drawn from one results dict (the JSON file's content), so the chart and the
table can never disagree with the file.
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OURS, PEER = "#2b6cb0", "#dd6b20"


def _num(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def peer_table(peer: dict[str, Any]) -> list[str]:
    head = (f"{'query':<44} {'ours req/s':>11} {'p50 ms':>8} {'p99 ms':>8}   "
            f"{'PostGraphile':>12} {'p50 ms':>8} {'p99 ms':>8}   {'ours/PG':>7} {'s/run':>6}")  # fmt: skip
    lines = [head, "-" * len(head)]
    for q in peer["queries"].values():
        o, p = q["ours"], q["postgraphile"]
        ratio = f"{q['ratio_rps']:.2f}x" if q.get("ratio_rps") else "-"
        lines.append(
            f"{q['title']:<44} {_num(o.get('rps')):>11} {_num(o.get('p50_ms')):>8}"
            f" {_num(o.get('p99_ms')):>8}   {_num(p.get('rps')):>12} {_num(p.get('p50_ms')):>8}"
            f" {_num(p.get('p99_ms')):>8}   {ratio:>7} {_num(q.get('seconds_per_run'), 0):>6}"
        )
        failed = {side: q[side].get("failed") for side in ("ours", "postgraphile")}
        if any(failed.values()):
            lines.append(f"{'':<44} FAILED responses: {failed}")
        for note in q.get("notes", []):
            lines.append(f"{'':<44} note: {note}")
    return lines


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            out.extend(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return [(prefix, ", ".join(str(v) for v in value))]
        out = []
        for index, item in enumerate(value):
            out.extend(flatten(item, f"{prefix}[{index}]"))
        return out
    return [(prefix, value)]


def print_report(results: dict[str, Any], out=print) -> None:
    m, s = results["machine"], results["settings"]
    out("")
    out(f"Benchmark {results['date']} on {m['cores']} cores, {m['memory_gib']} GiB"
        f" ({m.get('postgresql', '?')}, Python {m['python']}, Node {m.get('node', '?')});"
        f" load average {m['load_at_start']:.1f} at the start, {m['load_at_end']:.1f} at the end")  # fmt: skip
    for name, section in results["sections"].items():
        out("")
        if section["status"] != "ok":
            out(f"== {name}: {section['status'].upper()}: {section['reason']}")
            continue
        if name == "peer":
            out(f"== us vs PostGraphile {section.get('postgraphile_version', '')}"
                f" ({section['tool']}, {s['concurrency']} connections, {s['rounds']} rounds A B"
                f" of at least {s['duration']:g} s a run; medians of the rounds)")  # fmt: skip
            for line in peer_table(section):
                out(line)
            continue
        out(f"== {name}")
        for key, value in flatten(section["figures"]):
            out(f"  {key}: {value}")


def write_files(results: dict[str, Any], folder: Path, stem: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / f"{stem}.json"
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    csv_path = folder / f"{stem}.csv"
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["section", "figure", "value"])
        for name, section in results["sections"].items():
            body = section.get("figures") or section.get("queries") or {"status": section}
            for key, value in flatten(body):
                if ".rounds[" not in key:  # per-round figures stay in the JSON
                    writer.writerow([name, key, value])
    return [json_path, csv_path]


def ensure_matplotlib(log=print) -> bool:
    """Install the `bench` extra of pyproject.toml into this interpreter when missing."""
    try:
        import matplotlib  # noqa: F401

        return True
    except ImportError:
        pass
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = extras.get("optional-dependencies", {}).get("bench", ["matplotlib"])
    log(f"installing the chart dependencies ({', '.join(wanted)})")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *wanted], check=False)
    if done.returncode != 0:
        return False
    try:
        import matplotlib  # noqa: F401

        return True
    except ImportError:
        return False


def _extra_lines(results: dict[str, Any]) -> list[str]:
    lines = []
    for name, section in results["sections"].items():
        if name == "peer":
            continue
        if section["status"] != "ok":
            lines.append(f"{name}: {section['status']} ({section['reason'][:110]})")
        elif name == "codegen":
            parts = [
                f"{db} {f['seconds']:.1f} s"
                + (f" ({f['floor_ratio']:.2f}x floor)" if "floor_ratio" in f else "")
                for db, f in section["figures"].items()
            ]
            lines.append(f"generate codes (_1m: 1,000,000): {', '.join(parts)}")
        else:
            shown = [f"{k}={v}" for k, v in flatten(section["figures"])[:6]]
            lines.append(f"{name}: {', '.join(shown)}")
    return lines


def draw(results: dict[str, Any], path: Path) -> Path | None:
    peer = results["sections"].get("peer", {})
    if peer.get("status") != "ok":
        return None
    import matplotlib

    matplotlib.use("Agg")  # no display: write the file only
    import matplotlib.pyplot as plt

    queries = list(peer["queries"].values())
    labels = [
        f"{q['title']}\nours / PostGraphile = "
        + (f"{q['ratio_rps']:.2f}x" if q.get("ratio_rps") else "n/a")
        for q in queries
    ]
    extra = _extra_lines(results)
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(13, 2.0 + 1.3 * len(queries) + 0.25 * len(extra))
    )
    rows = range(len(queries))
    height = 0.38
    for offset, side, colour, name in ((-height / 2, "ours", OURS, "ours (strawberry)"),
                                        (height / 2, "postgraphile", PEER, "PostGraphile 5")):  # fmt: skip
        # A side without a completed response has no figure: NaN leaves its bar out.
        rps = [q[side].get("rps", float("nan")) for q in queries]
        p50 = [q[side].get("p50_ms", float("nan")) for q in queries]
        p99 = [q[side].get("p99_ms", float("nan")) for q in queries]
        ys = [r + offset for r in rows]
        left.barh(ys, rps, height, color=colour, label=name)
        for y, value in zip(ys, rps, strict=False):
            if not math.isnan(value):
                left.text(
                    value * 1.04,
                    y,
                    f"{value:,.{1 if value < 100 else 0}f}",
                    va="center",
                    fontsize=8,
                )
        right.barh(ys, p50, height, color=colour)
        right.errorbar(p99, ys, fmt="|", color="black", markersize=9)
        right.hlines(ys, p50, p99, color="black", linewidth=1)
        for y, a, b in zip(ys, p50, p99, strict=False):
            if not math.isnan(b):
                right.text(b * 1.06, y, f"{a:,.1f} / {b:,.1f}", va="center", fontsize=8)
    for axis, title in ((left, "Throughput, req/s (higher is better)"),
                        (right, "Latency: bar p50, whisker to p99, ms (lower is better)")):  # fmt: skip
        axis.set_xscale("log")
        axis.set_yticks(list(rows))
        axis.invert_yaxis()
        axis.set_title(title, fontsize=10)
        axis.grid(axis="x", which="both", alpha=0.25)
        lo, hi = axis.get_xlim()
        axis.set_xlim(lo, hi * 3)  # room for the value labels
    left.set_yticklabels(labels, fontsize=9)
    right.set_yticklabels([])
    # One legend for both panels, between the title and the plots: it never hides a bar.
    fig.legend(*left.get_legend_handles_labels(), loc="upper center", ncol=2, fontsize=9,
               bbox_to_anchor=(0.5, 0.955), frameon=False)  # fmt: skip
    m, s = results["machine"], results["settings"]
    fig.suptitle(
        f"Discount API vs PostGraphile 5, {results['date']}: {m['cores']} cores,"
        f" {m['memory_gib']} GiB; one server process each, {s['concurrency']} connections,"
        f" {s['rounds']} rounds of alternating runs ({peer['tool']}); load average"
        f" {m['load_at_start']:.1f} at the start",
        fontsize=11,
    )
    if extra:
        fig.text(0.01, 0.01, "\n".join(extra), fontsize=8, va="bottom", family="monospace")
    fig.tight_layout(rect=(0, 0.02 + 0.025 * len(extra), 1, 0.92))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
