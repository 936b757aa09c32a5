"""The replica's worker for long runs (lstm_viz/page/offload.py): what comes back from it is what the replica
would have computed, field by field. It runs below the replica's priority. Any failure of the worker leaves the
plain run in the replica."""

import dataclasses
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Mapping

import numpy as np
import pytest
import torch

import lstm_viz as lv
from deploy.serve_class import stat_fields
from engine_helpers import make
from lstm_viz.engine.work import gradient_work, jacobian_work
from lstm_viz.models import checkpoints
from lstm_viz.page import offload
from lstm_viz.teach.readout import HeadLoss

HEAVY = offload.HEAVY_WORK + 1


def same(a, b) -> bool:
    """Every field of two results (dataclasses, tuples of them, arrays) equal, bit for bit."""
    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(u, v) for u, v in zip(a, b))
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (np.ndarray, torch.Tensor)):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    return a == b or (a != a and b != b)


def running(pid: int) -> bool:
    """Whether the process runs (an exited one that nobody has reaped yet is a zombie: it does not)."""
    try:
        return stat_fields(pid)[0] not in ("Z", "X")
    except OSError:
        return False


def test_heavy_runs_go_to_the_worker_and_light_ones_stay_here():
    here = os.getpid()
    assert offload.run(offload.HEAVY_WORK, os.getpid) == here
    there = offload.run(HEAVY, os.getpid)
    assert there != here and there == offload._worker.pid
    assert offload.run(HEAVY, os.getpid) == there  # one worker, kept for the next job
    assert offload.run(HEAVY, os.nice, 0) == min(19, os.nice(0) + offload.NICE)  # below the replica's priority


def test_a_gradients_work_counts_its_jacobian_product():
    """A short run of a wide model is light, but its ‖∂h_T/∂h_t‖ (a product of T Jacobians) is not: it goes."""
    mod = torch.nn.LSTM(8, 256)
    assert gradient_work(mod, 100, jacobian=False) <= offload.HEAVY_WORK < gradient_work(mod, 100, jacobian=True)
    assert gradient_work(mod, 100, True) - gradient_work(mod, 100, False) == jacobian_work(mod, 100)


def _losses(H: int):
    torch.manual_seed(3)
    W, b = torch.randn(5, H), torch.randn(5)
    return [
        "probe",
        HeadLoss("cross_entropy_next_token", W, b, torch.tensor([1, 4, -1, 0, 2, 2, 3, -1, 0, 1, -1])),
        HeadLoss("cross_entropy_every_step", W, b, torch.tensor([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0])),
        HeadLoss("cross_entropy_last_step", W, b, torch.tensor([3])),
        HeadLoss("mse_last_step", W[:1], b[:1], 0.25),
    ]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_what_the_worker_returns_is_what_the_replica_computes(cell):
    mod, x = make(cell, "tanh", 2, seed=7)
    x = x.numpy()
    assert same(offload.run(HEAVY, lv.trace, mod, x), lv.trace(mod, x))
    for loss in _losses(mod.hidden_size):
        for kw in ({}, {"truncate": 4, "clip": 0.5}, {"jacobian": False}):
            here = lv.gradient_flow(mod, x, loss=loss, **kw)
            there = offload.run(HEAVY, lv.gradient_flow, mod, x, loss=loss, **kw)
            assert same(there, here), (loss, kw)
            assert there.loss_name == (loss if loss == "probe" else loss.name)
    nudged = there.dL_dh.copy()
    nudged.flat[-1] = np.nextafter(nudged.flat[-1], np.inf)
    assert not same(dataclasses.replace(there, dL_dh=nudged), here)  # one ulp in one field is seen
    gate = {"lstm": "f", "gru": "z", "rnn": None}[cell]
    if gate:
        clamps = [lv.Clamp(gate, 1.0, steps=(2, 3))]
        assert same(offload.run(HEAVY, lv.intervene, mod, x, clamps, jacobian=False),
                    lv.intervene(mod, x, clamps, jacobian=False))


def test_a_file_read_in_the_worker_comes_back_as_read_here(tmp_path):
    """Tensors come back as their bytes (offload._dumps): every dtype, shape and number as the reader gives them."""

    torch.manual_seed(0)
    sd = {"rnn.weight_ih_l0": torch.randn(8, 3), "rnn.weight_hh_l0": torch.randn(8, 2).T.contiguous().T,
          "half": torch.randn(4).half(), "bf16": torch.randn(3, 2).bfloat16(), "step": torch.tensor(7),
          "mask": torch.tensor([True, False]), "z": torch.randn(2, dtype=torch.complex64), "empty": torch.zeros(0, 4),
          "nan": torch.tensor([float("nan"), -0.0])}
    path = tmp_path / "m.pt"
    torch.save({"state_dict": sd, "epoch": 3}, path)
    here = checkpoints.read_flat(path, "m.pt")
    there = offload.run(HEAVY, checkpoints.read_flat, path, "m.pt")
    assert there.keys() == here.keys() == sd.keys()
    for k in sd:
        assert type(there[k]) is torch.Tensor and there[k].dtype == here[k].dtype and there[k].shape == here[k].shape
        def bits(t):
            return t.contiguous().reshape(-1).view(torch.uint8)

        assert torch.equal(bits(there[k]), bits(here[k])), k  # bit for bit, NaN and -0.0 too
    there["rnn.weight_ih_l0"].add_(1)  # writable, and not shared with anything


