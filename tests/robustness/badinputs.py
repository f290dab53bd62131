#!/usr/bin/python3
"""The bad-input corpus of issue 12: every bad input answered, none crashes, hangs or litters.

Generates every case into a fresh temporary folder (nothing binary is checked in): a tiny real
model (`upstep init`), a labeled folder of 40 PNGs written here, one short real run (`upstep
adapt`), and from them broken weights files, image folders, configs and command-line values.
Each case runs the CLI once and is checked for:

  - the expected outcome: most cases are refused (exit 1 with "upstep: error:", exit 3 "training
    diverged", or a command-line parse error, exit 100-120) with a message that names the file or
    option and says the problem in plain words; some are answered by SKIPPING one bad file and
    reporting it while the command succeeds (exit 0, the report names the file and why);
  - never a signal death, never exit 2 / "internal error", never a C++ stack trace or a raw
    library diagnostic (libpng, libjpeg, OpenCV log lines);
  - no hang (a per-case timeout; the process group is killed);
  - bounded memory: the child's peak RSS (os.wait4's ru_maxrss, and /proc polling that kills a
    child past twice the bound) stays under MEMORY_BOUND_MB;
  - no file left behind: the case's folder (its working directory and TMPDIR) is compared before
    and after the run (the whole tree for the cases that run in the shared folder, one at a time,
    and the shared model, images and run after the others); a refused command may create or change
    nothing, a successful one only its declared outputs, and never *.tmp*, *.partial* or *.old-*.

Cases with their own folder run --jobs at a time (default 2); the rest run alone.

The memory bound, 1.5 GB: every model here is a 28-pixel ViT of about 0.1 M parameters, so a
legitimate command of this corpus peaks at the LibTorch + OpenCV runtime (a few hundred MB; the
largest good case is printed at the end). 1.5 GB leaves several times that as headroom, yet is below
what one decompression bomb costs when it is decoded (30000 x 30000 pixels: 2.7 GB as 8-bit BGR,
10.8 GB as float) and what the absurd sizes below would allocate, so a value that is not refused
before allocating is caught. RLIMIT_AS of 12 GB is only a safety net for the machine.

Usage: badinputs.py --upstep build/release/app/upstep [--jobs N] [--keep] [--only SUBSTRING]
Standard library only. Exit status 0 when every case passes, 1 otherwise.
"""

import argparse
import concurrent.futures
import json
import os
import pickle
import random
import re
import resource
import shlex
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib

# Under AddressSanitizer (scripts/sanitize exports ASAN_OPTIONS for the asan build): its shadow
# memory reserves about 16 TB of address space, which RLIMIT_AS forbids, so that cap is left off
# (the RSS watch below stays the safety net); its redzones and quarantine raise RSS and it runs
# about 2-3x slower, so the memory bound and the timeouts are scaled by 3.
UNDER_ASAN = "ASAN_OPTIONS" in os.environ
SANITIZER_SCALE = 3 if UNDER_ASAN else 1
MEMORY_BOUND_MB = 1536 * SANITIZER_SCALE
HARD_KILL_MB = 2 * MEMORY_BOUND_MB
ADDRESS_SPACE_LIMIT = 12 << 30
DEFAULT_TIMEOUT = 60 * SANITIZER_SCALE
HANG_TIMEOUT = 30 * SANITIZER_SCALE  # cases whose known failure is a hang

ARCH = "vit,img_size=28,patch=4,depth=2,dim=64,heads=2,num_classes=4"
CLASSES = 4
PER_CLASS = 10
SMALL_ADAPT = ["--steps", "2", "--batch", "8", "--prototypes", "16", "--workers", "1",
               "--precision", "fp32", "--checkpoint-every", "0", "--log-every", "1"]

FORBIDDEN = [
    (re.compile(r"internal error", re.I), "internal error"),
    (re.compile(r"terminate called"), "std::terminate"),
    (re.compile(r"Exception raised from"), "C++ stack trace (c10)"),
    (re.compile(r"frame #\d+"), "C++ stack frames"),
    (re.compile(r"^\s*#\d+\s+0x[0-9a-f]+", re.M), "backtrace"),
    (re.compile(r"what\(\):"), "uncaught exception"),
    (re.compile(r"Segmentation fault|core dumped|Aborted"), "crash text"),
    (re.compile(r"^libpng (error|warning)", re.M), "raw libpng diagnostic"),
    (re.compile(r"Corrupt JPEG data|Premature end of JPEG"), "raw libjpeg diagnostic"),
    (re.compile(r"\[ ?(WARN|ERROR):\d+@"), "raw OpenCV log line"),
]
LEFTOVER = re.compile(r"\.tmp|\.partial|\.old-")
# Plain words for "this number is outside what works".
RANGE = r"negative|at least|at most|positive|range|must (lie|be)|too (large|many|big)|exceed|limit"


# --- file generators ---------------------------------------------------------------------------

def png_bytes(width, height, rows, color_type=0):
    """A PNG from raw scanlines (each already prefixed with its filter byte)."""
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def digit_png(label, rng):
    """28x28 gray: a bright bar whose position says the class, plus noise."""
    rows = []
    for y in range(28):
        row = bytearray([0])
        for x in range(28):
            v = rng.randint(0, 60)
            if label * 6 + 2 <= x < label * 6 + 7 and 4 <= y < 24:
                v = 200 + rng.randint(0, 55)
            row.append(v)
        rows.append(bytes(row))
    return png_bytes(28, 28, zlib.compress(b"".join(rows)))


def bomb_png(size=30000):
    """A valid gray PNG declaring size x size pixels, all zero: about 880 KB on disk. Deflate of a
    run of zeros after a full flush is the same bytes every time, so the stream is one block
    repeated; the Adler-32 of n zero bytes is (n mod 65521) << 16 | 1."""
    rows_per_block = 100
    assert size % rows_per_block == 0
    block_input = b"\0" * ((size + 1) * rows_per_block)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(block_input) + c.flush(zlib.Z_FULL_FLUSH)
    n = (size + 1) * size
    stream = b"\x78\xda" + block * (size // rows_per_block) + b"\x03\x00" + struct.pack(">I", ((n % 65521) << 16) | 1)
    return png_bytes(size, size, stream)


def header_only_png(size=30000):
    """An RGB PNG declaring size x size pixels whose data stops after a few rows."""
    rows = zlib.compress(b"\0" * (3 * size + 1) * 4)
    return png_bytes(size, size, rows, color_type=2)


def huge_bmp(size=30000):
    """A 24-bit BMP header declaring size x size pixels and no pixel data."""
    row = (size * 3 + 3) & ~3
    image = row * size
    header = b"BM" + struct.pack("<IHHI", 54 + image, 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, size, size, 1, 24, 0, image, 2835, 2835, 0, 0)
    return header + info


def st_read(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def st_write(path, header, data):
    text = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    blob = text.encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)) + blob + data)


def tensors_of(header):
    return [(k, v) for k, v in header.items() if k != "__metadata__"]


def st_with_nan(src, dst, name_filter):
    """Copy of a safetensors file whose first float32 tensor matching name_filter starts with NaNs."""
    header, data = st_read(src)
    data = bytearray(data)
    for name, entry in tensors_of(header):
        if entry["dtype"] == "F32" and name_filter(name):
            begin = entry["data_offsets"][0]
            count = min(4, (entry["data_offsets"][1] - begin) // 4)
            data[begin:begin + 4 * count] = struct.pack("<f", float("nan")) * count
            st_write(dst, header, bytes(data))
            return name
    raise RuntimeError(f"{src}: no float32 tensor to poison")


def idx_file(path, magic, dims, payload):
    with open(path, "wb") as f:
        f.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload)


