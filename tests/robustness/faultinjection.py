#!/usr/bin/python3
"""Fault injection for `upstep` (issue 12): kills, full disks, signals and a second writer.

Standard library only. Builds a tiny real model (`upstep init`) and a small real image folder
(`upstep import-idx` of Fashion-MNIST test images when they are on this machine, else of a seeded
synthetic IDX pair this script writes), then:

  kills    kill -9 `adapt` at random moments (some while a checkpoint temporary file exists), then
           `--resume` until done: the adapter, the final checkpoint and the metrics (less their
           timing fields) must equal an uninterrupted run's bit for bit, and no temporary file may
           be left in the run folder.
  export   kill -9 `export` (peft and merged) while its `OUT.partial-PID` folder exists: nothing
           under OUT, no litter, and a new export to OUT matches an uninterrupted one.
  disk     a full disk (RLIMIT_FSIZE, SIGXFSZ ignored, so writes fail with EFBIG) during a
           checkpoint, a metrics append, export, features, embed --projector and import-idx: a
           non-zero exit with an "upstep: error:" message, the previous good state intact (the same
           bytes; a later --resume matches), no partial outputs under the final names.
  signals  SIGINT and SIGTERM during `adapt`: a clean exit (130, the same for both), a
           checkpoint at the stop, and --resume bit-identical.
  lock     two `adapt` on one run folder (0.5 s apart, and a --resume while one runs): the second
           is refused with a message saying the folder is in use; the first finishes unharmed.

  faultinjection.py --upstep build/release/app/upstep --quick      # CI: 3 kills, 3.5 min on 2 busy cores
  faultinjection.py --upstep build/release/app/upstep --kills 20   # the full version
Prints one line per check and exits 1 when any failed.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import random
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ARCH = "vit,img_size=28,patch=4,depth=2,dim=64,heads=2"
TIMEOUT = 300  # seconds for any single upstep command
LOCK_WORDS = re.compile(r"in use|lock|another (upstep )?process|already running|busy", re.I)
KEPT_WORDS = re.compile(r"kept|intact|unchanged|untouched|left as it was|previous|not (been )?(changed|modified|replaced)",
                        re.I)
DISK_WORDS = re.compile(r"file too large|no space|disk (is )?full|quota", re.I)
TIMING_KEY = re.compile(r"second|elapsed|time", re.I)


# ----------------------------------------------------------------------------------------------
# Reporting


class Checks:
    def __init__(self):
        self.results = []

    def check(self, name, ok, detail=""):
        self.results.append((name, bool(ok), detail))
        line = ("PASS  " if ok else "FAIL  ") + name
        if detail and (not ok or detail.startswith("(")):
            line += ": " + detail
        print(line, flush=True)
        return ok

    def failed(self):
        return [r for r in self.results if not r[1]]


def note(text):
    print("      " + text, flush=True)


def tail(text, lines=4):
    rows = [r for r in text.strip().splitlines() if r.strip()]
    return " | ".join(rows[-lines:])


# ----------------------------------------------------------------------------------------------
# Files


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def snapshot(path):
    """{relative path: sha256} of a file or a folder; None when absent."""
    p = Path(path)
    if not p.exists() and not p.is_symlink():
        return None
    if p.is_file():
        return {".": sha(p)}
    out = {}
    for f in sorted(p.rglob("*")):
        if f.is_file():
            out[str(f.relative_to(p))] = sha(f)
    return out


def litter(folder, stem=None):
    """Temporary files and partial folders under folder (or next to stem in folder)."""
    found = []
    folder = Path(folder)
    if not folder.exists():
        return found
    for f in folder.rglob("*"):
        name = f.name
        if stem is not None and stem not in name:
            continue
        if ".tmp" in name or ".partial" in name:
            found.append(str(f.relative_to(folder)))
    return sorted(found)


def checkpoint_files(run):
    d = Path(run) / "checkpoints"
    if not d.is_dir():
        return []
    return sorted(f for f in d.iterdir() if re.fullmatch(r"step-\d{8,}\.safetensors", f.name))


def checkpoint_temps(run):
    d = Path(run) / "checkpoints"
    try:
        return [n for n in os.listdir(d) if n.startswith(".step-") and ".tmp" in n]
    except FileNotFoundError:
        return []


def safetensors_parts(path):
    """(header without offsets, {tensor name: bytes}, metadata) of a safetensors file."""
    data = Path(path).read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    body = data[8 + n:]
    tensors = {k: body[v["data_offsets"][0]:v["data_offsets"][1]] for k, v in header.items()}
    shapes = {k: (v["dtype"], v["shape"]) for k, v in header.items()}
    return shapes, tensors, metadata


def archive_members(blob):
    """The sorted digests of a LibTorch archive's data records (a zip). LibTorch writes an
    optimiser's parameter states in an order that differs from run to run, even between two
    uninterrupted runs, so the archive is compared as a multiset of its records."""
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return sorted(hashlib.sha256(z.read(n)).hexdigest() for n in z.namelist() if "/data/" in n)


def checkpoint_differences(a, b):
    sa, ta, ma = safetensors_parts(a)
    sb, tb, mb = safetensors_parts(b)
    diffs = []
    if sa != sb:
        diffs.append("tensor names, dtypes or shapes differ")
    if ma != mb:
        diffs.append("metadata differs")
    for name in sorted(set(ta) & set(tb)):
        if ta[name] == tb[name]:
            continue
        if name == "optimizer/archive":
            try:
                if archive_members(ta[name]) == archive_members(tb[name]):
                    continue
            except zipfile.BadZipFile:
                pass
        diffs.append(name + " differs")
    return diffs


def metrics_records(run):
    """(records without timing fields, number of lines that are not JSON)."""
    records, torn = [], 0
    path = Path(run) / "metrics.jsonl"
    if not path.exists():
        return records, torn
    for line in path.read_text(errors="replace").splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            torn += 1
            continue
        records.append({k: v for k, v in r.items() if not TIMING_KEY.search(k)})
    return records, torn


def write_png(path, width, height, pixels):
    import zlib
    raw = b"".join(b"\x00" + bytes(pixels[y * width:(y + 1) * width]) for y in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def synthetic_idx(folder, count, seed):
    """A seeded IDX pair of 28x28 images in 10 classes (a bar at a class angle plus noise)."""
    import math
    rng = random.Random(seed)
    images = bytearray(struct.pack(">IIII", 0x803, count, 28, 28))
    labels = bytearray(struct.pack(">II", 0x801, count))
    for i in range(count):
        c = i % 10
        angle = math.pi * c / 10 + rng.uniform(-0.15, 0.15)
        dx, dy = math.cos(angle), math.sin(angle)
        cx, cy = 13.5 + rng.uniform(-3, 3), 13.5 + rng.uniform(-3, 3)
        for y in range(28):
            for x in range(28):
                along = (x - cx) * dx + (y - cy) * dy
                across = abs(-(x - cx) * dy + (y - cy) * dx)
                v = 230 if (across < 2.0 and abs(along) < 9) else 0
                images.append(max(0, min(255, v + rng.randint(0, 40))))
        labels.append(c)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "images-idx3-ubyte.gz").write_bytes(gzip.compress(bytes(images)))
    (folder / "labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(labels)))
    return folder / "images-idx3-ubyte.gz", folder / "labels-idx1-ubyte.gz", "synthetic (seeded bars)"


def find_idx(work, data, seed):
    candidates = []
    if data:
        candidates.append(Path(data))
    cache = os.environ.get("UPSTEP_DATA") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.environ.get("HOME", "/root"), ".cache"), "upstep", "data")
    candidates += [Path(cache) / "fashion-mnist", Path("/usr/share/datasets/fashion-mnist")]
    for c in candidates:
        images, labels = c / "t10k-images-idx3-ubyte.gz", c / "t10k-labels-idx1-ubyte.gz"
        if images.exists() and labels.exists():
            return images, labels, "Fashion-MNIST test (%s)" % c
    return synthetic_idx(work / "idx", 600, seed)


# ----------------------------------------------------------------------------------------------
# Processes


def full_disk(limit):
    def preexec():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


class Upstep:
    def __init__(self, binary, work, threads):
        self.binary = str(binary)
        self.work = work
        self.threads = threads
        self.env = dict(os.environ, OMP_NUM_THREADS=str(threads))

    def argv(self, args):
        return [self.binary, "--threads", str(self.threads)] + [str(a) for a in args]

    def run(self, args, limit=None, timeout=TIMEOUT):
        """(exit code, stdout, stderr); a negative code is the signal that ended it."""
        try:
            p = subprocess.run(self.argv(args), cwd=self.work, env=self.env, capture_output=True, text=True,
                               errors="replace", timeout=timeout,
                               preexec_fn=full_disk(limit) if limit is not None else None)
            return p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
            return "timeout", out, err + "\n(timed out after %d s)" % timeout

    def start(self, args, log):
        """A background process whose output goes to log.out / log.err."""
        out = open(str(log) + ".out", "w")
        err = open(str(log) + ".err", "w")
        p = subprocess.Popen(self.argv(args), cwd=self.work, env=self.env, stdout=out, stderr=err)
        p.logs = (out, err, Path(str(log) + ".out"), Path(str(log) + ".err"))
        p.started = time.monotonic()
        return p


def finish(p, timeout=TIMEOUT):
    try:
        rc = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
        rc = "timeout"
    for f in p.logs[:2]:
        f.close()
    return rc, p.logs[2].read_text(errors="replace"), p.logs[3].read_text(errors="replace")


def kill9(p):
    try:
        os.kill(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_until(p, condition, deadline_s, poll=0.0005):
    """Polls condition() until it is true (returns True) or p ends / the deadline passes (False)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if condition():
            return True
        if p.poll() is not None:
            return False
        time.sleep(poll)
    return False


