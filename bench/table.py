"""Prints the comparison table from seam-bench's JSON records, and plots
latency against load (PNG) when matplotlib is available."""
import json
import sys

records = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
servers = list(dict.fromkeys(r["server"] for r in records))
idle = {r["server"]: r for r in records if r["scenario"] == "idle"}
flat = {r["server"]: r for r in records if r["scenario"] == "relay" and r["rate_per_sender"] == 0}
rated = [r for r in records if r["scenario"] == "relay" and r["rate_per_sender"] > 0]
top = max((r["pairs"] for r in rated), default=0)
at_top = {r["server"]: r for r in rated if r["pairs"] == top}

def cell(value, fmt):
    return fmt.format(value) if value is not None else "n/a"

rows = []
for s in servers:
    i, f, t = idle.get(s, {}), flat.get(s, {}), at_top.get(s, {})
    rows.append((s, i.get("conns"), i.get("bytes_per_conn"), f.get("delivered_per_s"), f.get("cpu_us_per_msg"),
                 t.get("p50_ms"), t.get("p99_ms"), t.get("p999_ms")))
print(f"{'server':<12} {'idle conns':>10} {'RSS/conn':>10} {'flat-out msgs/s':>16} {'CPU/msg':>9} "
      f"{'p50 @' + str(top) + ' pairs':>16} {'p99':>8} {'p99.9':>8}")
for s, conns, mem, rate, cpu, p50, p99, p999 in rows:
    print(f"{s:<12} {cell(conns, '{:>10}'):>10} {cell(mem and mem / 1024, '{:.1f} KiB'):>10} {cell(rate, '{:,.0f}'):>16} "
          f"{cell(cpu, '{:.2f} µs'):>9} {cell(p50, '{:.2f} ms'):>16} {cell(p99, '{:.2f} ms'):>8} {cell(p999, '{:.2f} ms'):>8}")
seam = dict(zip(["server", "conns", "mem", "rate", "cpu", "p50", "p99", "p999"], rows[0])) if rows else None
if seam and seam["server"] == "seam":
    print()
    for s, conns, mem, rate, cpu, *_ in rows[1:]:
        ratio = lambda a, b: f"{a / b:.2f}x" if a and b else "n/a"
        print(f"seam / {s:<11} memory per conn {ratio(seam['mem'], mem):>7}   CPU per msg {ratio(seam['cpu'], cpu):>7}   "
              f"flat-out rate {ratio(seam['rate'], rate):>7}")

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
        points = sorted((r["pairs"], r["p50_ms"], r["p99_ms"]) for r in rated if r["server"] == s)
        if points:
            x = [p[0] for p in points]
            ax.plot(x, [p[2] for p in points], marker="o", label=f"{s} p99")
            ax.plot(x, [p[1] for p in points], marker=".", linestyle="--", label=f"{s} p50")
    ax.set_xlabel("pairs, each sending 1 msg/s")
    ax.set_ylabel("sender→receiver latency (ms)")
    ax.set_yscale("log")
    ax.set_title("Relay latency against load (2 cores, loopback)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)
    print(f"plot: {sys.argv[2]}")
