#!/usr/bin/env python3
"""Summarise a JMH JSON result (-rf json) as markdown: medians per benchmark and impl, ratios to a baseline.

Throughput (OverheadBenchmark): the median over all measurement iterations of all forks, for the primary
score (ops/s) and for the secondary ones (gc.alloc.rate.norm, cpu.ns/op, ctxsw...), each with the ratio
to the baseline impl (default lbq) of the same benchmark method.
SampleTime (RoundTripBenchmark): JMH's percentiles over all samples of all forks (p50, p90, p99, p99.9).

Usage: jmh_summary.py result.json [--baseline lbq]
"""
import json
import statistics
import sys


def median_of(raw):
    """raw is a list (forks) of lists (iterations)."""
    values = [v for fork in raw for v in fork]
    return statistics.median(values) if values else float("nan")


def fmt(x):
    if x != x:  # NaN
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 0.01:
        return f"{x:.3f}"
    return f"{x:.2g}"


def main():
    args = sys.argv[1:]
    baseline = "lbq"
    if "--baseline" in args:
        i = args.index("--baseline")
        baseline = args[i + 1]
        del args[i:i + 2]
    with open(args[0]) as f:
        runs = json.load(f)
    throughput = [r for r in runs if r["mode"] == "thrpt"]
    sample = [r for r in runs if r["mode"] == "sample"]
    secondaries = ["gc.alloc.rate.norm", "cpu.ns/op", "cpu.cores", "ctxsw.vol/op", "ctxsw.vol.batcher/op"]
    if throughput:
        rows = {}
        for r in throughput:
            method = r["benchmark"].rsplit(".", 1)[1]
            impl = r["params"]["impl"]
            d = {"ops/s": median_of(r["primaryMetric"]["rawData"])}
            for s in secondaries:
                m = r.get("secondaryMetrics", {}).get(s)
                if m:
                    d[s] = median_of(m["rawData"])
            d["threads"] = r["threads"]
            d["forks"] = r["forks"]
            d["n"] = sum(len(x) for x in r["primaryMetric"]["rawData"])
            rows[(method, impl)] = d
        cols = ["ops/s"] + [s for s in secondaries if any(s in d for d in rows.values())]
        print("Medians over all measurement iterations; ratio = impl / " + baseline + " (same producer count)\n")
        header = "| producers | impl | " + " | ".join(
            f"{c} | x{baseline}" if c != "cpu.cores" else c for c in cols) + " | iterations |"
        print(header)
        print("|" + "---|" * (header.count("|") - 1))
        for (method, impl), d in sorted(rows.items(), key=lambda kv: (kv[1]["threads"], order(kv[0][1]))):
            base = rows.get((method, baseline), {})
            cells = []
            for c in cols:
                v = d.get(c, float("nan"))
                if c == "cpu.cores":
                    cells.append(fmt(v))
                    continue
                b = base.get(c, float("nan"))
                ratio = v / b if b and b == b and v == v else float("nan")
                cells.append(fmt(v))
                cells.append("-" if ratio != ratio else f"{ratio:.2f}")
            print(f"| {d['threads']} | {impl} | " + " | ".join(cells) + f" | {d['n']} |")
        print()
    if sample:
        rows = {}
        for r in sample:
            p = r["primaryMetric"]["scorePercentiles"]
            d = {"p50": p["50.0"], "p90": p["90.0"], "p99": p["99.0"], "p99.9": p["99.9"], "mean": r["primaryMetric"]["score"],
                 "unit": r["primaryMetric"]["scoreUnit"]}
            for s in secondaries:
                m = r.get("secondaryMetrics", {}).get(s)
                if m:
                    d[s] = median_of(m["rawData"])
            rows[r["params"]["impl"]] = d
        unit = next(iter(rows.values()))["unit"]
        base = rows.get(baseline, {})
        extra = [s for s in ["cpu.ns/op", "ctxsw.vol/op", "ctxsw.vol.batcher/op"] if any(s in d for d in rows.values())]
        print(f"Percentiles over all samples ({unit}); ratio = impl / {baseline}\n")
        header = "| impl | p50 | p50 x" + baseline + " | p90 | p99 | p99 x" + baseline + " | p99.9 | mean | " + " | ".join(extra) + " |"
        print(header)
        print("|" + "---|" * (header.count("|") - 1))
        for impl in sorted(rows, key=order):
            d = rows[impl]
            r50 = d["p50"] / base["p50"] if base else float("nan")
            r99 = d["p99"] / base["p99"] if base else float("nan")
            print(f"| {impl} | {fmt(d['p50'])} | {r50:.2f} | {fmt(d['p90'])} | {fmt(d['p99'])} | {r99:.2f} | {fmt(d['p99.9'])} | "
                  f"{fmt(d['mean'])} | " + " | ".join(fmt(d.get(s, float('nan'))) for s in extra) + " |")
        print()


def order(impl):
    return {"sluice": 0, "lbq": 1, "mpsc": 2, "direct": 3}.get(impl, 9)


if __name__ == "__main__":
    main()
