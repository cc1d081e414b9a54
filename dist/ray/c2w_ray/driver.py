"""Run `c2w batch` items on a Ray cluster: one Ray task per prompt.

Each task runs the `c2w` binary on whichever node Ray picks (`c2w batch`
on a one-line input, so every item is made and judged exactly as on one
machine), packs the item's folder and returns it with its row; the driver
unpacks it into the same layout `c2w batch` writes:

    DIR/worlds/ID/      the item's folder
    DIR/logs/ID.log     the c2w process's output
    DIR/rows/ID.json    the item's row (the results.jsonl schema)
    DIR/results.jsonl   every row, in input order
    DIR/summary.md      written by `c2w batch --report-only` when c2w is on the driver's PATH

Finished items (a row with status pass or fail) are never submitted again;
an item that ended in an error is resumed from its packed folder.
"""

import argparse
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

import ray


class C2wProcessDied(RuntimeError):
    """The c2w process on a node was killed (out of memory, a signal):
    worth another attempt, possibly on another node."""


def read_items(path):
    """(id, JSON line) pairs, with the ids `c2w batch` would give."""
    items = []
    for n, line in enumerate(pathlib.Path(path).read_text().splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        obj = json.loads(s)
        item_id = str(obj.get("id") or f"item-{n:04d}")
        obj["id"] = item_id
        items.append((item_id, json.dumps(obj)))
    return items


def error_row(item_id, line, error, exit_code=None):
    """A row for an item that never got as far as c2w writing one, with
    every key of the schema c2w batch writes."""
    return {"id": item_id, "kind": "generate", "source": json.loads(line).get("prompt", ""),
            "status": "error", "exit_code": exit_code, "attempts": 0, "wall_s": 0.0,
            "out": f"worlds/{item_id}", "runs": False, "verdict": None, "score": None,
            "rounds": None, "best_round": None, "calls": 0, "cached_calls": 0,
            "input_tokens": 0, "output_tokens": 0, "cost_usd": None, "contact_sheet": None,
            "error": error}


def pack(folder):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(folder, arcname=".")
    return buf.getvalue()


def unpack(data, folder):
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        # The "data" filter (Python 3.12, and 3.8.17+ security releases)
        # refuses links and paths that leave the folder.
        if hasattr(tarfile, "data_filter"):
            tar.extractall(folder, filter="data")
        else:
            tar.extractall(folder)


def write_atomic(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def run_item(item_id, line, flags, c2w, binary, partial, env):
    """The body of one Ray task: returns (row, packed folder, log)."""
    with tempfile.TemporaryDirectory(prefix="c2w-ray-") as tmp:
        tmp = pathlib.Path(tmp)
        exe = c2w
        if binary is not None:
            exe = tmp / "c2w"
            exe.write_bytes(binary)
            exe.chmod(0o755)
        (tmp / "item.jsonl").write_text(line + "\n")
        out = tmp / "b"
        cmd = [str(exe), "batch", str(tmp / "item.jsonl"), "--out", str(out),
               "--workers", "1", "--quiet"]
        if partial is not None:
            unpack(partial, out / "worlds" / item_id)
            cmd.append("--resume")
        cmd += flags
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              env=dict(os.environ, **env))
        if proc.returncode < 0:
            raise C2wProcessDied(f"{item_id}: c2w batch killed by signal {-proc.returncode}")
        row_path = out / "rows" / f"{item_id}.json"
        if not row_path.exists():
            # c2w refused the input itself (bad flags, an unreadable line).
            last = (proc.stderr.strip().splitlines() or ["c2w batch wrote no row"])[-1]
            return error_row(item_id, line, last, proc.returncode), None, proc.stdout + proc.stderr
        row = json.loads(row_path.read_text())
        world = out / "worlds" / item_id
        packed = pack(world) if world.exists() else None
        log_path = out / "logs" / f"{item_id}.log"
        log = log_path.read_text() if log_path.exists() else ""
        return row, packed, log


def store(out, item_id, row, packed, log):
    """Puts one task's result into the batch folder; the folder is swapped
    in whole, so a reader never sees half of it."""
    if packed is not None:
        worlds = out / "worlds"
        worlds.mkdir(parents=True, exist_ok=True)
        fresh = pathlib.Path(tempfile.mkdtemp(prefix=f".{item_id}.", dir=worlds))
        unpack(packed, fresh)
        final = worlds / item_id
        old = None
        if final.exists():
            old = worlds / f".{item_id}.old{os.getpid()}"
            os.replace(final, old)
        os.replace(fresh, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    if log:
        (out / "logs").mkdir(parents=True, exist_ok=True)
        with open(out / "logs" / f"{item_id}.log", "a") as f:
            f.write(log)
    row.setdefault("out", f"worlds/{item_id}")
    write_atomic(out / "rows" / f"{item_id}.json", json.dumps(row, indent=2) + "\n")


def read_row(out, item_id):
    p = out / "rows" / f"{item_id}.json"
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError):
        return None


def write_results(out, items):
    rows = [r for r in (read_row(out, i) for i, _ in items) if r is not None]
    write_atomic(out / "results.jsonl", "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows))
    return rows


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="c2w-ray",
        description="Run a c2w batch of prompts on a Ray cluster, one task per prompt.")
    ap.add_argument("prompts", help="JSONL file: one {\"id\", \"prompt\", \"seed\"?, \"settings\"?} a line")
    ap.add_argument("--out", required=True, help="batch folder (same layout as c2w batch)")
    ap.add_argument("--address", default=None,
                    help="Ray cluster address (default: RAY_ADDRESS, else a running local "
                         "instance, else a new one)")
    ap.add_argument("--c2w", default="c2w", help="the c2w binary on the nodes (default: c2w on PATH)")
    ap.add_argument("--ship", action="store_true",
                    help="send the driver's --c2w binary to the nodes through the object store")
    ap.add_argument("--cpus-per-task", type=float, default=1.0)
    ap.add_argument("--gpus-per-task", type=float, default=0.0)
    ap.add_argument("--memory-per-task-gb", type=float, default=None)
    ap.add_argument("--max-retries", type=int, default=3,
                    help="attempts again after a node or worker dies, or c2w is killed")
    ap.add_argument("--resume", action="store_true", help="continue a batch in --out")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="environment for c2w on the nodes (e.g. API keys by name: OPENAI_API_KEY)")
    ap.epilog = "After --: flags for every item's c2w batch (--model, --base-url, --no-render, ...)."
    argv = list(argv)
    flags = argv[argv.index("--") + 1:] if "--" in argv else []
    a = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    a.flags = flags
    return a