def test_a_head_loss_is_the_loss_it_names_after_a_round_trip():
    """The four losses against torch.nn.functional written out here, before and after pickling."""
    out = torch.randn(11, 6)
    ce = torch.nn.functional.cross_entropy
    for loss in _losses(6)[1:]:
        logits = out @ loss.W.T + loss.b
        if loss.name == "cross_entropy_next_token":  # -1: no next token known at that step
            want = ce(logits, loss.target, ignore_index=-1)
        elif loss.name == "cross_entropy_every_step":
            want = ce(logits, loss.target)
        elif loss.name == "cross_entropy_last_step":
            want = ce(logits[-1:], loss.target)
        else:
            want = (logits[-1, 0] - 0.25) ** 2
        for f in (loss, pickle.loads(pickle.dumps(loss))):
            assert torch.allclose(f(out), want, rtol=0, atol=1e-6), loss.name
            assert f.__name__ == loss.name


def test_an_error_of_the_run_itself_is_raised_here_unchanged():
    mod, x = make("lstm", "tanh", 1)
    with pytest.raises(ValueError) as here:
        lv.gradient_flow(mod, x.numpy(), truncate=0)
    with pytest.raises(ValueError) as there:
        offload.run(HEAVY, lv.gradient_flow, mod, x.numpy(), truncate=0)
    assert str(there.value) == str(here.value)
    assert offload.run(HEAVY, os.getpid) != os.getpid()  # the worker is still there


def test_a_dead_worker_or_a_job_that_does_not_pickle_leaves_the_plain_run():
    mod, x = make("gru", "tanh", 2, seed=2)
    x = x.numpy()
    want = lv.gradient_flow(mod, x)
    first = offload.run(HEAVY, os.getpid)
    offload._worker.kill()
    offload._worker.wait()
    assert same(offload.run(HEAVY, lv.gradient_flow, mod, x), want)  # run here
    assert offload.run(HEAVY, os.getpid) not in (first, os.getpid())  # a new worker next time

    def unpicklable(out):  # a local function: pickling it fails, so the run stays here
        return out.sum()
    assert same(offload.run(HEAVY, lv.gradient_flow, mod, x, loss=unpicklable),
                lv.gradient_flow(mod, x, loss=unpicklable))


def test_a_worker_that_never_answers_is_not_started_again(monkeypatch):
    monkeypatch.setattr(offload, "_worker", None)
    monkeypatch.setattr(offload, "_returned", False)
    monkeypatch.setattr(offload, "_disabled", False)
    starts = []

    def broken():
        starts.append(1)
        return subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE)
    monkeypatch.setattr(offload, "_spawn", broken)
    mod, x = make("lstm", "tanh", 2, seed=4)
    x = x.numpy()
    for _ in range(3):
        assert same(offload.run(HEAVY, lv.trace, mod, x), lv.trace(mod, x))
    assert starts == [1] and offload._disabled and offload._worker is None
    assert offload.run(HEAVY, os.getpid) == os.getpid()


def test_the_worker_exits_with_its_replica():
    """A replica killed outright (no clean exit) leaves no worker behind: the worker reads the end of its stdin."""
    replica = subprocess.Popen([sys.executable, "-c", "import os, sys; from lstm_viz.page import offload; "
                                "print(offload.run(offload.HEAVY_WORK + 1, os.getpid), flush=True); "
                                "sys.stdin.read()"],
                               cwd=offload.ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    worker = int(replica.stdout.readline())
    assert worker != replica.pid and running(worker)
    replica.kill()
    replica.wait()
    end = time.time() + 30
    while running(worker) and time.time() < end:
        time.sleep(0.1)
    assert not running(worker)


def test_a_stopped_worker_times_out_with_a_message_and_the_next_job_gets_a_new_one(monkeypatch):
    import signal

    offload.run(HEAVY, os.getpid)  # a live worker
    stuck = offload._worker
    os.kill(stuck.pid, signal.SIGSTOP)
    monkeypatch.setattr(offload, "JOB_TIMEOUT", 1.0)
    with pytest.raises(ValueError, match="took longer than 1 s and was stopped"):
        offload.run(HEAVY, os.getpid)
    assert stuck.poll() is not None  # ended, not left stopped
    monkeypatch.undo()  # a new worker takes a few seconds to import torch
    assert offload.run(HEAVY, os.getpid) not in (os.getpid(), stuck.pid)  # a new worker takes the next job


def test_training_in_the_worker_reports_its_progress_and_trains_the_same_model():
    from lstm_viz.models.train import default_config, train_job

    cfg = default_config("sentiment", "gru", steps=15, batch=8)
    seen = []
    there = offload.run(offload.ALWAYS, train_job, cfg, (0, 15), progress=lambda *a: seen.append(a))
    here = train_job(cfg, (0, 15))
    assert [s for s, _, _ in seen] == list(range(1, 16))  # every step's report came back as it happened
    assert same(there.state, here.state) and same(there.snapshots, here.snapshots) and there.history == here.history
    assert there.accuracy == here.accuracy
    model, task = there.model()
    assert same(model.state_dict(), here.state)
