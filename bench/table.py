"""Prints the comparison tables from seam-bench's JSON records, checks
issue 12's targets, and plots latency against load (PNG) when matplotlib is
available.

    python3 bench/table.py target/bench/results.jsonl [latency.png]

With several rounds (`ROUNDS=3 bench/compare.sh`), each figure is the
median of the rounds with its lowest and highest beside it, and each
target is checked round by round: the servers of one round ran in the
same minutes, so their ratios are the fair ones on a noisy machine."""
import json
import statistics
import sys

records = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
servers = list(dict.fromkeys(r["server"] for r in records))
rounds = sorted({r.get("round", 1) for r in records})


def runs(server, scenario, pairs=None, rate=None):
    """The records of one measurement, one per round, in round order."""
    out = []
    for r in records:
        if r["server"] != server or r["scenario"] != scenario:
            continue
        if pairs is not None and (r["pairs"], r["rate_per_sender"]) != (pairs, rate):
            continue
        out.append(r)
    return sorted(out, key=lambda r: r.get("round", 1))


def figure(rs, key):
    """The median of `key` over `rs`, or None."""
    values = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(values) if values else None


def cell(rs, key, fmt, unit="", scale=1.0):
    """The median, and the spread when there is more than one round."""
    values = [r[key] * scale for r in rs if r.get(key) is not None]
    if not values:
        return "n/a"
    text = fmt.format(statistics.median(values)) + unit
    if len(values) > 1:
        text += " (" + fmt.format(min(values)) + "–" + fmt.format(max(values)) + ")"
    return text


rated = [r for r in records if r["scenario"] == "relay" and r["rate_per_sender"] > 0]
levels = sorted({r["pairs"] for r in rated})
top = max(levels, default=0)
flat_pairs = next((r["pairs"] for r in records if r["scenario"] == "relay" and r["rate_per_sender"] == 0), 0)

if len(rounds) > 1:
    print(f"{len(rounds)} rounds: each figure is the median (lowest–highest)\n")

header = ["server", "RSS/idle conn", f"flat out ({flat_pairs} pairs) msgs/s", "CPU/msg",
          f"p50 @{top} pairs", "p99", "p99.9"]
table = [header]
for s in servers:
    idle = runs(s, "idle")
    flat = runs(s, "relay", flat_pairs, 0)
    at_top = runs(s, "relay", top, 1) if top else []
    table.append([s, cell(idle, "bytes_per_conn", "{:.2f}", " KiB", 1 / 1024),
                  cell(flat, "delivered_per_s", "{:,.0f}"), cell(flat, "cpu_us_per_msg", "{:.2f}", " µs"),
                  cell(at_top, "p50_ms", "{:.2f}", " ms"), cell(at_top, "p99_ms", "{:.2f}", " ms"),
                  cell(at_top, "p999_ms", "{:.2f}", " ms")])


def print_table(rows):
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))


print_table(table)

if levels:
    print("\nserver CPU per delivered message at N pairs × 1 msg/s")
    rows = [["server"] + [f"{n} pairs" for n in levels]]
    for s in servers:
        rows.append([s] + [cell(runs(s, "relay", n, 1), "cpu_us_per_msg", "{:.1f}", " µs") for n in levels])
    print_table(rows)


def per_round(server, scenario, key, pairs=None, rate=None):
    """`key` of one measurement by round."""
    return {r.get("round", 1): r[key] for r in runs(server, scenario, pairs, rate) if r.get(key) is not None}


def check(name, a, b, test, show):
    """Prints a target checked in every round both sides ran in (`test`
    None: only the figures)."""
    both = sorted(set(a) & set(b))
    if not both:
        return
    values = [show(a[k], b[k]) for k in both]
    if test is None:
        verdict = ""
    else:
        met = sum(1 for k in both if test(a[k], b[k]))
        verdict = "met" if met == len(both) else ("not met" if met == 0 else f"met in {met} of {len(both)} rounds")
    print(f"  {name:<44} {' / '.join(values):<32} {verdict}")


mem, sql = "seam", "seam-sqlite"
if mem in servers and sql in servers:
    print("\nissue 12's targets, round by round")
    ratio = lambda a, b: f"{a / b:.2f}×"
    check("SQLite flat-out rate ≥ 0.5× memory's", per_round(sql, "relay", "delivered_per_s", flat_pairs, 0),
          per_round(mem, "relay", "delivered_per_s", flat_pairs, 0), lambda a, b: a >= 0.5 * b, ratio)
    check("SQLite flat-out CPU/msg ≤ 2× memory's", per_round(sql, "relay", "cpu_us_per_msg", flat_pairs, 0),
          per_round(mem, "relay", "cpu_us_per_msg", flat_pairs, 0), lambda a, b: a <= 2 * b, ratio)
    if top:
        p99 = per_round(sql, "relay", "p99_ms", top, 1)
        check(f"SQLite p99 at {top} pairs < 5 ms", p99, p99, lambda a, _: a < 5, lambda a, _: f"{a:.2f} ms")
        check(f"SQLite CPU/msg at {top} pairs ≤ Socket.IO's", per_round(sql, "relay", "cpu_us_per_msg", top, 1),
              per_round("socket.io", "relay", "cpu_us_per_msg", top, 1), lambda a, b: a <= b, ratio)
    for n in levels:
        check(f"what durability adds at {n} pairs", per_round(sql, "relay", "cpu_us_per_msg", n, 1),
              per_round(mem, "relay", "cpu_us_per_msg", n, 1), None, lambda a, b: f"{a - b:+.0f} µs")
    check("memory flat-out CPU/msg ≤ Node ws's", per_round(mem, "relay", "cpu_us_per_msg", flat_pairs, 0),
          per_round("node-ws", "relay", "cpu_us_per_msg", flat_pairs, 0), lambda a, b: a <= b, ratio)
    for n in levels:
        check(f"memory CPU/msg at {n} pairs ≤ Node ws's", per_round(mem, "relay", "cpu_us_per_msg", n, 1),
              per_round("node-ws", "relay", "cpu_us_per_msg", n, 1), lambda a, b: a <= b, ratio)
    for s in (mem, sql):
        idle = per_round(s, "idle", "bytes_per_conn")
        conns = figure(runs(s, "idle"), "conns") or 0
        check(f"{s}: idle conn ≤ 5 KiB (of {conns:,.0f})", idle, idle, lambda a, _: a <= 5 * 1024,
              lambda a, _: f"{a / 1024:.2f} KiB")
    print("  (\"what durability adds\" is a figure, not a target: the issue asks that group commit pay at low rates)")

if len(sys.argv) > 2:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no plot)")
        sys.exit(0)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s in servers:
        points = [(n, figure(runs(s, "relay", n, 1), "p50_ms"), figure(runs(s, "relay", n, 1), "p99_ms"))
                  for n in levels if runs(s, "relay", n, 1)]
        if points:
            x = [p[0] for p in points]
            ax.plot(x, [p[2] for p in points], marker="o", label=f"{s} p99")
            ax.plot(x, [p[1] for p in points], marker=".", linestyle="--", label=f"{s} p50")
    ax.set_xlabel("pairs, each sending 1 msg/s")
    ax.set_ylabel("sender→receiver latency (ms, median of rounds)")
    ax.set_yscale("log")
    ax.set_title("Relay latency against load (2 cores, loopback)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)
    print(f"plot: {sys.argv[2]}")
