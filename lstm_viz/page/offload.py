"""Long recurrent runs go to one worker process per replica. It runs at a lower CPU priority, one job at a
time, so one student's heavy request cannot hold up the class.

Inside the replica, a heavy run (a 750-step gradient of a 3-layer, 256-unit model takes about 1.3 CPU-s) shares
the Python interpreter with every other session's rerun. Those sessions wait for the same core, and for the GIL
between torch's kernels. In the worker, the heavy run gets what CPU the class leaves over (nice ``NICE``).
Heavy runs from all of the replica's sessions queue there one behind another. Short runs, which are what a
class makes nearly all the time, stay in the replica: sending them would cost more than it saves.

The worker is a Python process running ``main`` below. It reads jobs on stdin and writes results on stdout, each as
an 8-byte length and a pickle: it only ever talks to the replica that started it. It is not a
multiprocessing child, because Streamlit makes the page script the ``__main__`` module, and a spawned child
would run the whole page again. It exits when the replica closes its stdin or dies.

All or nothing: a job that cannot be sent, or a worker that dies, leaves no trace. The run then happens here, as
if there were no worker. An error the run itself raises (bad input: ValueError) reaches the caller unchanged.
"""

from __future__ import annotations

import functools
import io
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
from pathlib import Path

from lstm_viz.page.budget import HEAVY_WORK

NICE = 10  # the worker's niceness: about a tenth of a core's share against a replica that wants the core
ALWAYS = HEAVY_WORK + 1  # the work of a job that always goes to the worker (training: seconds, by design)
JOB_TIMEOUT = 60.0  # seconds a job may take in the worker (a budgeted run takes about 2 CPU-s) before it is stopped
OFF = "LSTM_VIZ_NO_WORKER"  # set (to anything) to run everything in the replica
PROGRESS = "progress"  # the tag of a progress frame, before a job's answer
ROOT = Path(__file__).resolve().parents[2]  # where the worker finds the package

_lock = threading.Lock()  # one job at a time; whoever holds it owns the worker's pipes
_worker: subprocess.Popen | None = None
_returned = False  # a job has come back from a worker in this process
_disabled = False  # a worker failed before any job came back: this process runs everything itself


def _write(f, data: bytes) -> None:
    f.write(struct.pack("<Q", len(data)))
    f.write(data)
    f.flush()


def _read(f) -> bytes:
    head = f.read(8)
    if len(head) < 8:
        raise EOFError("the other side closed its pipe")
    n = struct.unpack("<Q", head)[0]
    data = f.read(n)
    if len(data) < n:
        raise EOFError("the other side closed its pipe mid-message")
    return data


def _tensor(dtype: str, shape: tuple, data):
    """A tensor from its bytes (``_dumps``): one copy less than torch's own pickling, which writes and reads every
    storage as a small torch file."""
    import torch

    return torch.from_numpy(data).view(getattr(torch, dtype)).reshape(shape)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        import torch

        if type(obj) is torch.Tensor and obj.layout == torch.strided and not obj.requires_grad \
                and not obj.is_quantized and not obj.is_conj() and obj.device.type == "cpu":
            flat = obj.detach().contiguous().reshape(-1)
            return _tensor, (str(obj.dtype).removeprefix("torch."), tuple(obj.shape), flat.view(torch.uint8).numpy())
        return NotImplemented


def _dumps(answer) -> bytes:
    """An answer pickled, plain tensors as their bytes (an uploaded file's 10⁷ numbers come back in milliseconds)."""
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(answer)
    return buf.getvalue()


def _spawn() -> subprocess.Popen:
    start_up = f"import os; os.nice({NICE}); from lstm_viz.page.offload import main; main()"  # nice before torch
    return subprocess.Popen([sys.executable, "-c", start_up], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _live() -> subprocess.Popen:
    """The worker, a new one if there is none or it has exited (the caller holds _lock)."""
    global _worker
    if _worker is None or _worker.poll() is not None:
        _worker = _spawn()
    return _worker


def start() -> None:
    """Start the worker now (it imports torch: about 2 s, in its own process), so that the first heavy run does
    not wait for it and the worker's memory is there before the first student, not counted against a session."""
    if not (_disabled or os.environ.get(OFF)):
        with _lock:
            _live()


def _stop(worker: subprocess.Popen | None) -> None:
    if worker is not None:
        worker.kill()
        worker.wait()


def run(work: int, fn, *args, progress=None, **kwargs):
    """``fn(*args, **kwargs)``: in the worker when ``work`` (multiply-adds) is above HEAVY_WORK, else here.
    ``progress``: a callback ``fn`` is given as ``progress=``; from the worker its calls come back as they happen
    (each within JOB_TIMEOUT of the one before)."""
    global _worker, _returned, _disabled
    here = functools.partial(fn, *args, **kwargs, **({} if progress is None else {"progress": progress}))
    if work <= HEAVY_WORK or _disabled or os.environ.get(OFF):
        return here()
    try:
        payload = pickle.dumps((fn, args, kwargs, progress is not None), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # something in the job does not pickle (an uploaded module's own class): run it here
        return here()
    with _lock:
        try:
            worker = _live()
            _write(worker.stdin, payload)
            while True:
                if not select.select([worker.stdout], [], [], JOB_TIMEOUT)[0]:  # stopped, or far slower than counted
                    _stop(worker)
                    _worker = None
                    raise TimeoutError
                ok, value = pickle.loads(_read(worker.stdout))
                if ok != PROGRESS:
                    break
                progress(*value)
            _returned = True
        except TimeoutError:
            raise ValueError(f"this run took longer than {JOB_TIMEOUT:.0f} s and was stopped (the server is busy "
                             "or the run is far heavier than its count): try again, or ask for less") from None
        except Exception:  # the worker died, or its answer did not come back whole: forget it
            _stop(_worker)
            _worker = None
            _disabled = not _returned  # a worker that never answered here will not start to
            ok, value = None, None
    if ok is None:  # run it here, as if there were no worker
        return here()
    if not ok:
        raise value
    return value


def main() -> int:
    """The worker (started at niceness NICE): run each job read on stdin, write (True, result) or (False, the
    run's exception) on stdout, or (None, None) when neither pickles."""
    import torch

    torch.set_num_threads(1)  # as in the replica (app.py): one core at most
    jobs = sys.stdin.buffer
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a run prints goes to stderr, never into the answers
    while True:
        try:
            fn, args, kwargs, reports = pickle.loads(_read(jobs))
        except EOFError:
            return 0
        if reports:  # the job's progress calls go back to the replica as they happen
            kwargs["progress"] = lambda *a: _write(answers, pickle.dumps((PROGRESS, a)))
        try:
            answer = (True, fn(*args, **kwargs))
        except Exception as exc:  # the run's own error, raised again in the replica
            answer = (False, exc)
        try:
            data = _dumps(answer)
        except Exception:  # a result or an exception that does not pickle: the replica runs the job itself
            data = pickle.dumps((None, None))
        _write(answers, data)

