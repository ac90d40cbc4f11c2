#!/usr/bin/env python3
"""Plots `seam-bench recommend --out` records as an SVG (no dependencies).

    python3 bench/recommend_plot.py target/bench/recommend.jsonl docs/img/recommend.svg "title"

Left: cumulative regret (hidden resolution rate of each issue's best mode
minus that of the mode used, summed over sessions) against choosing a mode
uniformly at random. Right: per issue type, the share of the day's sessions
served in that day's best mode (exploration keeps it under 1 - 2 x 5 %).
"""
import json
import sys

records = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
title = sys.argv[3] if len(sys.argv) > 3 else ""
MODES = ["chat", "voice", "video"]
COLOURS = ["#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee"]

W, H, PAD = 900, 380, 50
out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>']
if title:
    out.append(f'<text x="{W / 2}" y="16" text-anchor="middle" font-weight="bold">{title}</text>')


def panel(x0, heading, series, y_max, y_fmt):
    """series: list of (name, colour, [y per day])."""
    width, top, bottom = W / 2 - 2 * PAD, 50, H - 70
    days = max((len(v) for _, _, v in series), default=1)
    out.append(f'<text x="{x0 + width / 2}" y="36" text-anchor="middle">{heading}</text>')
    out.append(f'<line x1="{x0}" y1="{bottom}" x2="{x0 + width}" y2="{bottom}" stroke="black"/>')
    out.append(f'<line x1="{x0}" y1="{top}" x2="{x0}" y2="{bottom}" stroke="black"/>')
    for i in range(5):
        v = y_max * i / 4
        y = bottom - (bottom - top) * i / 4
        out.append(f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10">{y_fmt(v)}</text>')
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + width}" y2="{y:.1f}" stroke="#eee"/>')
    for d in range(0, days, max(1, days // 6)):
        x = x0 + width * d / max(days - 1, 1)
        out.append(f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" font-size="10">{d}</text>')
    out.append(f'<text x="{x0 + width / 2}" y="{bottom + 30}" text-anchor="middle" font-size="11">day</text>')
    for s, (name, colour, values) in enumerate(series):
        points = " ".join(
            f"{x0 + width * d / max(days - 1, 1):.1f},{bottom - (bottom - top) * min(v / y_max, 1):.1f}"
            for d, v in enumerate(values))
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        lx = x0 + (s % 3) * (width / 3)
        ly = H - 26 + (s // 3) * 14
        out.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{lx + 14}" y="{ly}" font-size="11">{name}</text>')


regret = [r["cumulative_regret"] for r in records]
uniform = [r["cumulative_uniform_regret"] for r in records]
panel(PAD, "cumulative regret", [("recommended", COLOURS[0], regret), ("uniform choice", COLOURS[1], uniform)],
      max(uniform + regret + [1]), lambda v: f"{v:.0f}")

issues = sorted(records[0]["rates"].keys()) if records else []
shares = []
for i, issue in enumerate(issues):
    values = []
    for r in records:
        rates = r["rates"][issue]
        best = rates.index(max(rates))
        counts = r["modes"].get(issue, [0, 0, 0])
        values.append(counts[best] / sum(counts) if sum(counts) else 0)
    shares.append((issue, COLOURS[(i + 2) % len(COLOURS)], values))
panel(W / 2 + PAD, "share of sessions in the best mode", shares, 1.0, lambda v: f"{v * 100:.0f} %")
out.append("</svg>")
open(sys.argv[2], "w").write("\n".join(out))
print(f"wrote {sys.argv[2]}")
