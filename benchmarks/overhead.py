#!/usr/bin/env python3
"""What ninerouter adds on top of calling a mock upstream directly, measured in one run.

Starts the shared harness' mock upstream and a throw-away ninerouter (temp data dir, free
ports, 127.0.0.1 only), then for each scenario runs loadgen against DIRECT (client -> mock) and
NINEROUTER (client -> ninerouter -> mock), alternating which goes first each round. Prints a
table on stderr and a JSON summary on stdout.

  .venv/bin/python benchmarks/overhead.py --duration 3 --reps 2 [--out result.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BENCH_DIR = (REPO / ".." / "shared" / "bench").resolve()
CLK = os.sysconf("SC_CLK_TCK")
SCENARIO_RE = re.compile(r"^(ns|st)-c(\d+)$")
CHARS = 200  # answer length the mock sends and loadgen verifies
UPSTREAM_KEY = "sk-bench-key-000000"
NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
Proc = subprocess.Popen[bytes]
Rec = dict[str, Any]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def mem_mb(pid: int, field: str = "VmRSS") -> float | None:
    m = re.search(rf"^{field}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    return round(int(m.group(1)) / 1024, 1) if m else None


def wait_until(check: Callable[[], bool], timeout: float, what: str, proc: Proc) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what}: process exited with code {proc.returncode}")
        try:
            if check():
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    raise SystemExit(f"{what}: not ready after {timeout} s")


def health_ok(port: int) -> bool:
    with NO_PROXY_OPENER.open(f"http://127.0.0.1:{port}/api/health", timeout=1) as r:
        return json.loads(r.read()).get("ok") is True


def port_open(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True


def stop(proc: Proc) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def p50(res: Rec, key: str) -> float | None:
    block = res.get(key)
    return block["p50"] if block else None


def loadgen(args: argparse.Namespace, url: str, key: str, model: str, sc: Rec) -> Rec:
    """One phase (warm-up + duration); returns the fields this report needs."""
    warmup = max(20, 2 * sc["c"])
    cmd = [sys.executable, str(args.bench_dir / "loadgen.py"), "--base-url", url]
    cmd += ["--api-key", key, "--model", model, "-c", str(sc["c"]), "-d", str(args.duration)]
    cmd += ["-n", "200000", "--warmup", str(warmup), "--expect-chars", str(CHARS)]
    cmd += ["--verify-text", "--json-only"] + (["--stream"] if sc["stream"] else [])
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 120)
    if not out.stdout.strip():
        raise SystemExit(f"loadgen failed (rc {out.returncode}): {out.stderr[-2000:]}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    keep = {"rps": r["rps"], "p50_ms": p50(r, "latency_ms"), "ttft_p50_ms": p50(r, "ttft_ms")}
    keep.update(p99_ms=(r["latency_ms"] or {}).get("p99"), requests=r["requests"], warmup=warmup)
    return {**keep, "errors": r["errors"], "error_kinds": r["error_kinds"]}


def med(vals: list[float | None]) -> float | None:
    v = [x for x in vals if x is not None]
    return round(statistics.median(v), 3) if v else None


def sub(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def summarize(stream: bool, rounds: list[Rec]) -> Rec:
    out: Rec = {}
    fields = ("rps", "p50_ms", "ttft_p50_ms") if stream else ("rps", "p50_ms")
    for who in [w for w in ("direct", "ninerouter", "baseline") if w in rounds[0]]:
        out[who] = {f: med([r[who][f] for r in rounds]) for f in fields}
        out[who]["errors"] = sum(r[who]["errors"] for r in rounds)
    if "baseline" in rounds[0]:
        vs = [(r["baseline"], r["ninerouter"]) for r in rounds]
        out["vs_baseline"] = {
            "added_p50_ms": med([sub(n["p50_ms"], b["p50_ms"]) for b, n in vs]),
            "throughput_ratio": med([n["rps"] / b["rps"] if b["rps"] else None for b, n in vs]),
        }
    pairs = [(r["direct"], r["ninerouter"]) for r in rounds]
    out["added_p50_ms"] = med([sub(n["p50_ms"], d["p50_ms"]) for d, n in pairs])
    out["throughput_ratio"] = med([n["rps"] / d["rps"] if d["rps"] else None for d, n in pairs])
    if stream:
        out["ttft_overhead_ms"] = med([sub(n["ttft_p50_ms"], d["ttft_p50_ms"]) for d, n in pairs])
    out["cpu_ms_per_req"] = med([r["cpu_ms_per_req"] for r in rounds])
    out["rounds"] = rounds
    return out


def table(summary: Rec) -> str:
    lines = [
        "scenario | direct rps | 9r rps | ratio | direct p50 | 9r p50 | added p50 | ttft +ms"
        " | cpu ms/req | errors d/9r"
    ]
    for name, s in summary["scenarios"].items():
        d, n = s["direct"], s["ninerouter"]
        row = [name, d["rps"], n["rps"], s["throughput_ratio"], d["p50_ms"], n["p50_ms"]]
        row += [s["added_p50_ms"], s.get("ttft_overhead_ms"), s["cpu_ms_per_req"]]
        row += [f"{d['errors']}/{n['errors']}"]
        lines.append(" | ".join("-" if v is None else str(v) for v in row))
        if "vs_baseline" in s:
            b, vs = s["baseline"], s["vs_baseline"]
            lines.append(
                f"  {name} baseline {b['rps']} req/s p50 {b['p50_ms']} ms; ninerouter vs "
                f"baseline: throughput x{vs['throughput_ratio']}, p50 {vs['added_p50_ms']:+} ms"
            )
    m = summary["ninerouter_process"]
    lines.append(
        f"time to ready {summary['time_to_ready_s']} s; RSS idle {m['idle_rss_mb']} MB, "
        f"after {m['end_rss_mb']} MB, peak (VmHWM) {m['peak_hwm_mb']} MB"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace, tmp: Path, procs: list[Proc]) -> Rec:
    bench, data = args.bench_dir, tmp / "data"
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    cli = shutil.which("ninerouter", path=str(Path(sys.executable).parent)) or "ninerouter"
    mock_port, nr_port = free_port(), free_port()
    opts = f"--port {mock_port} --latency-ms 0 --chars {CHARS} --chunks 20 --chunk-delay-ms 20"
    mock_cmd = [sys.executable, str(bench / "mock_upstream.py"), *opts.split(), "--quiet"]
    procs.append(mock := subprocess.Popen(mock_cmd, stdin=subprocess.DEVNULL, env=env))
    wait_until(lambda: port_open(mock_port), 15, "mock upstream", mock)
    direct_url = f"http://127.0.0.1:{mock_port}/v1"
    add = [cli, "--data-dir", str(data), "provider", "add", "openai-compatible", "--name"]
    add += ["bench", "--api-key", UPSTREAM_KEY, "--base-url", direct_url, "--prefix", "mock"]
    subprocess.run(add, check=True, env=env, stdout=subprocess.DEVNULL, timeout=60)
    serve_cmd = [cli, "--data-dir", str(data), "serve", "-p", str(nr_port)]
    with open(tmp / "serve.log", "wb") as log:
        t0 = time.perf_counter()
        serve = subprocess.Popen(serve_cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=log, env=env)  # fmt: skip
    procs.append(serve)
    wait_until(lambda: health_ok(nr_port), 30, "ninerouter serve", serve)
    ready_s = round(time.perf_counter() - t0, 3)
    key = (data / "auth" / "api-key").read_text().strip()
    time.sleep(0.5)
    idle_rss = mem_mb(serve.pid)
    targets = {
        "direct": (direct_url, "sk-direct", "mock-gpt"),
        "ninerouter": (f"http://127.0.0.1:{nr_port}/v1", key, "mock/mock-gpt"),
    }
    if args.baseline_ref:
        targets["baseline"] = start_baseline(args, tmp, procs, env, direct_url)
    scenarios: Rec = {}
    for name in args.scenarios:
        m = SCENARIO_RE.match(name)
        assert m  # checked in main()
        sc: Rec = {"stream": m.group(1) == "st", "c": int(m.group(2))}
        rounds: list[Rec] = []
        for rep in range(args.reps):
            order = [w for w in ("direct", "ninerouter", "baseline") if w in targets]
            order = order[rep % len(order) :] + order[: rep % len(order)]
            rnd: Rec = {"first": order[0]}
            for who in order:
                cpu0 = cpu_seconds(serve.pid)
                rnd[who] = res = loadgen(args, *targets[who], sc)
                if who == "ninerouter":  # the CPU window includes the warm-up requests
                    cpu_s, n = cpu_seconds(serve.pid) - cpu0, res["requests"] + res["warmup"]
                    rnd["cpu_ms_per_req"] = round(1000 * cpu_s / n, 3)
                errs = f" errors={res['error_kinds']}" if res["errors"] else ""
                print(f"  {name} r{rep + 1} {who:<10} {res['rps']} req/s p50 {res['p50_ms']} ms"
                      f"{errs}", file=sys.stderr)  # fmt: skip
                time.sleep(0.3)
            rounds.append(rnd)
        scenarios[name] = summarize(sc["stream"], rounds)
    proc = {"pid": serve.pid, "idle_rss_mb": idle_rss, "end_rss_mb": mem_mb(serve.pid)}
    proc["peak_hwm_mb"] = mem_mb(serve.pid, "VmHWM")
    log_tail = (tmp / "serve.log").read_text(errors="replace").splitlines()[-10:]
    return {
        "time_to_ready_s": ready_s,
        "ninerouter_process": proc,
        "scenarios": scenarios,
        "config": {"duration_s": args.duration, "reps": args.reps, "cpus": os.cpu_count()},
        "serve_log_tail": log_tail,
    }


def start_baseline(
    args: argparse.Namespace, tmp: Path, procs: list[Proc], env: dict[str, str], direct_url: str
) -> tuple[str, str, str]:
    """A second server from an older commit (git worktree), configured the same way."""
    tree, data, port = tmp / "baseline-src", tmp / "baseline-data", free_port()
    repo = Path(__file__).resolve().parent.parent
    subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", str(tree), args.baseline_ref],
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    benv = {**env, "PYTHONPATH": str(tree)}
    cli = [sys.executable, "-m", "ninerouter", "--data-dir", str(data)]
    add = [*cli, "provider", "add", "openai-compatible", "--name", "bench", "--api-key"]
    add += [UPSTREAM_KEY, "--base-url", direct_url, "--prefix", "mock"]
    subprocess.run(add, check=True, env=benv, stdout=subprocess.DEVNULL, timeout=60)
    procs.append(serve := subprocess.Popen([*cli, "serve", "-p", str(port)], env=benv,
                                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL))  # fmt: skip
    wait_until(lambda: health_ok(port), 30, "baseline serve", serve)
    key = (data / "auth" / "api-key").read_text().strip()
    return f"http://127.0.0.1:{port}/v1", key, "mock/mock-gpt"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--duration", type=float, default=4.0, help="seconds per measured phase")
    ap.add_argument("--reps", type=int, default=3, help="rounds per scenario")
    ap.add_argument("--scenarios", default="ns-c1,ns-c50,st-c20", help="comma list")
    ap.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR, help="shared harness")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    ap.add_argument(
        "--baseline-ref",
        default=None,
        help="also measure a server built from this git ref (e.g. an earlier commit)",
    )
    args = ap.parse_args(argv)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    args.bench_dir = args.bench_dir.resolve()
    if bad := [s for s in args.scenarios if not SCENARIO_RE.match(s)]:
        ap.error(f"bad scenario(s) {bad}: want ns-cN (non-stream) or st-cN (stream)")
    if not (args.bench_dir / "loadgen.py").is_file():
        ap.error(f"no loadgen.py in {args.bench_dir} (use --bench-dir)")
    procs: list[Proc] = []
    tmp = Path(tempfile.mkdtemp(prefix="ninerouter-bench-"))
    try:
        summary = run(args, tmp, procs)
    finally:
        for p in reversed(procs):
            stop(p)
        if (tmp / "baseline-src").exists():
            repo = Path(__file__).resolve().parent.parent
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force",
                            str(tmp / "baseline-src")], capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(tmp, ignore_errors=True)
    print(table(summary), file=sys.stderr)
    text = json.dumps(summary, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
