#!/usr/bin/env python3
"""Plots bench/cluster.sh's relay records as an SVG (no dependencies).

    python3 bench/cluster_plot.py target/bench/cluster.jsonl docs/cluster-bench.svg

Left: flat-out delivered msgs/s and server CPU per message (all nodes
summed) for 1, 2 and 3 nodes. Right: latency p50/p99 at the fixed rate,
receiver on the sender's node against another node.
"""
import json
import sys

records = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
relay = [r for r in records if r.get("scenario") == "relay"]
flat = [r for r in relay if not r["rate_per_sender"]]
rated = [r for r in relay if r["rate_per_sender"]]

W, H, PAD = 900, 360, 50
out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>']


def bars(x0, title, groups, series, unit_fmt, shared=False):
    """groups: labels; series: list of (name, colour, values); `shared`
    puts every series on one scale."""
    common = max((max(v) for _, _, v in series if v), default=1) or 1
    width = W / 2 - 2 * PAD
    top, bottom = 40, H - 60
    out.append(f'<text x="{x0 + width / 2}" y="20" text-anchor="middle" font-weight="bold">{title}</text>')
    group_w = width / max(len(groups), 1)
    bar_w = group_w / (len(series) + 1)
    for s, (name, colour, values) in enumerate(series):
        peak = common if shared else (max(values) if values and max(values) > 0 else 1)
        for g, v in enumerate(values):
            h = (bottom - top) * v / peak
            x = x0 + g * group_w + (s + 0.5) * bar_w
            out.append(f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{bar_w * 0.9:.1f}" height="{h:.1f}" fill="{colour}"/>')
            out.append(f'<text x="{x + bar_w * 0.45:.1f}" y="{bottom - h - 4:.1f}" text-anchor="middle" font-size="10">{unit_fmt[s](v)}</text>')
        out.append(f'<rect x="{x0 + s * 150}" y="{H - 25}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{x0 + s * 150 + 14}" y="{H - 16}">{name}</text>')
    for g, label in enumerate(groups):
        out.append(f'<text x="{x0 + (g + 0.5) * group_w:.1f}" y="{bottom + 16}" text-anchor="middle">{label}</text>')
    out.append(f'<line x1="{x0}" y1="{bottom}" x2="{x0 + width}" y2="{bottom}" stroke="black"/>')


bars(PAD, "Flat out, 100 pairs (bars scaled per series)",
     [r["server"] for r in flat],
     [("delivered msgs/s", "#4477aa", [r["delivered_per_s"] for r in flat]),
      ("server CPU µs/msg", "#ee6677", [r["cpu_us_per_msg"] or 0 for r in flat])],
     [lambda v: f"{v:,.0f}", lambda v: f"{v:.1f}"])
bars(W / 2 + PAD, f"{rated[0]['pairs'] if rated else 0} pairs x 1 msg/s, latency (ms)",
     [r["server"] for r in rated],
     [("p50", "#228833", [r["p50_ms"] for r in rated]),
      ("p99", "#ccbb44", [r["p99_ms"] for r in rated])],
     [lambda v: f"{v:.1f}", lambda v: f"{v:.1f}"], shared=True)
out.append("</svg>")
open(sys.argv[2], "w").write("\n".join(out))
print(f"wrote {sys.argv[2]}")