class EvilPickle:
    """Unpickling this runs a shell command; a weights reader must never do that."""

    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return (os.system, ("touch " + shlex.quote(self.sentinel),))


# --- running the CLI ---------------------------------------------------------------------------

class Result:
    def __init__(self, argv):
        self.argv = argv
        self.rc = None
        self.signal = None
        self.killed_for = None
        self.seconds = 0.0
        self.rss_mb = 0.0
        self.out = ""
        self.err = ""

    @property
    def text(self):
        return self.out + "\n" + self.err


class Runner:
    def __init__(self, upstep, root, logs):
        self.upstep = upstep
        self.root = root
        self.logs = logs
        self.count = 0
        self.lock = threading.Lock()
        self.env = dict(os.environ)
        self.env.setdefault("OMP_NUM_THREADS", "2")
        self.env["TMPDIR"] = os.path.join(root, "tmpdir")
        self.env.pop("UPSTEP_MAX_IMAGE_PIXELS", None)
        self.env["LC_ALL"] = "C.UTF-8"

    def start(self, args, cwd=None, fsize=None, timeout=DEFAULT_TIMEOUT, tmpdir=None):
        argv = [self.upstep] + [str(a) for a in args]
        with self.lock:
            self.count += 1
            number = self.count
        res = Result(argv)
        out_path = os.path.join(self.logs, f"{number}.out")
        err_path = os.path.join(self.logs, f"{number}.err")
        env = dict(self.env, TMPDIR=tmpdir) if tmpdir else self.env

        def limits():
            if not UNDER_ASAN:
                resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if fsize is not None:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead
                resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(argv, cwd=cwd or self.root, env=env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err, preexec_fn=limits, start_new_session=True)
        started = time.monotonic()
        done = threading.Event()

        def watch():
            status_file = f"/proc/{proc.pid}/status"
            while not done.wait(0.05):
                try:
                    with open(status_file) as f:
                        for line in f:
                            if line.startswith("VmRSS:"):
                                res.rss_mb = max(res.rss_mb, int(line.split()[1]) / 1024)
                except OSError:
                    pass
                reason = None
                if res.rss_mb > HARD_KILL_MB:
                    reason = f"memory (RSS past {HARD_KILL_MB} MB)"
                elif time.monotonic() - started > timeout:
                    reason = f"hang (killed after {timeout} s)"
                if reason:
                    res.killed_for = reason
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except OSError:
                        pass
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        return (proc, res, started, done, watcher, out_path, err_path)

    def finish(self, handle):
        proc, res, started, done, watcher, out_path, err_path = handle
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0  # reaped here; keep Popen from waiting again
        done.set()
        watcher.join()
        res.seconds = time.monotonic() - started
        res.rss_mb = max(res.rss_mb, usage.ru_maxrss / 1024)
        if os.WIFSIGNALED(status):
            res.signal = os.WTERMSIG(status)
        else:
            res.rc = os.WEXITSTATUS(status)
        with open(out_path, "rb") as f:
            res.out = f.read().decode("utf-8", "backslashreplace")
        with open(err_path, "rb") as f:
            res.err = f.read().decode("utf-8", "backslashreplace")
        with open(out_path, "rb") as f:
            res.out_bytes = f.read()
        return res

    def run(self, args, **kw):
        return self.finish(self.start(args, **kw))


def snapshot(root, skip_top=()):
    """Every path under root (bytes, not following links) with its type, size and mtime."""
    seen = {}
    broot = os.fsencode(root)
    skip = {os.fsencode(n) for n in skip_top}
    for folder, dirs, files in os.walk(broot):
        if folder == broot:
            dirs[:] = [d for d in dirs if d not in skip]
        for name in dirs + files:
            p = os.path.join(folder, name)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            kind = stat.S_IFMT(st.st_mode)
            seen[os.path.relpath(p, broot)] = (kind, 0 if stat.S_ISDIR(st.st_mode) else st.st_size,
                                               0 if stat.S_ISDIR(st.st_mode) else st.st_mtime_ns)
    return seen


def show(p):
    return p.decode("utf-8", "backslashreplace") if isinstance(p, bytes) else p


# --- cases ---------------------------------------------------------------------------------------

class Case:
    """expect: 'error' (refused), 'skip' (exit 0, the report names the bad file and why), 'ok'
    (exit 0), 'any' (exit 0 or a clean refusal) or 'custom' (check decides alone)."""

    def __init__(self, kind, group, args, expect="error", names=(), problem=None, prep=None, check=None,
                 outputs=(), cwd=None, timeout=DEFAULT_TIMEOUT, fsize=None, note=""):
        self.kind = kind
        self.group = group
        self.args = args
        self.expect = expect
        self.names = list(names)
        self.problem = re.compile(problem, re.I) if problem else None
        self.prep = prep
        self.check = check
        self.outputs = list(outputs)
        self.cwd = cwd
        self.timeout = timeout
        self.fsize = fsize
        self.note = note


def error_text(res):
    """The message a refusal gave: from 'upstep: error:' / 'training diverged' on, else stderr."""
    for marker in ("upstep: error:", "upstep: training diverged:"):
        i = res.err.find(marker)
        if i >= 0:
            return res.err[i:]
    return res.err


def clean_refusal(res):
    """None when res is a refusal of the accepted shapes, else what it was."""
    if res.rc == 1 and "upstep: error:" in res.err:
        return None
    if res.rc == 3 and "training diverged" in res.err:
        return None
    if res.rc is not None and 100 <= res.rc <= 120 and res.err.strip():
        return None  # CLI11 parse/validation error naming the option
    return f"exit {res.rc} is not a refusal (want 1 with 'upstep: error:', or a command-line error)"


def names_and_problem(case, text, same_line=False):
    problems = []
    if same_line:
        for name in case.names:
            lines = [l for l in text.splitlines() if name in l]
            if not lines:
                problems.append(f"output does not name {name!r}")
            elif case.problem and not any(case.problem.search(l) for l in lines):
                problems.append(f"the line naming {name!r} does not say why (want /{case.problem.pattern}/)")
        return problems
    for name in case.names:
        if name not in text:
            problems.append(f"message does not name {name!r}")
    if case.problem and not case.problem.search(text):
        problems.append(f"message does not say the problem (want /{case.problem.pattern}/)")
    return problems


def judge(case, res, before, after, base):
    """base: the folder the snapshots were taken of."""
    problems = []
    if res.killed_for:
        problems.append("killed for " + res.killed_for)
    elif res.signal is not None:
        problems.append(f"died of signal {res.signal} ({signal.Signals(res.signal).name})")
    if res.rc == 2:
        problems.append("exit 2 (internal error)")
    for pattern, what in FORBIDDEN:
        if pattern.search(res.text):
            problems.append(what + " in the output")
    if res.rss_mb > MEMORY_BOUND_MB:
        problems.append(f"peak RSS {res.rss_mb:.0f} MB over the bound of {MEMORY_BOUND_MB} MB")

    succeeded = res.rc == 0 and res.signal is None and not res.killed_for
    if not res.killed_for and res.signal is None:
        if case.expect == "error" or (case.expect == "any" and res.rc != 0):
            why = clean_refusal(res)
            if why:
                problems.append(why)
            else:
                problems += names_and_problem(case, error_text(res))
        elif case.expect in ("ok", "skip") or (case.expect == "any" and res.rc == 0):
            if res.rc != 0:
                problems.append(f"exit {res.rc}, want 0")
            elif case.expect == "skip":
                problems += names_and_problem(case, res.text, same_line=True)
            elif case.expect == "ok":
                problems += names_and_problem(case, res.text)
    if case.check:
        problems += case.check(res)

    # Files: a refusal changes nothing; a success only its outputs; nothing temporary stays.
    allowed = [os.fsencode(os.path.relpath(o, base)) for o in case.outputs] if succeeded else []

    def under(p):
        return any(p == a or p.startswith(a + b"/") for a in allowed)

    new = [p for p in after if p not in before]
    gone = [p for p in before if p not in after]
    changed = [p for p in after if p in before and after[p] != before[p]]
    litter = [p for p in new if LEFTOVER.search(os.path.basename(p).decode("utf-8", "replace"))]
    if litter:
        problems.append("left temporary files: " + ", ".join(show(p) for p in sorted(litter)[:4]))
    for what, paths in (("created", new), ("changed", changed), ("removed", gone)):
        bad = sorted(p for p in paths if not under(p) and p not in litter)
        if what == "removed":
            bad = [p for p in bad if not any(p.startswith(q + b"/") for q in bad if q != p)]
        elif what == "created":
            bad = [p for p in bad if not any(p.startswith(q + b"/") for q in bad if q != p)]
        if bad:
            problems.append(f"{what} " + ", ".join(show(p) for p in bad[:4]) + (" ..." if len(bad) > 4 else ""))
    return problems


