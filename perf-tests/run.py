#!/usr/bin/env python3
"""Vigil's line-rate harness: measures `vigil bench` beside its bare DPDK receive loop and
beside ndpiReader on the same captures, and writes docs/PERFORMANCE.md and a plot.

    python3 perf-tests/run.py [--seconds S] [--quick]

Captures: 64-byte frames and IMIX 7:4:1 (perf-tests/gen.py), an enterprise mix (one day
of `vigil simulate office`), and the real captures in ../shared/pcaps/mixed. Every figure
in the report comes with the command that produced it. Needs: a release build (built
here), ndpiReader (Debian's libndpi-bin) and matplotlib (installed with pip when missing).
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")
VIGIL = os.path.join(ROOT, "target", "release", "vigil")
DOC = os.path.join(ROOT, "docs", "PERFORMANCE.md")
PLOT = os.path.join(ROOT, "docs", "performance.png")


def shown(cmd):
    """A command as the report shows it: paths relative to the project root."""
    return " ".join(os.path.relpath(c, ROOT) if os.path.isabs(c) else c for c in cmd)


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def setup():
    if not shutil.which("ndpiReader"):
        subprocess.run(["apt-get", "install", "-y", "-q", "libndpi-bin"], check=False,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "matplotlib"], check=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "vigil"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "vigil-benches", "--example",
                    "instructions"], cwd=ROOT, check=True)
    os.makedirs(OUT, exist_ok=True)


def captures(quick):
    subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), OUT], check=True)
    office = os.path.join(OUT, "enterprise.pcap")
    if not os.path.exists(office):
        subprocess.run([VIGIL, "simulate", "office", "--days", "1", "--out", office], check=True)
    caps = [
        ("64-byte UDP", os.path.join(OUT, "64b.pcap")),
        ("IMIX 7:4:1", os.path.join(OUT, "imix.pcap")),
        ("enterprise mix (simulated office day)", office),
    ]
    mixed = os.path.join(ROOT, "..", "shared", "pcaps", "mixed")
    if os.path.isdir(mixed):
        for f in sorted(os.listdir(mixed)):
            if f.endswith((".pcap", ".pcapng")) and not quick:
                caps.append((f"real: {f}", os.path.join(mixed, f)))
            elif f == "ndpi_1kxun.pcap":
                caps.append((f"real: {f}", os.path.join(mixed, f)))
    return caps


def capinfo(path):
    r = sh(["capinfos", "-c", "-z", "-M", path])
    pk = re.search(r"Number of packets:\s+(\d+)", r.stdout)
    avg = re.search(r"Average packet size:\s+([\d.]+)", r.stdout)
    return int(pk.group(1)) if pk else 0, float(avg.group(1)) if avg else 0.0


def bench(path, seconds, workers, baseline):
    cmd = [VIGIL, "bench", "--pcap", path, "--seconds", str(seconds), "--workers", str(workers)]
    if baseline:
        cmd.append("--baseline")
    # wait4 gives this run's own peak resident memory (the profile bounds it).
    with tempfile.TemporaryFile("w+") as so, tempfile.TemporaryFile("w+") as se:
        p = subprocess.Popen(cmd, stdout=so, stderr=se, text=True)
        _, status, usage = os.wait4(p.pid, 0)
        so.seek(0)
        se.seek(0)
        out, err = so.read(), se.read()
    if os.waitstatus_to_exitcode(status) != 0:
        return None, shown(cmd), err.strip().splitlines()[-1:] or ["failed"]
    res = json.loads(out.strip().splitlines()[-1])
    res["max_rss_mib"] = usage.ru_maxrss / 1024
    return res, shown(cmd), None


def ndpi(path, packets):
    # Enough loops for about 2 million packets, at least 2.
    loops = max(2, min(200, 2_000_000 // max(packets, 1)))
    cmd = ["ndpiReader", "-i", path, "-l", str(loops)]
    r = sh(cmd)
    m = re.search(r"nDPI throughput:\s+([\d.]+) ([KM]) pps", r.stdout)
    if not m:
        return None, shown(cmd)
    v = float(m.group(1)) * (1e3 if m.group(2) == "K" else 1e6) / 1e6
    return v, shown(cmd)


def profile(path, seconds):
    """Samples the worker with `perf record` (cpu-clock where the VM has no hardware
    counters) and returns (command, per-library shares, top symbols, hottest lines of
    Core::process), or None when perf is missing or refused."""
    if not shutil.which("perf"):
        return None
    data = os.path.join(OUT, "perf-" + os.path.basename(path) + ".data")
    cmd = ["perf", "record", "-F", "1999", "-o", data, "--", VIGIL, "bench", "--pcap", path,
           "--seconds", str(seconds)]
    r = sh(cmd)
    if r.returncode != 0:
        return None
    rep = ["perf", "report", "-i", data, "--stdio", "--no-children", "--comm", "rte-worker-1",
           "--percentage", "relative"]
    dso = sh(rep + ["--sort", "comm,dso", "--percent-limit", "1"]).stdout
    sym = sh(rep + ["--sort", "dso,symbol", "--percent-limit", "1.5"]).stdout
    ann = sh(["perf", "annotate", "-i", data, "--stdio", "-s",
              "vigil::worker::pipeline::Core::process"]).stdout
    clean = lambda t: [re.sub(r"\s+-\s+-\s*$", "", l.rstrip()) for l in t.splitlines()
                       if l.strip() and not l.startswith("#")]
    # The hottest instructions of Core::process, each with the source line above it.
    lines = ann.splitlines()
    hot = []
    for i, l in enumerate(lines):
        m = re.match(r"\s+([\d.]+) :\s+[0-9a-f]+:\s+(.*)", l)
        if m and float(m.group(1)) >= 4.0:
            src = next((lines[j].split(":", 1)[1].strip() for j in range(i - 1, max(i - 40, 0), -1)
                        if re.match(r"\s+:\s+\d+\s", lines[j])), "")
            hot.append((float(m.group(1)), m.group(2).strip(), src))
    hot.sort(reverse=True)
    return shown(cmd), clean(dso)[:8], clean(sym)[:14], hot[:5]


def instructions(path, packets):
    """Instructions per packet of the worker pipeline alone (no PMD, no control plane):
    callgrind's instruction count of the `instructions` example with 1 pass and with N
    passes of the capture, the difference divided by the packets of the extra passes."""
    if not shutil.which("valgrind"):
        return None
    exe = os.path.join(ROOT, "target", "release", "examples", "instructions")
    passes = max(2, min(11, 1 + 200_000 // max(packets, 1)))
    irs = []
    for n in (1, passes):
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", exe, path, str(n)]
        r = sh(cmd)
        m = re.search(r"Collected : (\d+)", r.stderr) or re.search(r"refs:\s+([\d,]+)", r.stderr)
        if r.returncode != 0 or not m:
            return None
        irs.append(int(m.group(1).replace(",", "")))
    per = (irs[1] - irs[0]) / ((passes - 1) * packets)
    return per, shown(cmd)


def machine():
    cpu = sh(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo"]).stdout.split(":")[-1].strip()
    cores = os.cpu_count()
    perf = sh(["sh", "-c", "perf stat -e instructions true 2>&1"]).stdout
    counters = "not supported (virtual machine)" if "not supported" in perf else "available"
    dpdk = sh(["pkg-config", "--modversion", "libdpdk"]).stdout.strip()
    return cpu, cores, counters, dpdk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--quick", action="store_true", help="fewer captures, shorter runs")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite the report from the last run's perf-tests/out/results.json")
    a = ap.parse_args()
    saved = os.path.join(OUT, "results.json")
    if a.report_only:
        x = json.load(open(saved))
        a.seconds, a.quick = x["seconds"], x["quick"]
        write(x["rows"], [tuple(s) for s in x["scaling"]], [tuple(p) for p in x["profiles"]],
              a, x["when"])
        return
    if a.quick:
        a.seconds = min(a.seconds, 3.0)
    setup()
    rows = []
    caps = captures(a.quick)
    for name, path in caps:
        packets, avg = capinfo(path)
        res, cmd, err = bench(path, a.seconds, 1, True)
        n, ncmd = ndpi(path, packets)
        rows.append(dict(name=name, path=os.path.relpath(path, ROOT), packets=packets, avg=avg,
                         res=res, cmd=cmd,
                         err=err, ndpi=n, ndpi_cmd=ncmd))
        print(f"{name}: {res and res['mpps']} Mpps (baseline {res and res['baseline']['mpps']}), nDPI {n}", flush=True)
    scaling = []
    for w in (1, 2):
        res, cmd, err = bench(os.path.join(OUT, "64b.pcap"), a.seconds, w, False)
        scaling.append((w, res, cmd, err))
        print(f"64b with {w} workers: {res and res['mpps']} Mpps", flush=True)
    profiles = []
    for name, path in caps[:1] + [c for c in caps if "1kxun" in c[1] or "tls" in c[1]]:
        p = profile(path, a.seconds)
        if p:
            profiles.append((name, p))
            print(f"profiled {name}", flush=True)
    for r, (name, path) in zip(rows, caps):
        r["ir"] = instructions(path, r["packets"])
        print(f"instructions per packet, {name}: {r['ir'] and round(r['ir'][0])}", flush=True)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    json.dump(dict(seconds=a.seconds, quick=a.quick, when=when, rows=rows, scaling=scaling,
                   profiles=profiles), open(saved, "w"))
    write(rows, scaling, profiles, a, when)


def targets(rows):
    """The issue's targets against this run's figures."""
    ok = [r for r in rows if r["res"]]
    b64 = next((r for r in ok if r["name"].startswith("64-byte")), None)
    real = [r for r in ok if r["name"].startswith("real:")]
    L = ["## Targets\n",
         "| target | this run | met? |", "|---|---|---|"]
    if b64:
        x = b64["res"]
        L.append(f"| 64-byte frames: ≥ 14.88 Mpps on one worker | {x['mpps']:.2f} Mpps (the bare "
                 f"receive loop: {x['baseline']['mpps']:.2f}) | "
                 f"{'yes' if x['mpps'] >= 14.88 else 'no'} |")
    if real:
        rs = ", ".join(f"{r['name'][6:]} {r['res']['ratio']:.2f}" for r in real)
        met = all(r["res"]["ratio"] >= 0.5 for r in real)
        L.append(f"| real mixed traffic: ≥ 0.5 of the bare receive loop | {rs} | "
                 f"{'yes' if met else 'no'} |")
    nd = [r for r in ok if r["ndpi"]]
    if nd:
        label = lambda n: n.removeprefix("real: ").split(" (")[0]
        vs = ", ".join(f"{label(r['name'])} {r['res']['mpps'] / r['ndpi']:.1f}×" for r in nd)
        met = all(r["res"]["mpps"] >= 20 * r["ndpi"] for r in nd)
        L.append(f"| ≥ 20× ndpiReader's packet rate | {vs} | {'yes' if met else 'no'} |")
    pk = sum(r["res"]["drops"] for r in ok)
    rec = sum(r["res"]["drops_detail"]["records_dropped"] for r in ok)
    rss = max(r["res"].get("max_rss_mib") or 0 for r in ok)
    L.append(f"| no packet dropped by the engine's own queues; memory bounded by the profile | "
             f"{pk} packets dropped in all runs; {rec} records toward the control plane "
             f"dropped and counted; peak RSS {rss:.0f} MiB (the software profile's EAL memory "
             f"and the preloaded capture) | {'packets: yes' if pk == 0 else 'no'}"
             f"{'; records: no' if rec else ''} |")
    return L


def write(rows, scaling, profiles, a, when):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cpu, cores, counters, dpdk = machine()
    L = []
    L.append("# Performance\n")
    L.append(f"Measured {when} by `python3 perf-tests/run.py{' --quick' if a.quick else ''}` "
             f"({a.seconds:g} s per run). Machine: {cpu}, {cores} cores, DPDK {dpdk}, "
             f"hardware performance counters {counters}. Software mode: the capture is "
             "replayed from memory by `net_pcap` (`infinite_rx=1`, the PMD copies each preloaded "
             "packet into a fresh mbuf), so the receive side costs what a copy costs, not what "
             "a NIC's DMA would.\n")
    L.append("Each `vigil bench --baseline` run first measures the bare DPDK receive loop "
             "(rx_burst and free, nothing else) on the same capture, same PMD, same lcore, then "
             "the full engine (decode, flows, TCP, streams, every parser, records, the rarity "
             "and block lookups, every model on the control plane). ndpiReader (nDPI's own tool, "
             "Debian's libndpi-bin) runs on the same file; its figure is its own \"nDPI "
             "throughput\".\n")
    L.append("| capture | packets | avg bytes | bare loop Mpps | Vigil Mpps | Vigil Gbps | ratio | cycles/pkt | burst p50 / p99 / p99.9 (µs) | drops: packets / records | peak RSS MiB | nDPI Mpps | Vigil / nDPI |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        x = r["res"]
        if not x:
            L.append(f"| {r['name']} | {r['packets']} | {r['avg']:.0f} | failed: {r['err']} | | | | | | | | | |")
            continue
        lat = x["latency_ns"]
        vs = f"{x['mpps'] / r['ndpi']:.1f}×" if r["ndpi"] else "-"
        L.append(f"| {r['name']} | {r['packets']} | {r['avg']:.0f} | {x['baseline']['mpps']:.2f} | "
                 f"{x['mpps']:.2f} | {x['gbps']:.2f} | {x['ratio']:.2f} | {x['cycles_per_packet']:.0f} | "
                 f"{lat['p50']/1000:.1f} / {lat['p99']/1000:.1f} / {lat['p999']/1000:.1f} | {x['drops']} / {x['drops_detail']['records_dropped']} | "
                 f"{x['max_rss_mib']:.0f} | {r['ndpi']:.3f} | {vs} |" if r["ndpi"] else
                 f"| {r['name']} | {r['packets']} | {r['avg']:.0f} | {x['baseline']['mpps']:.2f} | "
                 f"{x['mpps']:.2f} | {x['gbps']:.2f} | {x['ratio']:.2f} | {x['cycles_per_packet']:.0f} | "
                 f"{lat['p50']/1000:.1f} / {lat['p99']/1000:.1f} / {lat['p999']/1000:.1f} | {x['drops']} / {x['drops_detail']['records_dropped']} | "
                 f"{x['max_rss_mib']:.0f} | - | - |")
    L.append("\nCommands:\n")
    for r in rows:
        L.append(f"- {r['name']}: `{r['cmd']}`; `{r['ndpi_cmd']}`")
    L.append("\n## Workers\n")
    L.append("| workers | Mpps (64-byte) | per worker | dropped by the dispatcher | command |")
    L.append("|---|---|---|---|---|")
    for w, x, cmd, err in scaling:
        if x:
            per = ", ".join(f"{p['mpps']:.2f}" for p in x["workers"])
            dd = x["drops_detail"]["dispatch_dropped"]
            L.append(f"| {w} | {x['mpps']:.2f} | {per} | {dd} | `{cmd}` |")
        else:
            L.append(f"| {w} | failed: {err} | | | |")
    L.append("\nWith more than one worker on a PMD without RSS (`net_pcap`), the main lcore reads "
             "the port and dispatches by the symmetric Toeplitz hash (software RSS), so the "
             "dispatcher, the workers and the control plane share this machine's two cores; "
             "the dispatcher drops (and counts) what the workers' rings cannot take. On a NIC "
             "with RSS each worker reads its own queue and there is no dispatcher.\n")
    L.append(f"![Mpps against packet size and workers](performance.png)\n")
    L.extend(targets(rows))
    L.append("")
    irs = [r for r in rows if r.get("ir")]
    if irs:
        L.append("## Instructions per packet\n")
        L.append("The worker pipeline alone (decode, flow, TCP, streams, parsers, records; no "
                 "PMD, no control plane), counted by callgrind: the `instructions` example "
                 "(`benches/examples/instructions.rs`) run with one pass of the capture and "
                 "with several, the difference divided by the extra packets (each pass new flows, "
                 "as in `vigil bench`; queues large enough that no record is dropped). Divided by "
                 "the bench's cycles per packet it gives instructions per TSC cycle, which is "
                 "not the hardware's IPC: the TSC ticks at the nominal frequency while the core "
                 "may run faster, valgrind's emulated CPU makes libc take its SSE2 copies where "
                 "the native run uses AVX-512 and `rep movsb` (one instruction), and in the bench "
                 "records the full control-plane queue refuses are not copied. Read the counts "
                 "against each other: per packet, the 64-byte capture is decode and flow "
                 "bookkeeping; the real captures add TCP, reassembly and the parsers.\n")
        L.append("| capture | instructions/pkt | cycles/pkt (bench) | instructions per TSC cycle | command |")
        L.append("|---|---|---|---|---|")
        for r in irs:
            ir, cmd = r["ir"]
            cyc = r["res"]["cycles_per_packet"] if r["res"] else None
            ipc = f"{ir / cyc:.2f}" if cyc else "-"
            L.append(f"| {r['name']} | {ir:.0f} | {cyc if cyc else '-'} | {ipc} | `{cmd}` |")
        L.append("")
    if profiles:
        L.append("## Where the worker's cycles go\n")
        L.append("`perf record` samples of the worker lcore only (`rte-worker-1`), shares relative "
                 "to that thread. `librte_net_pcap` is the PMD copying the preloaded packet into "
                 "a fresh mbuf (the receive side), `librte_mbuf` the free, libc's memmove both the "
                 "PMD's copy of larger frames and the engine's own copies (stream reassembly, "
                 "records); everything in `vigil` is the engine. The hottest instructions of "
                 "`Core::process` (decode done; flow lookup, TCP, streams, parsers) follow, each "
                 "with the source line it belongs to (sampling skid charges a load's cache miss "
                 "to the instruction after it: `if v == 0` is the load of the flow index slot "
                 "`self.index[s]` just before it).\n")
        for name, (cmd, dso, sym, hot) in profiles:
            L.append(f"### {name}\n")
            L.append(f"`{cmd}`\n")
            L.append("```")
            L.extend(dso)
            L.append("")
            L.extend(sym)
            L.append("```\n")
            if hot:
                L.append("| share of Core::process | instruction | source |")
                L.append("|---|---|---|")
                for pct, ins, src in hot:
                    L.append(f"| {pct:.1f} % | `{ins}` | `{src}` |")
                L.append("")
    analysis = open(os.path.join(HERE, "analysis.md")).read()
    open(DOC, "w").write("\n".join(L) + "\n" + analysis)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    pts = [(r["avg"], r["res"]["mpps"], r["res"]["baseline"]["mpps"], r["name"]) for r in rows if r["res"]]
    pts.sort()
    ax1.plot([p[0] for p in pts], [p[2] for p in pts], "o--", label="bare DPDK receive loop")
    ax1.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label="Vigil, full engine")
    nd = [(r["avg"], r["ndpi"]) for r in rows if r["ndpi"]]
    nd.sort()
    ax1.plot([p[0] for p in nd], [p[1] for p in nd], "s:", label="ndpiReader")
    ax1.set_xscale("log")
    ax1.set_xlabel("average packet size (bytes)")
    ax1.set_ylabel("Mpps (one worker)")
    ax1.set_title("Packet rate by capture")
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3)
    ws = [(w, x["mpps"]) for w, x, _, _ in scaling if x]
    ax2.bar([str(w) for w, _ in ws], [m for _, m in ws])
    ax2.set_xlabel("workers")
    ax2.set_ylabel("Mpps, 64-byte frames")
    ax2.set_title("Workers (software RSS on net_pcap)")
    fig.tight_layout()
    fig.savefig(PLOT, dpi=110)
    print(f"wrote {DOC} and {PLOT}")


if __name__ == "__main__":
    main()