def error_is_clear(rc, err):
    """(ok, why) for a failed command: a non-zero exit code, an "upstep: error:" line, no crash."""
    if rc == "timeout":
        return False, "hung (killed after %d s)" % TIMEOUT
    if rc == 0:
        return False, "exit 0"
    if rc < 0:
        return False, "killed by signal %d" % -rc
    if "internal error" in err or "terminate called" in err:
        return False, "exit %s: %s" % (rc, tail(err, 2))
    if "upstep: error:" not in err:
        return False, "exit %s without an 'upstep: error:' line: %s" % (rc, tail(err, 2))
    if not DISK_WORDS.search(err):
        return False, "exit %s, the message does not name the full disk: %s" % (rc, tail(err, 1))
    return True, "exit %s: %s" % (rc, tail(err, 1))


# ----------------------------------------------------------------------------------------------
# The test


class FaultInjection:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.rng = random.Random(args.seed)
        self.up = Upstep(args.upstep, work, args.threads)
        self.checks = Checks()
        self.images = work / "images"
        self.weights = work / "tiny.safetensors"

    # -- set-up --------------------------------------------------------------------------------

    def setup(self):
        idx_images, idx_labels, source = find_idx(self.work, self.args.data, self.args.seed)
        self.idx = (idx_images, idx_labels)
        self.must(["import-idx", idx_images, idx_labels, self.images, "--limit", self.args.images])
        self.must(["init", "--arch", ARCH, "--out", self.weights, "--seed", 1])
        # A smaller probe sample (mu0 and the drift monitor) keeps each run at a few seconds.
        config = self.work / "session.json"
        config.write_text('{"probe_images": 64}\n')
        self.adapt_args = ["adapt", "--config", config, "--weights", self.weights, "--target", self.images, "--steps", self.args.steps,
                           "--batch", 16, "--checkpoint-every", self.args.checkpoint_every, "--log-every", 5,
                           "--seed", 7, "--workers", 1]
        note("data: %d images of %s; model: init %s" % (self.args.images, source, ARCH))
        # The reference, timed: when training starts (the step-0 metrics record) and when it ends.
        self.ref = self.work / "reference"
        p = self.up.start(self.adapt_args + ["--out", self.ref], self.work / "reference")
        wait_until(p, lambda: (self.ref / "metrics.jsonl").exists(), TIMEOUT, poll=0.01)
        self.ref_training = time.monotonic() - p.started
        rc, _, err = finish(p)
        self.ref_seconds = time.monotonic() - p.started
        if rc != 0:
            raise SystemExit("set-up failed: the reference run: exit %s\n%s" % (rc, err))
        self.ref_adapter = (self.ref / "adapter.safetensors").read_bytes()
        self.ref_checkpoint = checkpoint_files(self.ref)[-1]
        self.ref_metrics, _ = metrics_records(self.ref)
        self.checkpoint_size = self.ref_checkpoint.stat().st_size
        note("reference: %d steps, a checkpoint every %d, %.1f s (training from %.1f s); checkpoint %d bytes, "
             "adapter %d bytes" % (self.args.steps, self.args.checkpoint_every, self.ref_seconds, self.ref_training,
                                   self.checkpoint_size, len(self.ref_adapter)))

    def must(self, args, **kw):
        rc, out, err = self.up.run(args, **kw)
        if rc != 0:
            raise SystemExit("set-up failed: upstep %s: exit %s\n%s" % (" ".join(map(str, args)), rc, err))
        return out, err

    # -- helpers -------------------------------------------------------------------------------

    def recover(self, run):
        """--resume (or, without a checkpoint, start again) until the run finishes. Returns (ok, how)."""
        how = []
        for _ in range(4):
            if checkpoint_files(run):
                rc, out, err = self.up.run(["adapt", "--out", run, "--resume"])
                m = re.search(r"resumed from step (\d+)", err)
                how.append("resume from %s" % (m.group(1) if m else "?"))
            else:
                rc, out, err = self.up.run(self.adapt_args + ["--out", run])
                how.append("fresh start (no checkpoint)")
            if rc == 0 and '"finished"' in out.lower():
                return True, ", ".join(how)
            how[-1] += " -> exit %s (%s)" % (rc, tail(err, 2))
        return False, ", ".join(how)

    def same_as_reference(self, run, stopped_at=None):
        """(differences in the adapter and the final checkpoint, differences in metrics.jsonl).

        stopped_at: the step a SIGINT/SIGTERM stopped the run at. A stop writes a record of the
        steps since the last one (at the stop step), so the record after it averages a shorter
        window than the uninterrupted run's: both are left out of the comparison."""
        run = Path(run)
        adapter = run / "adapter.safetensors"
        if not adapter.exists():
            return ["no adapter.safetensors"], []
        diffs = [] if adapter.read_bytes() == self.ref_adapter else ["adapter.safetensors differs"]
        final = checkpoint_files(run)
        if not final or final[-1].name != self.ref_checkpoint.name:
            diffs.append("final checkpoint %s missing" % self.ref_checkpoint.name)
        else:
            diffs += ["%s: %s" % (final[-1].name, d) for d in checkpoint_differences(final[-1], self.ref_checkpoint)]
        records, torn = metrics_records(run)
        reference = self.ref_metrics
        if stopped_at is not None:
            after = min((r["step"] for r in reference if r["step"] > stopped_at), default=None)
            ref_steps = {r["step"] for r in reference}
            skip = {after} | ({stopped_at} - ref_steps)
            records = [r for r in records if r.get("step") not in skip]
            reference = [r for r in reference if r.get("step") not in skip]
        metrics = ["%d torn line(s)" % torn] if torn else []
        if records != reference:
            bad = [r.get("step") for r, q in zip(records, reference) if r != q]
            keys = sorted({k for r, q in zip(records, reference) if r != q for k in set(r) | set(q)
                           if r.get(k) != q.get(k)})
            metrics.append("%d records against %d; differ at steps %s in %s" % (
                len(records), len(reference), bad, ", ".join(keys)))
        return diffs, metrics

    def check_recovered(self, label, run, stopped_at=None):
        ok, how = self.recover(run)
        if not self.checks.check("%s: the run finishes" % label, ok, how):
            return
        diffs, metrics = self.same_as_reference(run, stopped_at)
        self.checks.check("%s: adapter bit-identical to the uninterrupted run" % label, not diffs,
                          "; ".join(diffs) if diffs else "(%s)" % how)
        self.checks.check("%s: metrics.jsonl (less timing fields) equals the uninterrupted run's" % label,
                          not metrics, "; ".join(metrics))
        left = litter(run)
        self.checks.check("%s: no temporary litter in the run folder" % label, not left, "left: " + ", ".join(left))

    # -- kill -9 during adapt ------------------------------------------------------------------

    def kills(self):
        total = self.args.kills
        targeted = [i for i in range(total) if i % 4 == 1] or [0]
        identical = resumed = 0
        for i in range(total):
            run = self.work / ("kill-%02d" % i)
            if i in targeted:
                where = self.kill_during_checkpoint(run, i)
            else:
                where = self.kill_at_random(run, i)
            ok, how = self.recover(run)
            diffs, metrics = self.same_as_reference(run) if ok else (["did not finish: " + how], [])
            left = litter(run)
            identical += not diffs
            resumed += "resume from" in how
            self.checks.check("kill %02d (%s): bit-identical after resume" % (i, where), not diffs,
                              "; ".join(diffs) if diffs else "(%s)" % how)
            self.checks.check("kill %02d: metrics.jsonl (less timing fields) equals the uninterrupted run's" % i,
                              not metrics, "; ".join(metrics))
            self.checks.check("kill %02d: no temporary litter after resume" % i, not left, "left: " + ", ".join(left))
        note("kills: %d of %d bit-identical; %d resumed from a checkpoint, %d started again (killed before the "
             "first checkpoint)" % (identical, total, resumed, total - resumed))
        self.kill_result = (identical, total)

    def kill_at_random(self, run, i):
        """One kill in five lands at a random moment of the set-up (loading, scanning, the probe
        sample); the others a random delay after a random metrics record (every 5 steps, and the
        last one before the final checkpoint and adapter are written), so that they spread over the
        training whatever the machine's load."""
        records = self.args.steps // 5 + 1
        interval = max(0.05, (self.ref_seconds - self.ref_training) / records)
        for _ in range(5):
            shutil.rmtree(run, ignore_errors=True)
            log = self.work / ("kill-%02d" % i)
            p = self.up.start(self.adapt_args + ["--out", run], log)
            if i % 5 == 0:
                k, delay = -1, self.rng.uniform(0.05, 1.0) * self.ref_training
                anchored = True
            else:
                # Even rounds after the first checkpoint, so that the quick version resumes one.
                first = self.args.checkpoint_every // 5 if i % 2 == 0 else 0
                k, delay = self.rng.randrange(min(first, records - 1), records), self.rng.uniform(0, interval)
                err = Path(str(log) + ".err")
                anchored = wait_until(p, lambda: err.read_text(errors="replace").count("\nstep ") > k
                                      if err.exists() else False, TIMEOUT, poll=0.002)
            start = time.monotonic()
            if anchored and wait_until(p, lambda: time.monotonic() - start >= delay, delay + 5, poll=0.002):
                kill9(p)
                finish(p)
                where = "at start + %.2f s" % delay if k < 0 else "%.2f s after step %d" % (delay, 5 * k)
                temps = checkpoint_temps(run)
                return "%s, newest checkpoint %s%s" % (where, self.newest(run),
                                                       ", during a checkpoint write" if temps else "")
            finish(p)  # it finished first: draw again
        return "at random: the run always finished first"

    def kill_during_checkpoint(self, run, i):
        writes = max(1, self.args.steps // self.args.checkpoint_every - 1)
        for attempt in range(8):
            shutil.rmtree(run, ignore_errors=True)
            nth = self.rng.randint(1, writes)
            seen = set()

            def nth_write():
                seen.update(checkpoint_temps(run))
                return len(seen) >= nth
            p = self.up.start(self.adapt_args + ["--out", run], self.work / ("kill-%02d" % i))
            hit = wait_until(p, nth_write, TIMEOUT, poll=0.0002)
            if hit:
                kill9(p)
            finish(p)
            temps = checkpoint_temps(run)
            if hit and temps:
                return "during a checkpoint write: %s left, attempt %d" % (", ".join(temps), attempt + 1)
        self.checks.check("kill %02d: landed during a checkpoint write" % i, False,
                          "8 attempts, the temporary file was always gone when the kill landed")
        return "near a checkpoint write"

    @staticmethod
    def newest(run):
        c = checkpoint_files(run)
        return c[-1].name[5:13].lstrip("0") or "0" if c else "none"

    # -- kill -9 during export -----------------------------------------------------------------

    def export_kills(self):
        folder = self.work / "exports"
        folder.mkdir()
        for fmt in ("peft", "merged"):
            ref = folder / ("reference-" + fmt)
            self.must(["export", "--run", self.ref, "--format", fmt, "--out", ref])
            out = folder / ("killed-" + fmt)
            landed = False
            for _ in range(8):
                p = self.up.start(["export", "--run", self.ref, "--format", fmt, "--out", out],
                                  self.work / ("export-" + fmt))
                staged = lambda: any(n.startswith(out.name + ".partial") for n in os.listdir(folder))
                if wait_until(p, staged, TIMEOUT, poll=0.0002):
                    kill9(p)
                    finish(p)
                    landed = True
                    break
                finish(p)
                shutil.rmtree(out, ignore_errors=True)
            if not self.checks.check("export %s: kill -9 landed while the partial folder existed" % fmt, landed,
                                     "the export always finished first"):
                continue
            self.checks.check("export %s: kill -9 leaves nothing under the final name" % fmt, not out.exists(),
                              "%s exists: %s" % (out.name, snapshot(out)))
            left = [n for n in os.listdir(folder) if n.startswith(out.name + ".")]
            note("export %s: left by the kill: %s" % (fmt, ", ".join(left) or "nothing"))
            shutil.rmtree(out, ignore_errors=True)
            rc, _, err = self.up.run(["export", "--run", self.ref, "--format", fmt, "--out", out])
            a, b = snapshot(out) or {}, snapshot(ref) or {}
            a.pop("README.md", None), b.pop("README.md", None)  # README.md quotes the folder's name
            self.checks.check("export %s: exporting again after the kill matches an uninterrupted export" % fmt,
                              rc == 0 and a == b, "exit %s: %s" % (rc, tail(err, 2)))
            left = [n for n in os.listdir(folder) if n.startswith(out.name + ".")]
            self.checks.check("export %s: no partial folder left after the kill and the next export" % fmt, not left,
                              "left: " + ", ".join(left))

    # -- full disk -----------------------------------------------------------------------------

    def disk_error(self, label, rc, err, previous_state):
        ok, why = error_is_clear(rc, err)
        self.checks.check("%s: fails with a clear message" % label, ok, why if not ok else "(%s)" % why)
        if previous_state:
            self.checks.check("%s: says the previous state is kept" % label, KEPT_WORDS.search(err) is not None,
                              "message: %s" % tail(err, 2))

    def disk_adapt(self):
        # A run with two checkpoints on disk, killed; then --resume with a disk that fills in the
        # middle of a metrics.jsonl append (a torn line), then with one too small for a checkpoint,
        # then --resume on a free disk, which must end as the uninterrupted run did.
        run = self.work / "disk-adapt"
        want = 2 * self.args.checkpoint_every
        p = self.up.start(self.adapt_args + ["--out", run], self.work / "disk-adapt")
        reached = lambda: any(int(c.name[5:13]) >= want for c in checkpoint_files(run)) and not checkpoint_temps(run)
        wait_until(p, reached, TIMEOUT, poll=0.005)
        kill9(p)
        finish(p)
        metrics_size = (run / "metrics.jsonl").stat().st_size
        for label, limit in (("at a metrics append", metrics_size + 100), ("at a checkpoint", self.checkpoint_size // 2)):
            if limit < metrics_size + 100:
                self.checks.check("disk full %s: set-up" % label, False, "a checkpoint (%d bytes) is too small next "
                                  "to metrics.jsonl (%d bytes)" % (self.checkpoint_size, metrics_size))
                continue
            before = {c.name: sha(c) for c in checkpoint_files(run)}
            rc, _, err = self.up.run(["adapt", "--out", run, "--resume"], limit=limit)
            name = "disk full %s (adapt --resume, RLIMIT_FSIZE %d)" % (label, limit)
            self.disk_error(name, rc, err, True)
            after = {c.name: sha(c) for c in checkpoint_files(run)}
            self.checks.check("%s: the previous checkpoints are intact" % name,
                              all(after.get(n) == d for n, d in before.items()),
                              "before %s, after %s" % (sorted(before), sorted(after)))
            left = litter(run)
            self.checks.check("%s: no temporary litter" % name, not left, "left: " + ", ".join(left))
        self.check_recovered("disk full, then --resume on a free disk", run)

    def disk_export(self):
        folder = self.work / "disk-export"
        folder.mkdir()
        good = folder / "good"
        self.must(["export", "--run", self.ref, "--format", "peft", "--out", good])
        sizes = {f.name: f.stat().st_size for f in good.iterdir()}
        peft_limit = sizes["adapter_model.safetensors"] // 2
        merged_limit = self.weights.stat().st_size // 2
        cases = [("peft", folder / "new-peft", peft_limit, False), ("merged", folder / "new-merged", merged_limit, False),
                 ("merged --force over a good peft export", good, merged_limit, True)]
        for label, out, limit, force in cases:
            before = snapshot(out)
            fmt = "merged" if "merged" in label else "peft"
            rc, _, err = self.up.run(["export", "--run", self.ref, "--format", fmt, "--out", out]
                                     + (["--force"] if force else []), limit=limit)
            name = "disk full during export %s (RLIMIT_FSIZE %d)" % (label, limit)
            self.disk_error(name, rc, err, force)
            after = snapshot(out)
            self.checks.check("%s: %s" % (name, "the existing folder is intact" if force else "nothing under the final name"),
                              after == before, "before %s, after %s" % (before, after))
            left = [n for n in os.listdir(folder) if n.startswith(out.name + ".")]
            self.checks.check("%s: no partial folder" % name, not left, "left: " + ", ".join(left))

    def disk_features(self):
        folder = self.work / "disk-features"
        folder.mkdir()
        # Long folder names make the CSV index larger than the features, so a limit between the two
        # lets the .safetensors be written and the .csv fail (issue 12, defect 12).
        long_images = self.work / ("l" * 200) / ("m" * 200) / "images"
        long_images.parent.mkdir(parents=True)
        self.must(["import-idx", self.idx[0], self.idx[1], long_images, "--limit", self.args.images])
        good = folder / "good.safetensors"
        self.must(["features", "--weights", self.weights, "--data", self.images, "--out", good, "--workers", 1])
        probe = folder / "probe.safetensors"
        self.must(["features", "--weights", self.weights, "--data", long_images, "--out", probe, "--workers", 1])
        st, csv = probe.stat().st_size, probe.with_suffix(".csv").stat().st_size
        if csv > st + 1024:
            limits = [("after the features, before the index", (st + csv) // 2)]
        else:
            limits = [("before the features", st // 2)]
            note("features: the index (%d bytes) is not larger than the features (%d)" % (csv, st))
        for where, limit in limits:
            out = folder / ("new-%d.safetensors" % limit)
            rc, _, err = self.up.run(["features", "--weights", self.weights, "--data", long_images, "--out", out,
                                      "--workers", 1], limit=limit)
            name = "disk full during features, %s (RLIMIT_FSIZE %d)" % (where, limit)
            self.disk_error(name, rc, err, False)
            left = [n for n in os.listdir(folder) if n.startswith(out.stem) or n.startswith("." + out.stem)]
            self.checks.check("%s: nothing under the final names" % name, not left, "left: " + ", ".join(left))
        where, limit = limits[-1]
        before = (snapshot(good), snapshot(good.with_suffix(".csv")))
        rc, _, err = self.up.run(["features", "--weights", self.weights, "--data", long_images, "--out", good,
                                  "--workers", 1], limit=limit)
        name = "disk full during features over good ones, %s (RLIMIT_FSIZE %d)" % (where, limit)
        self.disk_error(name, rc, err, True)
        after = (snapshot(good), snapshot(good.with_suffix(".csv")))
        changed = [f for f, b, a in zip(("good.safetensors", "good.csv"), before, after) if a != b]
        self.checks.check("%s: the previous features and index are intact" % name, not changed,
                          "changed: " + ", ".join(changed))
        left = [n for n in os.listdir(folder) if ".tmp" in n]
        self.checks.check("%s: no temporary litter" % name, not left, "left: " + ", ".join(left))

    def disk_embed(self):
        folder = self.work / "disk-embed"
        folder.mkdir()
        base = ["embed", "--weights", self.weights, "--adapter", self.ref, "--data", self.images, "--method", "pca"]
        good_csv, good_proj = folder / "good.csv", folder / "good-projector"
        self.must(base + ["--max", 200, "--out", good_csv, "--projector", good_proj])
        sizes = sorted((f.stat().st_size, f.name) for f in good_proj.iterdir())
        limit = max(sizes[-1][0] // 2, good_csv.stat().st_size * 2)
        note("embed: projector files %s; RLIMIT_FSIZE %d" % (", ".join("%s %d" % (n, s) for s, n in sizes), limit))
        out_csv, out_proj = folder / "new.csv", folder / "new-projector"
        rc, _, err = self.up.run(base + ["--max", 200, "--out", out_csv, "--projector", out_proj], limit=limit)
        name = "disk full during embed --projector (RLIMIT_FSIZE %d)" % limit
        self.disk_error(name, rc, err, False)
        self.checks.check("%s: no projector folder under the final name" % name, not out_proj.exists(),
                          "new-projector holds: %s" % sorted(snapshot(out_proj) or {}))
        self.checks.check("%s: no CSV of a half-written result" % name, not out_csv.exists(), "new.csv was written")
        before = (snapshot(good_csv), snapshot(good_proj))
        rc, _, err = self.up.run(base + ["--max", 250, "--out", good_csv, "--projector", good_proj], limit=limit)
        name = "disk full during embed --projector over good ones (RLIMIT_FSIZE %d)" % limit
        self.disk_error(name, rc, err, True)
        after = (snapshot(good_csv), snapshot(good_proj))
        changed = []
        if after[0] != before[0]:
            changed.append("good.csv")
        changed += ["good-projector/" + f for f in sorted(set(before[1]) | set(after[1] or {}))
                    if (after[1] or {}).get(f) != before[1].get(f)]
        self.checks.check("%s: the previous CSV and projector are intact" % name, not changed,
                          "changed: " + ", ".join(changed))
        left = litter(folder)
        self.checks.check("%s: no temporary litter" % name, not left, "left: " + ", ".join(left))

    def disk_import(self):
        folder = self.work / "disk-import"
        folder.mkdir()
        good = folder / "good"
        self.must(["import-idx", self.idx[0], self.idx[1], good, "--limit", 100])
        limit = min(f.stat().st_size for f in good.rglob("*.png")) // 2
        for label, out, extra in (("into a new folder", folder / "new", []),
                                  ("--overwrite over a good folder", good, ["--overwrite"])):
            before = snapshot(out)
            rc, _, err = self.up.run(["import-idx", self.idx[0], self.idx[1], out, "--limit", 120] + extra, limit=limit)
            name = "disk full during import-idx %s (RLIMIT_FSIZE %d)" % (label, limit)
            self.disk_error(name, rc, err, bool(extra))
            after = snapshot(out)
            self.checks.check("%s: %s" % (name, "the previous folder is intact" if extra else "nothing under the final name"),
                              after == before, "before %s files, after %s files" % (
                                  len(before) if before else None, len(after) if after else None))
            left = [n for n in os.listdir(folder) if n.startswith(out.name + ".")]
            self.checks.check("%s: no partial folder" % name, not left, "left: " + ", ".join(left))

    # -- SIGINT, SIGTERM -----------------------------------------------------------------------

    def signals(self):
        codes = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            label = sig.name
            run = self.work / ("signal-" + label.lower())
            for _ in range(4):
                shutil.rmtree(run, ignore_errors=True)
                p = self.up.start(self.adapt_args + ["--out", run], self.work / ("signal-" + label.lower()))
                if wait_until(p, lambda: checkpoint_files(run), TIMEOUT, poll=0.005):
                    time.sleep(self.rng.uniform(0.0, 0.15 * self.ref_seconds))
                    if p.poll() is None:
                        os.kill(p.pid, sig)
                        rc, out, err = finish(p, timeout=120)
                        # A signal that lands after the last step finds nothing to stop: the run
                        # finishes normally (exit 0). That is right, but tests nothing: try again.
                        if not (rc == 0 and "stopped at step" not in err):
                            break
                        continue
                finish(p)
            else:
                self.checks.check("%s: the signal reached a running adapt" % label, False, "the run finished first")
                continue
            codes[label] = rc
            m = re.search(r"stopped at step (\d+)", err)
            clean = rc == 130 and m is not None and "internal error" not in err
            self.checks.check("%s: adapt checkpoints and exits cleanly" % label, clean,
                              "(exit %s, stopped at step %s)" % (rc, m.group(1)) if clean else
                              "exit %s%s: %s" % (rc, " (killed by %s)" % signal.Signals(-rc).name
                                                 if isinstance(rc, int) and rc < 0 else "", tail(err, 2)))
            if m:
                step = int(m.group(1))
                names = [c.name for c in checkpoint_files(run)]
                self.checks.check("%s: a checkpoint at the stop step" % label, "step-%08d.safetensors" % step in names,
                                  "checkpoints: %s" % names)
            self.check_recovered("%s, then --resume" % label, run, int(m.group(1)) if m else None)
        if len(codes) == 2:
            self.checks.check("SIGTERM exits like SIGINT", codes["SIGINT"] == codes["SIGTERM"],
                              "SIGINT exit %s, SIGTERM exit %s" % (codes["SIGINT"], codes["SIGTERM"]))

    # -- two writers ---------------------------------------------------------------------------

    def lock(self):
        # Two fresh runs started 0.5 s apart: whichever takes the folder first must finish as the
        # uninterrupted run did, and the other must be refused.
        run = self.work / "lock-two"
        first = self.up.start(self.adapt_args + ["--out", run], self.work / "lock-two-1")
        time.sleep(0.5)
        second = self.up.start(self.adapt_args + ["--out", run], self.work / "lock-two-2")
        results = [finish(second), finish(first)]
        label = "lock, two adapt 0.5 s apart"
        refused = [r for r in results if r[0] != 0 and LOCK_WORDS.search(r[2])]
        finished = [r for r in results if r[0] == 0]
        self.checks.check("%s: one is refused (folder in use)" % label, len(refused) == 1 and len(finished) == 1,
                          "second: exit %s: %s; first: exit %s: %s" % (results[0][0], tail(results[0][2], 2),
                                                                       results[1][0], tail(results[1][2], 2)))
        diffs = self.same_as_reference(run)[0]
        self.checks.check("%s: the run folder ends bit-identical to the uninterrupted run" % label, not diffs,
                          "; ".join(diffs))

        # A --resume while a run holds the folder (frozen by SIGSTOP after its first checkpoint,
        # so that it cannot finish before the second one starts).
        run = self.work / "lock-resume"
        label = "lock, adapt --resume while adapt runs"
        first = self.up.start(self.adapt_args + ["--out", run], self.work / "lock-resume-1")
        if not wait_until(first, lambda: checkpoint_files(run), TIMEOUT, poll=0.005):
            finish(first)
            self.checks.check("%s: set-up" % label, False, "the first run ended before its first checkpoint")
            return
        os.kill(first.pid, signal.SIGSTOP)
        try:
            rc2, _, err2 = self.up.run(["adapt", "--out", run, "--resume"], timeout=120)
        finally:
            os.kill(first.pid, signal.SIGCONT)
        rc1, _, err1 = finish(first)
        self.checks.check("%s: the second is refused (folder in use)" % label,
                          rc2 != 0 and LOCK_WORDS.search(err2) is not None, "exit %s: %s" % (rc2, tail(err2, 2)))
        diffs = self.same_as_reference(run)[0] if rc1 == 0 else ["exit %s: %s" % (rc1, tail(err1, 2))]
        self.checks.check("%s: the first finishes bit-identical" % label, not diffs, "; ".join(diffs))

    # -- all -----------------------------------------------------------------------------------

    def run(self):
        started = time.monotonic()
        self.setup()
        groups = self.args.only.split(",") if self.args.only else ["kills", "export", "disk", "signals", "lock"]
        for group in groups:
            print("== %s" % group, flush=True)
            t = time.monotonic()
            if group == "kills":
                self.kills()
            elif group == "export":
                self.export_kills()
            elif group == "disk":
                for part in (self.disk_adapt, self.disk_export, self.disk_features, self.disk_embed, self.disk_import):
                    t_part = time.monotonic()
                    part()
                    note("%s: %.0f s" % (part.__name__, time.monotonic() - t_part))
            elif group == "signals":
                self.signals()
            elif group == "lock":
                self.lock()
            else:
                raise SystemExit("unknown group: " + group)
            note("%s: %.0f s" % (group, time.monotonic() - t))
        failed = self.checks.failed()
        kills = getattr(self, "kill_result", None)
        print("RESULT: %d checks, %d failed%s; %.0f s; seed %d" % (
            len(self.checks.results), len(failed),
            "; kill -9 + resume bit-identical %d of %d" % kills if kills else "",
            time.monotonic() - started, self.args.seed), flush=True)
        for name, _, detail in failed:
            print("  failed: %s: %s" % (name, detail))
        return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstep", required=True, help="the upstep binary")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="CI version: 3 kills (one during a checkpoint write)")
    mode.add_argument("--kills", type=int, help="kill -9 + resume rounds (default 20)")
    ap.add_argument("--seed", type=int, default=12, help="seed of the kill moments (and of synthetic data)")
    ap.add_argument("--steps", type=int, default=0, help="adapt steps (default: 30 quick, 40 full)")
    ap.add_argument("--checkpoint-every", type=int, default=10)
    ap.add_argument("--images", type=int, default=320)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (the same for every run)")
    ap.add_argument("--data", help="a folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz")
    ap.add_argument("--only", help="comma-separated groups: kills,export,disk,signals,lock")
    ap.add_argument("--work", help="work folder (default: a new temporary one, removed afterwards)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()
    if args.kills is None:
        args.kills = 3 if args.quick else 20
    if not args.steps:
        args.steps = 30 if args.quick else 40
    args.upstep = str(Path(args.upstep).resolve())
    if not os.access(args.upstep, os.X_OK):
        raise SystemExit("not an executable: " + args.upstep)
    if args.work:
        work = Path(args.work).resolve()
        work.mkdir(parents=True, exist_ok=False)
    else:
        work = Path(tempfile.mkdtemp(prefix="upstep-faults-"))
    print("fault injection: %s, %d kills, work folder %s" % (args.upstep, args.kills, work), flush=True)
    try:
        code = FaultInjection(args, work).run()
    finally:
        if args.keep or args.work:
            print("kept " + str(work))
        else:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
