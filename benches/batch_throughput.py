#!/usr/bin/env python3
"""Throughput of `c2w batch` over the example scripts, one worker against N.

    cargo build --release
    python3 benches/batch_throughput.py [--workers 2] [--c2w target/release/c2w] [--no-render]

Runs `c2w batch examples/ --out TMP --workers W` for W = 1 and W = N (a
fresh folder each time, so nothing is skipped) and prints the wall time,
worlds a minute and the speed-up. Rendering is on by default at 320x180,
draft quality, with the critic, as a data-generation batch would run; the
machine's load average is printed before and after, since other work on
the cores changes the figures.
"""
import argparse, os, pathlib, subprocess, sys, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(c2w, scripts, workers, extra):
    out = pathlib.Path(tempfile.mkdtemp(prefix="c2w-batch-bench-")) / "b"
    started = time.time()
    r = subprocess.run([c2w, "batch", str(scripts), "--out", str(out), "--workers", str(workers),
                        "--quiet", "--retries", "0"] + extra, capture_output=True, text=True)
    wall = time.time() - started
    rows = (out / "results.jsonl").read_text().splitlines() if (out / "results.jsonl").exists() else []
    if r.returncode not in (0, 2):
        sys.stderr.write(r.stdout[-2000:] + r.stderr[-2000:])
    return wall, len(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--c2w", default=str(ROOT / "target/release/c2w"))
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--scripts", default=str(ROOT / "examples"))
    ap.add_argument("--no-render", action="store_true")
    a = ap.parse_args()
    extra = ["--no-render"] if a.no_render else ["--size", "320x180", "--quality", "draft"]
    print(f"load before: {os.getloadavg()[0]:.2f} (1-min), {os.cpu_count()} cores")
    one, n1 = run(a.c2w, a.scripts, 1, extra)
    print(f"1 worker:  {n1} worlds in {one:.1f} s, {n1 * 60 / one:.1f} worlds/min")
    many, n2 = run(a.c2w, a.scripts, a.workers, extra)
    print(f"{a.workers} workers: {n2} worlds in {many:.1f} s, {n2 * 60 / many:.1f} worlds/min")
    print(f"speed-up: {(n2 / many) / (n1 / one):.2f}x ({'render 320x180 draft' if not a.no_render else 'no render'})")
    print(f"load after: {os.getloadavg()[0]:.2f} (1-min)")


if __name__ == "__main__":
    main()
