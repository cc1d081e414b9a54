"""The Ray driver on a local Ray instance against a scripted model server on
loopback (the Python twin of tests/common/http.rs and tests/batch.rs's model).

    pip install ray            # or: pip install -e dist/ray
    cargo build                # the c2w binary the tasks run (C2W=path to choose another)
    python dist/ray/tests/test_local_ray.py     # or: pytest dist/ray/tests

Checks: every prompt becomes one Ray task; the finished ones pass and a
hard failure is a row, not a stopped batch; the rows have the schema of
`c2w batch`'s rows; summary.md is written; --resume submits only the
unfinished item (counted in the requests the server receives).
"""

import http.server
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "dist/ray"))

from c2w_ray import driver  # noqa: E402

C2W = os.environ.get("C2W") or str(ROOT / "target/debug/c2w")

BALL = 'fn make_ball(position) {\n    sphere(0.1, #{ name: "ball", position: [position[0], position[1] + 0.1, position[2]], color: "red", material: "rubber" })\n}'
ANSWERS = {
    "plan": json.dumps({
        "title": "Rolling ball", "setting": "indoor",
        "environment": {"ground": "wooden floor", "sky": "day", "time_of_day": None,
                        "weather": "clear", "lighting": "soft daylight"},
        "objects": [{"name": "ball", "kind": "ball", "count": 1, "attributes": ["red"],
                     "size_m": 0.2, "placement": "on the floor", "role": "subject"}],
        "dynamics": [{"kind": "rolls", "subject": "ball", "notes": "across the floor"}],
        "camera": {"shot": "medium", "target": "ball", "motion": "static"},
        "duration": 3}),
    "object": BALL,
    "environment": 'plane([10, 10], #{ name: "ground", material: "wood" });\nsun(#{ elevation: 40 });\nsky(#{ ambient: 0.4 });',
    "layout": "let ball = make_ball([-1, 0, 0]);",
    "camera": 'camera(#{ position: [0, 0.5, 2], target: find("ball"), fov: 40 });',
    "dynamics": 'set(find("ball"), #{ velocity: [1.2, 0, 0], angular_velocity: [0, 0, -688] });\nexpect("moves", find("ball"), #{ min_distance: 1 });',
}
STAGES = [("Plan the scene as JSON", "plan"), ("Task: write one Rhai function", "object"),
          ("Task: write the environment only", "environment"), ("Task: place the objects", "layout"),
          ("Task: write one camera", "camera"), ("Task: write the dynamics only", "dynamics")]

SEEN = []


class Model(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        content = body["messages"][-1]["content"]
        text = content if isinstance(content, str) else "\n".join(p.get("text", "") for p in content)
        SEEN.append(text)
        if "(broken)" in text:
            self.reply(400, {"error": {"message": "model refuses"}})
            return
        stage = next((s for k, s in STAGES if k in text), None)
        self.reply(200, {"choices": [{"message": {"role": "assistant", "content": ANSWERS.get(stage, "// ?")}}],
                         "usage": {"prompt_tokens": 100, "completion_tokens": 20}})

    def reply(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_ray_driver_on_a_local_instance():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Model)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="c2w-ray-test-"))
    prompts = tmp / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"id": i, "prompt": f"A red ball rolls across a wooden floor ({i})."}) + "\n"
                               for i in ["one", "two", "broken"]))
    flags = ["--", "--model", "scripted", "--base-url", base, "--no-render", "--no-cache", "--retries", "0"]
    os.environ["C2W_MAX_RETRIES"] = "0"
    out = tmp / "ray-out"
    started = time.time()
    code = driver.main([str(prompts), "--out", str(out), "--c2w", C2W, "--cpus-per-task", "1",
                        "--env", "C2W_MAX_RETRIES=0", "--env", f"HOME={tmp}"] + flags)
    print(f"first run: {time.time() - started:.1f} s")
    assert code == 1, "one item failed"
    rows = [json.loads(l) for l in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["one", "two", "broken"]
    assert [r["status"] for r in rows] == ["pass", "pass", "error"], rows
    assert "400" in rows[2]["error"], rows[2]
    assert (out / "worlds/one/summary.md").exists()
    assert (out / "worlds/one/transcript.jsonl").exists()
    assert (out / "summary.md").exists(), "c2w --report-only wrote the summary"

    # The same schema as a row `c2w batch` writes on this machine.
    local = tmp / "local"
    subprocess.run([C2W, "batch", str(prompts), "--out", str(local), "--workers", "1", "--quiet"]
                   + flags[1:], cwd=tmp, env=dict(os.environ, HOME=str(tmp)), check=False)
    local_rows = [json.loads(l) for l in (local / "results.jsonl").read_text().splitlines()]
    assert [set(r) for r in rows] == [set(r) for r in local_rows]
    assert [r["status"] for r in local_rows] == [r["status"] for r in rows]

    # Resume: only the broken item is submitted again.
    before = len(SEEN)
    code = driver.main([str(prompts), "--out", str(out), "--c2w", C2W, "--resume",
                        "--env", "C2W_MAX_RETRIES=0", "--env", f"HOME={tmp}"] + flags)
    assert code == 1
    again = SEEN[before:]
    assert len(again) == 1 and "(broken)" in again[0], again
    print("ok: ray driver on a local instance")


if __name__ == "__main__":
    test_ray_driver_on_a_local_instance()