# --- the corpus ----------------------------------------------------------------------------------

def build_corpus(R, root):
    """Fixtures first (model, images, one short run), then the cases; returns (cases, notes)."""
    rng = random.Random(12)
    j = lambda *p: os.path.join(root, *p)
    os.makedirs(j("tmpdir"))

    def write(path, data, mode="wb"):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, mode) as f:
            f.write(data)

    good_pngs = []
    for c in range(CLASSES):
        for i in range(PER_CLASS):
            data = digit_png(c, rng)
            good_pngs.append((f"c{c}", f"{c}_{i:02d}.png", data))
            write(j("imgs", f"c{c}", f"{c}_{i:02d}.png"), data)
    total_good = len(good_pngs)

    def image_folder(name, extra=None, flat=False):
        """A copy of the 40 good images (hard links are enough) plus extra files."""
        d = j("cases", name, "data")
        for cls, fname, _ in good_pngs:
            target = os.path.join(d, fname) if flat else os.path.join(d, cls, fname)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.link(j("imgs", cls, fname), target)
        if extra:
            extra(d)
        return d

    # Fixtures through the CLI itself.
    fixtures = []
    r = R.run(["init", "--arch", ARCH, "--out", "model.safetensors"])
    fixtures.append(("init", r))
    r2 = R.run(["init", "--arch", ARCH, "--seed", "1", "--out", "model-other.safetensors"])
    fixtures.append(("init other seed", r2))
    base_run = R.run(["adapt", "--weights", "model.safetensors", "--target", "imgs", "--out", "run",
                      "--steps", "4", "--batch", "8", "--prototypes", "16", "--workers", "1", "--precision", "fp32",
                      "--checkpoint-every", "2", "--log-every", "2"])
    fixtures.append(("adapt (the shared run)", base_run))
    for name, res in fixtures:
        if res.rc != 0:
            raise SystemExit(f"fixture failed: {name}: {' '.join(res.argv)}\n  exit {res.rc} signal {res.signal}\n"
                             f"{res.err[-2000:]}")
    model, other_model, run = j("model.safetensors"), j("model-other.safetensors"), j("run")
    imgs = j("imgs")

    cases = []
    add = cases.append

    def cdir(kind, *p):
        return j("cases", kind, *p)

    def adapt_args(out, *more, weights=None, target=None):
        """A short adapt; options in `more` replace the small defaults (CLI11 takes each once)."""
        given = dict(zip(more[::2], more[1::2]))
        small = dict(zip(SMALL_ADAPT[::2], SMALL_ADAPT[1::2]))
        args = ["adapt", "--weights", weights or model, "--target", target or imgs, "--out", out]
        for k, v in {**small, **given}.items():
            args += [k, v]
        return args

    # ---------------------------------------------------------------- weights files
    header, data = st_read(model)
    entries = tensors_of(header)
    f32 = [(n, e) for n, e in entries if e["dtype"] == "F32"]
    vec = next((n, e) for n, e in f32 if n == "norm.weight")

    def weights_case(kind, make, problem, names=None, **kw):
        path = cdir(kind, kind + ".safetensors")
        add(Case(kind, "weights", ["info", path], "error",
                 names if names is not None else [os.path.basename(path)], problem,
                 prep=lambda: (os.makedirs(os.path.dirname(path), exist_ok=True), make(path)), **kw))

    weights_case("weights-zero-bytes", lambda p: write(p, b""), r"too short|empty|0 bytes")
    weights_case("weights-truncated", lambda p: write(p, open(model, "rb").read()[:os.path.getsize(model) // 2]),
                 r"truncat|beyond|past the end|exceed|only \d+ bytes|out of range|end of")
    weights_case("weights-header-length-absurd", lambda p: write(p, b"\xff" * 8 + b"{}" * 100),
                 r"header length|not a safetensors")
    weights_case("weights-header-not-json", lambda p: st_write(p, "{\"a\": [1, 2", b""), r"JSON")

    def dtype_unknown(p):
        h = json.loads(json.dumps(header))
        h[vec[0]]["dtype"] = "F99"
        st_write(p, h, data)
    weights_case("weights-dtype-unknown", dtype_unknown, r"dtype", names=["weights-dtype-unknown.safetensors", "F99"])

    def offsets_out_of_range(p):
        h = json.loads(json.dumps(header))
        h[vec[0]]["data_offsets"][1] = len(data) + 4096
        st_write(p, h, data)
    weights_case("weights-offsets-out-of-range", offsets_out_of_range,
                 r"out of range|beyond|past|exceed|truncat|outside|end of|larger than|bytes")

    def offsets_overlap(p):
        h = json.loads(json.dumps(header))
        h["norm.bias"]["data_offsets"] = list(h["norm.weight"]["data_offsets"])
        st_write(p, h, data)
    weights_case("weights-offsets-overlap", offsets_overlap, r"overlap")

    def shape_mismatch(p):
        h = json.loads(json.dumps(header))
        h[vec[0]]["shape"] = [vec[1]["shape"][0] * 2]
        st_write(p, h, data)
    weights_case("weights-shape-bytes-mismatch", shape_mismatch, r"shape|bytes")

    def duplicate(p):  # defect 11: the second entry has its own bytes, so nothing overlaps
        parts = [f"{json.dumps(k)}:{json.dumps(v)}" for k, v in header.items()]
        n = vec[1]["data_offsets"][1] - vec[1]["data_offsets"][0]
        extra = {"dtype": "F32", "shape": vec[1]["shape"], "data_offsets": [len(data), len(data) + n]}
        parts.append(f"{json.dumps(vec[0])}:{json.dumps(extra)}")
        st_write(p, "{" + ",".join(parts) + "}", data + struct.pack("<f", 5.0) * (n // 4))
    weights_case("weights-tensor-named-twice", duplicate, r"twice|duplicate",
                 names=["weights-tensor-named-twice.safetensors", vec[0]])

    def foreign(p):
        st_write(p, {"encoder.foo.bar": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 16)
    weights_case("weights-wrong-architecture", foreign, r"not a supported model|architecture|ViT|ResNet")

    missing_name = next(n for n, _ in entries if n.startswith("blocks.1.") and n.endswith(".weight"))

    def missing(p):
        h = json.loads(json.dumps(header))
        del h[missing_name]
        st_write(p, h, data)
    weights_case("weights-tensor-missing", missing, r"missing",
                 names=["weights-tensor-missing.safetensors", missing_name])

    add(Case("weights-arch-override-mismatch", "weights", ["info", model, "--arch", "depth=6"], "error",
             ["model.safetensors"], r"missing|does not match|expected|blocks"))

    sentinel = cdir("weights-pth-pickle", "PICKLE-WAS-EXECUTED")
    pth = cdir("weights-pth-pickle", "weights.pth")

    def evil():
        os.makedirs(os.path.dirname(pth), exist_ok=True)
        with open(pth, "wb") as f:
            pickle.dump({"state_dict": EvilPickle(sentinel)}, f, protocol=2)
    add(Case("weights-pth-pickle", "weights",
             ["features", "--weights", pth, "--data", imgs, "--out", cdir("weights-pth-pickle", "f.safetensors")],
             "error", ["weights.pth"], r"pickle|PyTorch|\.pth", prep=evil,
             check=lambda res: (["the pickle was executed"] if os.path.exists(sentinel) else []) +
             (["says 'header length', not that this is a pickle"] if "header length" in res.err else [])))

    # The same payload inside torch.save's zip format, which is read (by a pickle reader that
    # only knows state-dict objects): refused by the global's name, and nothing runs.
    zip_sentinel = cdir("weights-pth-zip-system", "PICKLE-WAS-EXECUTED")
    zip_pth = cdir("weights-pth-zip-system", "weights.pth")

    def evil_zip():
        os.makedirs(os.path.dirname(zip_pth), exist_ok=True)
        with zipfile.ZipFile(zip_pth, "w", zipfile.ZIP_STORED) as z:
            z.writestr("archive/data.pkl", pickle.dumps({"weight": EvilPickle(zip_sentinel)}, protocol=2))
            z.writestr("archive/version", "3\n")
    add(Case("weights-pth-zip-system", "weights", ["info", zip_pth], "error", ["weights.pth"],
             r"posix\.system|refused", prep=evil_zip,
             check=lambda res: ["the pickle was executed"] if os.path.exists(zip_sentinel) else []))

    empty_model_folder = cdir("weights-empty-model-folder", "model-folder")
    add(Case("weights-empty-model-folder", "weights", ["info", empty_model_folder], "error", ["model-folder"],
             r"model\.safetensors", prep=lambda: os.makedirs(empty_model_folder, exist_ok=True)))

    nan_model = cdir("weights-nan-features", "nan.safetensors")

    def make_nan_model():
        os.makedirs(os.path.dirname(nan_model), exist_ok=True)
        st_with_nan(model, nan_model, lambda n: n.endswith("qkv.weight") or n.endswith(".weight"))
    add(Case("weights-nan-features", "weights",
             ["features", "--weights", nan_model, "--data", imgs,
              "--out", cdir("weights-nan-features", "f.safetensors")],
             "error", ["nan.safetensors"], r"NaN|not finite|non-finite|infinite", prep=make_nan_model))
    add(Case("weights-nan-eval", "weights", ["eval", "--weights", nan_model, "--test", imgs, "--no-linear"],
             "error", ["nan.safetensors"], r"NaN|not finite|non-finite|infinite"))
    add(Case("weights-nan-adapt", "weights", adapt_args(cdir("weights-nan-adapt", "run"), weights=nan_model), "error",
             ["nan.safetensors"], r"NaN|not finite|non-finite|infinite",
             check=lambda res: ["blames the learning rate instead of the weights file"]
             if "learning rate" in res.err and "nan.safetensors" not in error_text(res) else []))

    nan_adapter = cdir("adapter-nan-eval", "nan-adapter.safetensors")

    def make_nan_adapter():
        os.makedirs(os.path.dirname(nan_adapter), exist_ok=True)
        st_with_nan(os.path.join(run, "adapter.safetensors"), nan_adapter, lambda n: "lora_A" in n)
    add(Case("adapter-nan-eval", "weights",
             ["eval", "--weights", model, "--adapter", nan_adapter, "--test", imgs, "--no-linear"], "error",
             ["nan-adapter.safetensors"], r"NaN|not finite|non-finite|infinite", prep=make_nan_adapter))

    def other_base_check(res):
        if res.rc == 0 and not re.search(r"warn|note", res.text, re.I):
            return ["accepted an adapter trained on another base without a word"]
        if res.rc == 0 and not re.search(r"(base|weights).*(differ|another|other|not the)|trained (on|with|for)",
                                         res.text, re.I):
            return ["a warning was printed but it does not say the adapter belongs to another base"]
        return []
    add(Case("adapter-from-other-base", "weights",
             ["eval", "--weights", other_model, "--adapter", run, "--test", imgs, "--no-linear"], "any",
             ["model"], r"base|trained|fingerprint|differ|another", cwd=root, check=other_base_check))
    add(Case("adapter-is-a-base-model", "weights",
             ["eval", "--weights", model, "--adapter", model, "--test", imgs, "--no-linear"], "error",
             ["model.safetensors"], r"lora|adapter"))

    def bad_peft():
        d = cdir("adapter-peft-config-not-json", "peft")
        os.makedirs(d)
        write(os.path.join(d, "adapter_config.json"), b"{\"peft_type\": \"LORA\", ")
        shutil.copy(os.path.join(run, "adapter.safetensors"), os.path.join(d, "adapter_model.safetensors"))
    add(Case("adapter-peft-config-not-json", "weights",
             ["eval", "--weights", model, "--adapter", cdir("adapter-peft-config-not-json", "peft"), "--test", imgs,
              "--no-linear"], "error", ["adapter_config.json"], r"JSON", prep=bad_peft))

    # ---------------------------------------------------------------- image folders
    bomb = bomb_png()
    add(Case("images-bomb-png-scan", "images", ["scan", "--data", cdir("images-bomb-png-scan", "data")], "skip",
             ["bomb.png"], r"30000|pixel|too (large|big)|bomb|dimension",
             prep=lambda: image_folder("images-bomb-png-scan", lambda d: write(os.path.join(d, "bomb.png"), bomb))))
    add(Case("images-bomb-png-adapt", "images",
             adapt_args(cdir("images-bomb-png-adapt", "run"), target=cdir("images-bomb-png-adapt", "data")), "skip",
             ["bomb.png"], r"30000|pixel|too (large|big)|bomb|dimension",
             outputs=[cdir("images-bomb-png-adapt", "run")],
             prep=lambda: image_folder("images-bomb-png-adapt", lambda d: write(os.path.join(d, "bomb.png"), bomb))))

    def only_bomb():
        write(cdir("images-only-a-bomb", "data", "bomb.png"), bomb)
    add(Case("images-only-a-bomb", "images", ["scan", "--data", cdir("images-only-a-bomb", "data")], "error",
             ["bomb.png"], r"30000|pixel|too (large|big)|bomb|dimension", prep=only_bomb))
    add(Case("images-png-declares-huge-data-truncated", "images",
             ["scan", "--data", cdir("images-png-declares-huge-data-truncated", "data")], "skip",
             ["huge.png"], r"30000|pixel|too (large|big)|truncat|corrupt|cannot|decode",
             prep=lambda: image_folder("images-png-declares-huge-data-truncated",
                                       lambda d: write(os.path.join(d, "huge.png"), header_only_png()))))
    add(Case("images-bmp-declares-huge", "images", ["scan", "--data", cdir("images-bmp-declares-huge", "data")],
             "skip", ["huge.bmp"], r"30000|pixel|too (large|big)|truncat|corrupt|cannot|decode",
             prep=lambda: image_folder("images-bmp-declares-huge",
                                       lambda d: write(os.path.join(d, "huge.bmp"), huge_bmp()))))

    def loop(d):
        os.symlink(".", os.path.join(d, "a"))
    add(Case("images-symlink-loop-scan", "images", ["scan", "--data", cdir("images-symlink-loop-scan", "data")], "ok",
             [], rf"\b{total_good} readable", prep=lambda: image_folder("images-symlink-loop-scan", loop)))
    feat = cdir("images-symlink-loop-features", "f.safetensors")
    add(Case("images-symlink-loop-features", "images",
             ["features", "--weights", model, "--data", cdir("images-symlink-loop-features", "data"), "--out", feat],
             "ok", [], rf"features: {total_good} x", outputs=[feat, feat[:-len(".safetensors")] + ".csv"],
             prep=lambda: image_folder("images-symlink-loop-features", loop)))

    add(Case("images-fifo", "images", ["scan", "--data", cdir("images-fifo", "data")], "skip", ["pipe.png"],
             r"regular|not a file|fifo|pipe|special|skipped", timeout=HANG_TIMEOUT,
             prep=lambda: image_folder("images-fifo", lambda d: os.mkfifo(os.path.join(d, "pipe.png")))))
    add(Case("images-link-to-dev-zero", "images", ["scan", "--data", cdir("images-link-to-dev-zero", "data")], "skip",
             ["zero.png"], r"regular|not a file|device|special|too large|decode|cannot|corrupt", timeout=HANG_TIMEOUT,
             prep=lambda: image_folder("images-link-to-dev-zero",
                                       lambda d: os.symlink("/dev/zero", os.path.join(d, "zero.png")))))
    add(Case("images-dangling-link", "images", ["scan", "--data", cdir("images-dangling-link", "data")], "skip",
             ["gone.png"], r"link|not exist|missing|no such|cannot|broken",
             prep=lambda: image_folder("images-dangling-link",
                                       lambda d: os.symlink("nowhere/gone.png", os.path.join(d, "gone.png")))))

    good_bytes = good_pngs[0][2]

    def mixed(d):
        write(os.path.join(d, "garbage.png"), bytes(rng.randrange(256) for _ in range(3000)))
        write(os.path.join(d, "truncated.png"), good_bytes[:len(good_bytes) // 2])
        write(os.path.join(d, "empty.png"), b"")
        write(os.path.join(d, "text.jpg"), b"this is not a JPEG\n" * 20)
    add(Case("images-corrupt-among-good", "images", ["scan", "--data", cdir("images-corrupt-among-good", "data")],
             "skip", ["garbage.png", "truncated.png", "empty.png", "text.jpg"],
             r"corrupt|cannot|decode|empty|truncat|not a|signature|unreadable|invalid|0 bytes",
             prep=lambda: image_folder("images-corrupt-among-good", mixed)))

    def only_corrupt():
        d = cdir("images-only-corrupt", "data")
        write(os.path.join(d, "a.png"), b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
        write(os.path.join(d, "b.png"), good_bytes[:60])
        write(os.path.join(d, "c.jpg"), b"\xff\xd8\xff\xe0" + b"\0" * 64)
    add(Case("images-only-corrupt", "images",
             adapt_args(cdir("images-only-corrupt", "run"), "--batch", "2", target=cdir("images-only-corrupt", "data")),
             "error", ["images-only-corrupt/data"], r"cannot be read|could not be decoded|no readable|none of|corrupt",
             prep=only_corrupt))
    add(Case("images-folder-missing", "images",
             adapt_args(cdir("images-folder-missing", "run"), target=cdir("images-folder-missing", "nothere")),
             "error", ["nothere"], r"does not exist|no such|missing"))
    add(Case("images-folder-empty", "images", ["scan", "--data", cdir("images-folder-empty", "data")], "error",
             ["images-folder-empty/data"], r"no readable image|empty|no image",
             prep=lambda: os.makedirs(cdir("images-folder-empty", "data"), exist_ok=True)))
    add(Case("images-file-instead-of-folder", "images",
             adapt_args(cdir("images-file-instead-of-folder", "run"), target=j("imgs", "c0", "0_00.png")), "error",
             ["0_00.png"],
             r"not a folder|not a directory"))
    add(Case("images-fewer-than-a-batch", "images",
             ["adapt", "--weights", model, "--target", imgs, "--out", cdir("images-fewer-than-a-batch", "run"),
              "--steps", "2", "--batch", "64", "--workers", "1"], "error", ["imgs"], r"fewer than one batch|batch"))
    if os.geteuid() != 0:
        def unreadable(d):
            p = os.path.join(d, "locked.png")
            write(p, good_bytes)
            os.chmod(p, 0)
        add(Case("images-unreadable-permission", "images",
                 ["scan", "--data", cdir("images-unreadable-permission", "data")], "skip", ["locked.png"],
                 r"permission|cannot (open|read)|denied",
                 prep=lambda: image_folder("images-unreadable-permission", unreadable)))
    add(Case("images-eval-unlabeled-folder", "images",
             ["eval", "--weights", model, "--test", cdir("images-eval-unlabeled-folder", "data"), "--no-linear"],
             "error", ["images-eval-unlabeled-folder/data"], r"label|class",
             prep=lambda: image_folder("images-eval-unlabeled-folder", flat=True)))

    def other_classes():
        for c in range(3):
            for i in range(4):
                write(cdir("images-eval-class-mismatch", "test", f"other{c}", f"{i}.png"), digit_png(c, rng))
    add(Case("images-eval-class-mismatch", "images",
             ["eval", "--weights", model, "--train", imgs, "--test", cdir("images-eval-class-mismatch", "test"),
              "--no-linear"], "error", [], r"class", prep=other_classes))

    def non_utf8():
        base = os.fsencode(cdir("images-eval-json-non-utf8-class", "test"))
        for cls in (b"caf\xe9", b"plain"):
            os.makedirs(os.path.join(base, cls))
            for i in range(6):
                write(os.path.join(base, cls, b"%d.png" % i), digit_png(0 if cls == b"plain" else 2, rng))

    def json_stdout(res):
        if res.rc != 0:
            return []
        try:
            json.loads(res.out_bytes.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            return [f"stdout is not valid UTF-8 JSON: {e}"]
        return []
    add(Case("images-eval-json-non-utf8-class", "images",
             ["eval", "--weights", model, "--test", cdir("images-eval-json-non-utf8-class", "test"), "--no-linear",
              "--json"], "ok", prep=non_utf8, check=json_stdout))

    # A full disk while writing: RLIMIT_FSIZE lets the features file fit but not its CSV index (long
    # paths make the index the larger of the two).
    def long_paths():
        d = cdir("images-disk-full-features", "data")
        deep = os.path.join(d, *(["p" * 200] * 4))
        os.makedirs(deep)
        for cls, fname, _ in good_pngs:
            os.link(j("imgs", cls, fname), os.path.join(deep, cls + "_" + fname[:-4] + "x" * 180 + ".png"))
    fullfeat = cdir("images-disk-full-features", "f.safetensors")
    add(Case("images-disk-full-features", "images",
             ["features", "--weights", model, "--data", cdir("images-disk-full-features", "data"), "--out", fullfeat],
             "error", [], r"disk|space|too large|cannot write|write failed|EFBIG|File too large", fsize=24 * 1024,
             prep=long_paths))
    add(Case("images-disk-full-embed-projector", "images",
             ["embed", "--weights", model, "--data", imgs, "--method", "pca",
              "--out", cdir("images-disk-full-embed-projector", "e.csv"),
              "--projector", cdir("images-disk-full-embed-projector", "proj")], "error", [],
             r"disk|space|too large|cannot write|write failed|EFBIG|File too large", fsize=8 * 1024))

    # ---------------------------------------------------------------- configs
    base_config = {"weights": model, "target": imgs, "steps": 2, "batch_size": 8, "prototypes": 16, "workers": 1,
                   "precision": "fp32", "checkpoint_every": 0, "log_every": 1}

    def config_case(kind, content, problem, names=None, timeout=DEFAULT_TIMEOUT, check=None):
        path = cdir(kind, "config.json")
        if isinstance(content, dict):
            text = json.dumps({**base_config, **content})
        else:
            text = content
        add(Case(kind, "config", ["adapt", "--config", path, "--out", cdir(kind, "run")], "error",
                 names if names is not None else ["config.json"], problem,
                 prep=lambda: write(path, text.encode() if isinstance(text, str) else text), timeout=timeout,
                 check=check))

    config_case("config-not-json", "steps = 2\n", r"JSON")
    config_case("config-empty-file", "", r"JSON|empty")
    config_case("config-not-an-object", "[1, 2]", r"object")
    config_case("config-wrong-type", {"steps": "ten"}, r"type", names=["steps"])
    config_case("config-unknown-key", {"stepz": 3}, r"unknown", names=["stepz"])
    config_case("config-wrong-schema", {"schema": "upstep.train/9"}, r"schema")
    config_case("config-deeply-nested", '{"weights": ' + "[" * 100000 + "]" * 100000 + "}",
                r"type|nest|depth|JSON|deep")
    config_case("config-batch-wraps-32-bit", {"batch_size": 4294967328}, RANGE + r"|fit|integer",
                names=["batch_size"])
    config_case("config-steps-fractional", {"steps": 20.9}, r"integer|whole|fraction", names=["steps"])
    config_case("config-seed-negative", {"seed": -1}, RANGE + r"|unsigned", names=["seed"])
    config_case("config-epochs-1e300", {"steps": 0, "epochs": 1e300}, RANGE,
                names=["epochs"])
    config_case("config-epochs-1e999", json.dumps({**base_config, "steps": 0})[:-1] + ', "epochs": 1e999}',
                r"too large|range|overflow|infinite|finite|number", names=["epochs"])
    config_case("config-source-probe-images-negative", {"source_probe": imgs, "source_probe_images": -5},
                RANGE, names=["source_probe_images"])
    config_case("config-sinkhorn-iterations-1e9", {"sinkhorn_iterations": 1000000000},
                RANGE, names=["sinkhorn_iterations"], timeout=HANG_TIMEOUT)

    # Run folders (read by --resume and export).
    def copy_run(kind, drop_adapter=False):
        def prep():
            dst = cdir(kind, "run")
            shutil.copytree(run, dst, symlinks=True)
            if drop_adapter:
                os.remove(os.path.join(dst, "adapter.safetensors"))
        return prep

    def tear():
        copy_run("run-resume-torn-metrics")()
        path = cdir("run-resume-torn-metrics", "run", "metrics.jsonl")
        with open(path, "rb") as f:
            lines = f.read().splitlines(keepends=True)
        with open(path, "wb") as f:
            f.write(b"".join(lines[:-1]) + lines[-1][:len(lines[-1]) // 2])

    def metrics_parse(path, last_step):
        def check(res):
            if res.rc != 0 or not os.path.exists(path):
                return []
            steps = []
            for line in open(path, "rb").read().splitlines():
                try:
                    steps.append(json.loads(line)["step"])
                except (ValueError, KeyError):
                    return [f"metrics.jsonl still holds a line that is not a record: {line[:60]!r}"]
            if steps and steps[-1] == last_step:
                return []
            return [f"metrics.jsonl ends at step {steps[-1:]}, want {last_step}"]
        return check

    resume = ["--resume", "--steps", "6"]
    add(Case("run-resume-torn-metrics", "config", ["adapt", "--out", cdir("run-resume-torn-metrics", "run")] + resume,
             "ok", prep=tear, cwd=root, outputs=[cdir("run-resume-torn-metrics", "run")],
             check=metrics_parse(cdir("run-resume-torn-metrics", "run", "metrics.jsonl"), 6)))
    add(Case("run-resume-from-another-directory", "config", ["adapt", "--out", "run"] + resume, "ok",
             prep=copy_run("run-resume-from-another-directory"), cwd=cdir("run-resume-from-another-directory"),
             outputs=[cdir("run-resume-from-another-directory", "run")]))
    stale_tmp = cdir("run-stale-checkpoint-tmp", "run", "checkpoints", ".step-00000004.safetensors.tmp123456")

    def plant_tmp():
        copy_run("run-stale-checkpoint-tmp")()
        write(stale_tmp, b"half a checkpoint")
        os.utime(stale_tmp, (time.time() - 3600, time.time() - 3600))
    add(Case("run-stale-checkpoint-tmp", "config",
             ["adapt", "--out", cdir("run-stale-checkpoint-tmp", "run")] + resume, "ok", prep=plant_tmp, cwd=root,
             outputs=[cdir("run-stale-checkpoint-tmp", "run")],
             check=lambda res: ["the stale checkpoint temporary of a killed run is still there"]
             if os.path.exists(stale_tmp) else []))
    add(Case("run-resume-empty-folder", "config",
             ["adapt", "--out", cdir("run-resume-empty-folder", "run"), "--resume"], "error",
             ["run-resume-empty-folder/run"], r"nothing to resume|no checkpoint|not a run|no run|holds no",
             prep=lambda: os.makedirs(cdir("run-resume-empty-folder", "run"), exist_ok=True),
             check=lambda res: ["says 'no base weights given' instead of 'nothing to resume'"]
             if "no base weights" in res.err else []))

    # Exports.
    exp8 = cdir("export-trailing-slash", "peft")

    def exported(folder):
        def check(res):
            if res.rc == 0 and not os.path.exists(os.path.join(folder, "adapter_config.json")):
                return [f"{folder} holds no adapter_config.json"]
            return []
        return check
    add(Case("export-trailing-slash", "cli", ["export", "--run", run, "--format", "peft", "--out", exp8 + "/"], "ok",
             cwd=root, outputs=[exp8], check=exported(exp8)))
    add(Case("export-trailing-slash-force", "cli",
             ["export", "--run", run, "--format", "peft", "--out", exp8 + "/", "--force"], "ok", cwd=root,
             outputs=[exp8], check=exported(exp8)))
    add(Case("export-out-exists", "cli",
             ["export", "--run", run, "--format", "peft", "--out", cdir("export-out-exists", "there")], "error",
             ["export-out-exists/there"], r"already exists", cwd=root,
             prep=lambda: write(cdir("export-out-exists", "there", "keep.txt"), b"mine")))
    stale_partial = cdir("export-stale-partial", "peft.partial-4000000")

    def plant_partial():
        write(os.path.join(stale_partial, "adapter_config.json"), b"{}")
    add(Case("export-stale-partial", "cli",
             ["export", "--run", run, "--format", "peft", "--out", cdir("export-stale-partial", "peft")], "ok",
             cwd=root, prep=plant_partial, outputs=[cdir("export-stale-partial", "peft"), stale_partial],
             check=lambda res: ["the .partial folder of a killed export is still there"]
             if os.path.exists(stale_partial) else []))
    add(Case("export-run-without-adapter-file", "cli",
             ["export", "--run", cdir("export-run-without-adapter-file", "run"), "--format", "peft",
              "--out", cdir("export-run-without-adapter-file", "peft")], "any",
             ["export-run-without-adapter-file/run"], r"checkpoint|resume|stopped|adapter file", cwd=root,
             prep=copy_run("export-run-without-adapter-file", drop_adapter=True),
             outputs=[cdir("export-run-without-adapter-file", "peft")],
             check=lambda res: ["says 'neither a run folder nor a PEFT adapter folder' for a run folder"]
             if "neither a run folder" in res.err else []))

    # ---------------------------------------------------------------- command-line values
    fcsv = cdir("cli-features-out-csv", "feat.csv")

    def features_csv_check(res):
        if res.rc != 0:
            return []
        try:
            h, _ = st_read(fcsv)
            if "features" in h:
                return []
        except Exception:
            pass
        return [f"exit 0 but {os.path.basename(fcsv)} no longer holds the features (overwritten by the CSV index)"]
    add(Case("cli-features-out-csv", "cli", ["features", "--weights", model, "--data", imgs, "--out", fcsv], "any",
             ["feat.csv"], r"safetensors|overwrite|same|index|extension", check=features_csv_check,
             outputs=[fcsv, fcsv + ".safetensors", fcsv[:-4] + ".safetensors", fcsv[:-4] + ".index.csv"]))
    for value in ("0", "0.0001", "nan", "inf", "-5"):
        kind = "cli-tsne-perplexity-" + value.replace(".", "_")
        out = cdir(kind, "e.csv")
        add(Case(kind, "cli", ["embed", "--weights", model, "--data", imgs, "--method", "tsne",
                               "--perplexity", value, "--out", out],
                 "any" if value == "0.0001" else "error", ["perplexity"],
                 RANGE + r"|between|finite|greater|fewer", outputs=[out]))
    add(Case("cli-epochs-1e18", "cli", ["adapt", "--weights", model, "--target", imgs,
                                         "--out", cdir("cli-epochs-1e18", "run"),
                                         "--epochs", "1e18", "--batch", "8", "--prototypes", "16", "--workers", "1"],
             "error", ["epochs"], RANGE))
    add(Case("cli-threads-100000", "cli", ["--threads", "100000", "scan", "--data", imgs], "error", ["threads"],
             RANGE + r"|cores", timeout=HANG_TIMEOUT))
    add(Case("cli-scan-size-100000", "cli", ["scan", "--data", imgs, "--size", "100000"], "error", ["size"],
             r"\d\s*(GB|GiB|TB|TiB|MB|MiB|bytes)", timeout=HANG_TIMEOUT))
    big = cdir("cli-init-depth-100000", "big.safetensors")
    add(Case("cli-init-depth-100000", "cli", ["init", "--arch", ARCH.replace("depth=2", "depth=100000"), "--out", big],
             "error", ["depth"], r"\d\s*(GB|GiB|TB|TiB|MB|MiB|bytes)", timeout=HANG_TIMEOUT,
             prep=lambda: os.makedirs(cdir("cli-init-depth-100000"), exist_ok=True)))
    add(Case("cli-prototypes-1e9", "cli", adapt_args(cdir("cli-prototypes-1e9", "run"), "--prototypes", "1000000000"),
             "error", ["prototypes"], r"\d\s*(GB|GiB|TB|TiB|MB|MiB|bytes)", timeout=HANG_TIMEOUT))
    add(Case("cli-workers-1e6", "cli", adapt_args(cdir("cli-workers-1e6", "run"), "--workers", "1000000"), "error",
             ["workers"], RANGE, timeout=HANG_TIMEOUT))
    add(Case("cli-out-under-a-regular-file", "cli",
             adapt_args(cdir("cli-out-under-a-regular-file", "afile.txt", "run")),
             "error", ["afile.txt"], r"not a folder|not a directory|is a file|cannot create",
             prep=lambda: write(cdir("cli-out-under-a-regular-file", "afile.txt"), b"a file\n")))
    add(Case("cli-out-in-proc", "cli", adapt_args("/proc/upstep-badinputs/run"), "error", ["/proc/upstep-badinputs"],
             r"cannot create|not writable|read-only|permission|no such|not exist|cannot write"))
    run_files = {"config.json", "metrics.jsonl", "checkpoints", "adapter.safetensors", "summary.json", "eval.json"}
    root_before = set(os.listdir("/"))

    def out_root_check(res):
        new = [n for n in set(os.listdir("/")) - root_before if n in run_files or LEFTOVER.search(n)]
        for name in new:  # only what this command made: these names were absent before it
            p = os.path.join("/", name)
            shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.remove(p)
        return [f"wrote into the filesystem root: {', '.join(sorted(new))} (removed again)"] if new else []
    add(Case("cli-out-filesystem-root", "cli", adapt_args("/"), "error", ["/"],
             r"root|not empty|already|refus|cannot|not a run", check=out_root_check))
    add(Case("cli-steps-negative", "cli", adapt_args(cdir("cli-steps-negative", "run"), "--steps", "-5"), "error",
             ["steps"], RANGE))
    add(Case("cli-lr-nan", "cli", adapt_args(cdir("cli-lr-nan", "run"), "--lr", "nan"), "error", [],
             r"learning.rate|--lr"))
    add(Case("cli-steps-fractional", "cli", adapt_args(cdir("cli-steps-fractional", "run"), "--steps", "20.9"), "error",
             ["--steps"], r"integer|convert|whole"))
    add(Case("cli-batch-wraps-32-bit", "cli",
             adapt_args(cdir("cli-batch-wraps-32-bit", "run"), "--batch", "4294967328"),
             "error", ["--batch"], r"convert|range|too large|integer"))
    add(Case("cli-seed-negative", "cli", adapt_args(cdir("cli-seed-negative", "run"), "--seed", "-1"), "error",
             ["--seed"], r"convert|negative|range|unsigned"))
    add(Case("cli-device-unknown", "cli", adapt_args(cdir("cli-device-unknown", "run"), "--device", "tpu"), "error",
             ["tpu"], r"device|unknown|expected|cpu|cuda"))
    add(Case("cli-arch-unknown-key", "cli",
             ["init", "--arch", "vit,img_size=28,patch=4,foo=1",
              "--out", cdir("cli-arch-unknown-key", "x.safetensors")],
             "error", ["foo"], r"unknown key", prep=lambda: os.makedirs(cdir("cli-arch-unknown-key"), exist_ok=True)))
    # A missing output folder is made, as for most tools (`--out new/x.safetensors`).
    add(Case("cli-init-out-folder-missing", "cli",
             ["init", "--arch", ARCH, "--out", cdir("cli-init-out-folder-missing", "nodir", "x.safetensors")], "ok",
             ["nodir"], r"wrote", outputs=[cdir("cli-init-out-folder-missing", "nodir")],
             prep=lambda: os.makedirs(cdir("cli-init-out-folder-missing"), exist_ok=True)))

    def idx_wrong_magic():
        idx_file(cdir("cli-import-idx-wrong-magic", "images.idx"), 0x12345678, [10, 28, 28], b"\0" * 7840)
        idx_file(cdir("cli-import-idx-wrong-magic", "labels.idx"), 0x00000801, [10], b"\0" * 10)
    add(Case("cli-import-idx-wrong-magic", "cli",
             ["import-idx", cdir("cli-import-idx-wrong-magic", "images.idx"),
              cdir("cli-import-idx-wrong-magic", "labels.idx"),
              cdir("cli-import-idx-wrong-magic", "out")], "error", ["images.idx"], r"magic|IDX|not an",
             prep=lambda: (os.makedirs(cdir("cli-import-idx-wrong-magic"), exist_ok=True), idx_wrong_magic())))

    def idx_huge():
        idx_file(cdir("cli-import-idx-declares-huge", "images.idx"), 0x00000803, [100000, 60000, 60000], b"\0" * 4096)
        idx_file(cdir("cli-import-idx-declares-huge", "labels.idx"), 0x00000801, [100000], b"\0" * 100000)
    add(Case("cli-import-idx-declares-huge", "cli",
             ["import-idx", cdir("cli-import-idx-declares-huge", "images.idx"),
              cdir("cli-import-idx-declares-huge", "labels.idx"), cdir("cli-import-idx-declares-huge", "out")],
             "error", ["images.idx"], r"truncat|declares|bytes|size|too large|short",
             prep=lambda: (os.makedirs(cdir("cli-import-idx-declares-huge"), exist_ok=True), idx_huge())))

    notes = []
    # The shared run's own output: step 0 must not print "loss nan" (defect 15).
    step0 = [l for l in base_run.err.splitlines() if re.match(r"step\s+0/", l)]
    if any("loss nan" in l for l in step0):
        notes.append(("run-step-0-prints-loss-nan", "config", "FAIL",
                      "the shared run printed: " + step0[0][:100], " ".join(base_run.argv)))
    else:
        notes.append(("run-step-0-prints-loss-nan", "config", "PASS",
                      "step 0 line: " + (step0[:1] or ["none"])[0][:80], ""))
    return cases, notes, fixtures


def run_concurrent(R, root, model, imgs):
    """Defect 3: two adapt processes on one --out, started together: one runs, one is refused."""
    out = os.path.join(root, "cases", "run-two-writers", "run")
    os.makedirs(os.path.dirname(out))
    before = snapshot(root)
    args = ["adapt", "--weights", model, "--target", imgs, "--out", out, "--steps", "8", "--batch", "8",
            "--prototypes", "16", "--workers", "1", "--precision", "fp32", "--checkpoint-every", "2",
            "--log-every", "1"]
    handles = [R.start(args), R.start(args)]
    results = [R.finish(h) for h in handles]
    after = snapshot(root)
    problems = []
    for res in results:
        if res.signal is not None or res.killed_for:
            problems.append(f"a writer died: signal {res.signal} {res.killed_for or ''}")
        for pattern, what in FORBIDDEN:
            if pattern.search(res.text):
                problems.append(what + " in the output")
    codes = sorted(r.rc for r in results)
    if codes != [0, 1]:
        problems.append(f"exit codes {codes}, want one 0 and one 1 (refused by a lock)")
    loser = next((r for r in results if r.rc == 1), None)
    if loser and not re.search(r"lock|in use|another|busy|running", error_text(loser), re.I):
        problems.append("the refusal does not say another process holds the run folder")
    metrics = os.path.join(out, "metrics.jsonl")
    if os.path.exists(metrics):
        for line in open(metrics, "rb").read().splitlines():
            try:
                json.loads(line)
            except ValueError:
                problems.append(f"metrics.jsonl holds a torn line {line[:50]!r}")
                break
    litter = [p for p in after if p not in before and LEFTOVER.search(os.path.basename(p).decode("utf-8", "replace"))]
    if litter:
        problems.append("left temporary files: " + ", ".join(show(p) for p in litter[:3]))
    return results, problems


def run_case(R, root, case):
    """One case; a case with its own working folder is judged on that folder alone (it may run
    next to another), one that runs in the shared root on the whole tree (it runs alone)."""
    case_dir = os.path.join(root, "cases", case.kind)
    tmpdir = os.path.join(case_dir, "tmpdir")
    os.makedirs(tmpdir, exist_ok=True)
    base = case_dir if case.cwd is None else root
    before = snapshot(base)
    res = R.run(case.args, cwd=case.cwd or case_dir, fsize=case.fsize, timeout=case.timeout, tmpdir=tmpdir)
    after = snapshot(base)
    return res, judge(case, res, before, after, base)


def report(case, res, problems, verbose=False):
    status = "FAIL" if problems else "PASS"
    outcome = f"signal {res.signal}" if res.signal is not None else f"exit {res.rc}"
    if res.killed_for:
        outcome = "killed: " + res.killed_for
    message = error_text(res).strip().splitlines() if res.rc else []
    seen = f"{outcome}, {res.seconds:.1f} s, {res.rss_mb:.0f} MB"
    if message:
        seen += ": " + message[0][:160]
    print(f"{status} {case.kind} [{case.group}] {seen}", flush=True)
    if problems or verbose:
        print("     cmd: " + " ".join(shlex.quote(a) for a in res.argv), flush=True)
        for p in problems:
            print("     - " + p, flush=True)
        tail = [l for l in res.text.strip().splitlines() if l.strip()][-(12 if verbose else 4):]
        for l in tail:
            print("     | " + l[:200], flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstep", required=True, help="the upstep binary")
    ap.add_argument("--jobs", type=int, default=2, help="cases run at once (those with their own folder)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--only", help="run only the cases whose kind contains one of these comma-separated texts")
    ap.add_argument("--verbose", action="store_true", help="show the output of passing cases too")
    opts = ap.parse_args()
    upstep = os.path.abspath(opts.upstep)
    if not os.access(upstep, os.X_OK):
        sys.exit(f"{upstep}: not an executable")

    started = time.monotonic()
    root = tempfile.mkdtemp(prefix="upstep-badinputs-")
    logs = tempfile.mkdtemp(prefix="upstep-badinputs-logs-")
    R = Runner(upstep, root, logs)
    failures = 0
    kinds = {}
    biggest_good = 0.0
    try:
        cases, notes, fixtures = build_corpus(R, root)
        for name, res in fixtures:
            biggest_good = max(biggest_good, res.rss_mb)
        print(f"fixtures ready in {time.monotonic() - started:.0f} s ({root})", flush=True)
        only = opts.only.split(",") if opts.only else []
        chosen = [c for c in cases if not only or any(o in c.kind for o in only)]
        for case in chosen:
            kinds[case.kind] = case.group

        def record(case, res, problems):
            nonlocal failures, biggest_good
            report(case, res, problems, opts.verbose)
            failures += bool(problems)
            if res.rc == 0 and not problems:
                biggest_good = max(biggest_good, res.rss_mb)

        # Cases in their own folders, a few at once; the shared files must not change meanwhile.
        own = [c for c in chosen if c.cwd is None]
        for case in own:
            os.makedirs(os.path.join(root, "cases", case.kind), exist_ok=True)
            if case.prep:
                case.prep()
        shared_before = snapshot(root, skip_top=["cases"])
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
            futures = [(case, pool.submit(run_case, R, root, case)) for case in own]
            for case, future in futures:
                record(case, *future.result())
        shared_after = snapshot(root, skip_top=["cases"])
        changed = sorted(p for p in set(shared_before) | set(shared_after)
                         if shared_before.get(p) != shared_after.get(p))
        if changed:
            failures += 1
            print("FAIL shared-files-unchanged: the cases above changed the shared model, images or run: " +
                  ", ".join(show(p) for p in changed[:6]), flush=True)

        # Cases that read the shared run from the root folder, one at a time, judged on the whole tree.
        for case in chosen:
            if case.cwd is not None:
                os.makedirs(os.path.join(root, "cases", case.kind), exist_ok=True)
                if case.prep:
                    case.prep()
                record(case, *run_case(R, root, case))

        if not only or any(o in "run-two-writers" for o in only):
            results, problems = run_concurrent(R, root, os.path.join(root, "model.safetensors"),
                                               os.path.join(root, "imgs"))
            kinds["run-two-writers"] = "config"
            seen = ", ".join(f"exit {r.rc}" for r in results)
            print(f"{'FAIL' if problems else 'PASS'} run-two-writers [config] {seen}", flush=True)
            if problems:
                failures += 1
                print("     cmd (twice, at once): " + " ".join(shlex.quote(a) for a in results[0].argv))
                for p in problems:
                    print("     - " + p)
                for r in results:
                    msg = (error_text(r) if r.rc else r.err).strip().splitlines()
                    print(f"     | exit {r.rc}: " + (msg[0] if r.rc and msg else msg[-1] if msg else "")[:160])
        if not opts.only:
            for kind, group, status, seen, cmd in notes:
                kinds[kind] = group
                print(f"{status} {kind} [{group}] {seen}")
                if status == "FAIL":
                    failures += 1
                    print("     cmd: " + cmd)
        groups = {}
        for g in kinds.values():
            groups[g] = groups.get(g, 0) + 1
        print(f"\n{len(kinds)} kinds ({', '.join(f'{g} {n}' for g, n in sorted(groups.items()))}), "
              f"{failures} failed, {time.monotonic() - started:.0f} s; largest RSS of a passing command "
              f"{biggest_good:.0f} MB (bound {MEMORY_BOUND_MB} MB)")
    finally:
        if opts.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(logs, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