def node_env(pairs):
    env = {}
    for p in pairs:
        if "=" in p:
            k, v = p.split("=", 1)
        else:
            k, v = p, os.environ.get(p, "")
        env[k] = v
    return env


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    out = pathlib.Path(a.out).resolve()
    items = read_items(a.prompts)
    if out.exists() and any(out.iterdir()) and not a.resume:
        sys.exit(f"c2w-ray: {out} is not empty: add --resume to continue it, or choose another --out")
    todo = []
    for item_id, line in items:
        row = read_row(out, item_id)
        if row is not None and row.get("status") in ("pass", "fail"):
            continue
        partial = out / "worlds" / item_id
        todo.append((item_id, line, pack(partial) if partial.exists() else None))
    kept = len(items) - len(todo)
    print(f"c2w-ray: {len(items)} items, {kept} finished earlier, {len(todo)} to run", file=sys.stderr)

    # The package travels to the nodes with the job, so they need only Ray.
    ray.init(address=a.address, ignore_reinit_error=True, log_to_driver=False,
             runtime_env={"py_modules": [str(pathlib.Path(__file__).resolve().parent)]})
    binary = None
    if a.ship:
        binary = ray.put(pathlib.Path(a.c2w).read_bytes())
    resources = {"num_cpus": a.cpus_per_task, "num_gpus": a.gpus_per_task,
                 "max_retries": a.max_retries, "retry_exceptions": [C2wProcessDied]}
    if a.memory_per_task_gb:
        resources["memory"] = int(a.memory_per_task_gb * 2**30)
    task = ray.remote(run_item).options(**resources)
    env = node_env(a.env)
    started = time.time()
    pending = {}
    for item_id, line, partial in todo:
        ref = task.remote(item_id, line, a.flags, a.c2w, binary, partial, env)
        pending[ref] = item_id
    done = kept
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        ref = ready[0]
        item_id = pending.pop(ref)
        try:
            row, packed, log = ray.get(ref)
        except Exception as e:  # the task failed on every attempt
            first = str(e).splitlines()[0] if str(e) else ""
            line = next(l for i, l in items if i == item_id)
            row, packed, log = error_row(item_id, line, f"the Ray task failed: {type(e).__name__}: {first}"), None, ""
        store(out, item_id, row, packed, log)
        write_results(out, items)
        done += 1
        print(f"[{done}/{len(items)}] {item_id} {row.get('status')}: "
              f"{row.get('error') or row.get('verdict') or ''}", file=sys.stderr)
    rows = write_results(out, items)
    exe = shutil.which(a.c2w) or (a.c2w if os.path.exists(a.c2w) else None)
    if exe:
        subprocess.run([exe, "batch", a.prompts, "--out", str(out), "--report-only"],
                       capture_output=True)
    counts = {s: sum(1 for r in rows if r.get("status") == s) for s in ("pass", "fail", "error")}
    print(f"{out}: {counts['pass']} pass, {counts['fail']} fail, {counts['error']} error "
          f"({kept} kept from earlier) in {time.time() - started:.0f} s")
    return 1 if counts["error"] or len(rows) < len(items) else (2 if counts["fail"] else 0)


if __name__ == "__main__":
    sys.exit(main())
