#!/usr/bin/env python3
"""The agent on the Code4D prompts with a local model: a benchmark run, not CI.

Start a model server first, e.g. ../shared/tools/local-llm 1.5b 18080, then:

    python3 benches/local_llm.py [--base-url http://127.0.0.1:18080/v1] [--ids c4d-09,...]
        [--rounds 4] [--timeout-min 15] [--out bench-out]

It runs `c2w generate --grammar --compact` (release build) on each prompt and
prints, per prompt: wall time, rounds, the final verdict and score, model
calls and tokens. A prompt that runs past its time limit is stopped and
reported as such; its folder can be continued with --resume.
"""
import argparse, json, os, pathlib, subprocess, sys, time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", default="http://127.0.0.1:18080/v1")
    ap.add_argument("--model", default="qwen2.5-coder-1.5b")
    ap.add_argument("--prompts", default=str(ROOT.parent / "shared/code4d/prompts.jsonl"))
    ap.add_argument("--ids", default="")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--timeout-min", type=float, default=15)
    ap.add_argument("--out", default="bench-out")
    ap.add_argument("--c2w", default=str(ROOT / "target/release/c2w"))
    a = ap.parse_args()
    prompts = [json.loads(l) for l in open(a.prompts) if l.strip()]
    if a.ids:
        wanted = a.ids.split(",")
        prompts = [p for w in wanted for p in prompts if p["id"].startswith(w)]
    rows = []
    for p in prompts:
        out = pathlib.Path(a.out) / p["id"]
        cmd = [a.c2w, "generate", p["prompt"], "--out", str(out), "--model", a.model,
               "--base-url", a.base_url, "--grammar", "--compact", "--timeout", "900",
               "--rounds", str(a.rounds), "--quality", "draft", "--no-cache"]
        if out.exists():
            cmd.append("--resume")
        started = time.time()
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout_min * 60,
                               env=dict(os.environ, NODEVICE_SELECT="1"))
            status = {0: "pass", 2: "fail"}.get(r.returncode, "error")
            if status == "error":
                sys.stderr.write(r.stderr[-2000:])
        except subprocess.TimeoutExpired:
            status = "timeout"
        wall = time.time() - started
        rounds = sorted((out / "rounds").glob("*/result.json"), key=lambda f: int(f.parent.name))
        results = [json.load(open(f)) for f in rounds]
        calls = [json.loads(l) for l in open(out / "transcript.jsonl")] if (out / "transcript.jsonl").exists() else []
        tokens_in = sum(c.get("input_tokens", 0) for c in calls)
        tokens_out = sum(c.get("output_tokens", 0) for c in calls)
        best = max((x["score"] for x in results), default=None)
        report = out / "report.json"
        runs = bool(report.exists() and json.load(open(report)).get("ok"))
        row = dict(id=p["id"], status=status, runs=runs, wall_s=round(wall), rounds=len(results),
                   verdicts=[x["verdict"] for x in results], best_score=best,
                   calls=len(calls), tokens_in=tokens_in, tokens_out=tokens_out)
        rows.append(row)
        print(json.dumps(row), flush=True)
    ran = [r for r in rows if r["runs"]]
    passed = [r for r in rows if r["status"] == "pass"]
    print(f"\n{len(rows)} prompts: {len(ran)} gave a world that runs to the end of the pipeline, "
          f"{len(passed)} pass the critic")


if __name__ == "__main__":
    main()
