#!/usr/bin/python3
"""`upstep sweep` from start to resume, through the CLI, on a tiny real model and folder.

Checks what the sweep promises (docs/TRAINING.md, Sweeps):
  1. a plan of two variants trains, scores and writes sweep.md / sweep.csv with both runs;
  2. the same command again trains and scores nothing ("kept");
  3. a plan whose scoring changed scores again without training;
  4. a plan whose run settings changed is refused, naming the setting, before anything runs;
  5. a missing scoring folder is refused before anything trains;
  6. SIGINT during a run stops with exit 130 and the tables written; the same command resumes the
     run from its checkpoint and finishes;
  7. the sweep folder's copy of the plan (sweep.json) continues the sweep from another directory.

Usage: sweeplifecycle.py --upstep build/release/app/upstep
Standard library only; the images come from badinputs.py's generator. Exit status 0 on success.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from badinputs import ARCH, digit_png  # noqa: E402  (the tiny model and images of the corpus)

CLASSES, PER_CLASS = 4, 12


def run(upstep, args, cwd, check=True):
    res = subprocess.run([upstep, "--threads", "1", *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    if check and res.returncode != 0:
        raise SystemExit(f"FAIL: upstep {' '.join(args)} exited {res.returncode}\n{res.stderr[-3000:]}")
    return res


def expect(condition, message, res=None):
    if not condition:
        detail = f"\n--- stderr ---\n{res.stderr[-3000:]}" if res is not None else ""
        raise SystemExit(f"FAIL: {message}{detail}")
    print(f"ok: {message}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstep", required=True)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    upstep = os.path.abspath(args.upstep)
    root = tempfile.mkdtemp(prefix="upstep-sweep-")
    try:
        rng = random.Random(3)
        for c in range(CLASSES):
            os.makedirs(os.path.join(root, "imgs", f"c{c}"))
            for i in range(PER_CLASS):
                with open(os.path.join(root, "imgs", f"c{c}", f"{i:02d}.png"), "wb") as f:
                    f.write(digit_png(c, rng))
        run(upstep, ["init", "--arch", ARCH, "--out", "model.safetensors"], root)

        plan = {
            "schema": "upstep.sweep/1",
            "config": {"weights": "model.safetensors", "target": "imgs", "steps": 6, "batch_size": 8,
                       "prototypes": 8, "probe_images": 16, "workers": 1, "precision": "fp32",
                       "checkpoint_every": 2, "log_every": 2},
            "variants": [{"name": "defaults"}, {"name": "center-gate", "set": {"gate": "center"}}],
            "test": {"test": "imgs", "max_test": 40},
        }
        os.makedirs(os.path.join(root, "plans"))
        plan["config"]["weights"] = "../model.safetensors"
        plan["config"]["target"] = "../imgs"
        plan["test"]["test"] = "../imgs"

        def write_plan(p, name="plan.json"):
            path = os.path.join(root, "plans", name)
            with open(path, "w") as f:
                json.dump(p, f)
            return path

        sweep = os.path.join(root, "sweep")
        plan_file = write_plan(plan)

        # 1. Everything runs; one table.
        res = run(upstep, ["sweep", plan_file, "--out", sweep], root)
        with open(os.path.join(sweep, "sweep.md")) as f:
            table = f.read()
        expect("| defaults | finished |" in table and "| center-gate | finished |" in table,
               "both runs trained and are in sweep.md", res)
        expect(os.path.exists(os.path.join(sweep, "sweep.csv")), "sweep.csv written")
        expect(all(os.path.exists(os.path.join(sweep, r, "eval.json")) for r in ("defaults", "center-gate")),
               "both runs scored")

        # 2. Again: nothing to do.
        started = time.monotonic()
        res = run(upstep, ["sweep", plan_file, "--out", sweep], root)
        expect(res.stderr.count("scored earlier: kept") == 2 and "adapting" not in res.stderr,
               f"a second run keeps both ({time.monotonic() - started:.1f} s)", res)

        # 3. Another scoring: scored again, not trained again.
        plan["test"]["max_test"] = 24
        res = run(upstep, ["sweep", write_plan(plan), "--out", sweep], root)
        expect(res.stderr.count("scores it differently now") == 2 and "adapting" not in res.stderr,
               "a changed scoring scores again without training", res)

        # 4. Other run settings in the same folder: refused before anything runs.
        changed = json.loads(json.dumps(plan))
        changed["config"]["steps"] = 8
        res = run(upstep, ["sweep", write_plan(changed, "changed.json"), "--out", sweep], root, check=False)
        expect(res.returncode == 1 and "steps is 6, not 8" in res.stderr, "changed settings are refused", res)

        # 5. A scoring folder that does not exist: refused before training.
        missing = json.loads(json.dumps(plan))
        missing["test"]["test"] = "../no-such-folder"
        other = os.path.join(root, "sweep-missing")
        res = run(upstep, ["sweep", write_plan(missing, "missing.json"), "--out", other], root, check=False)
        expect(res.returncode == 1 and "does not exist" in res.stderr and not os.path.exists(other),
               "a missing scoring folder is refused before training", res)

        # 6. SIGINT mid-run: exit 130, tables written; the same command resumes and finishes.
        longer = json.loads(json.dumps(plan))
        longer["config"]["steps"] = 400
        longer["variants"] = [{"name": "long"}]
        long_plan = write_plan(longer, "long.json")
        interrupted = os.path.join(root, "sweep-interrupted")
        proc = subprocess.Popen([upstep, "--threads", "1", "sweep", long_plan, "--out", interrupted], cwd=root,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        checkpoints = os.path.join(interrupted, "long", "checkpoints")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (os.path.isdir(checkpoints) and os.listdir(checkpoints)):
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        expect(proc.returncode == 130 and os.path.exists(os.path.join(interrupted, "sweep.md")),
               "SIGINT stops the sweep with exit 130 and its tables written")
        res = run(upstep, ["sweep", long_plan, "--out", interrupted], root)
        with open(os.path.join(interrupted, "long", "summary.json")) as f:
            summary = json.load(f)
        expect("resuming" in res.stderr and summary["status"] == "finished" and summary["resumed_from"] > 0,
               f"the same command resumes the run (from step {summary['resumed_from']}) and finishes", res)

        # 7. The folder's own copy of the plan continues it from anywhere.
        res = run(upstep, ["sweep", os.path.join(sweep, "sweep.json"), "--out", sweep], "/")
        expect(res.stderr.count("scored earlier: kept") == 2, "sweep.json continues the sweep from /", res)
        print("all sweep lifecycle checks passed")
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
