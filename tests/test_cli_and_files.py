"""The command line and model files: round trips, and bad files refused with one line and status 2."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from torch import nn

import lstm_viz as lv
from lstm_viz.models import state_dict as model_io

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args):
    proc = subprocess.run([sys.executable, "-m", "lstm_viz", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def run_in_process(*args):
    """``run_cli`` without a new interpreter (the same ``main``, its output captured): for the long tables of
    refusals, where starting Python and torch each time cost most of the suite's CLI time."""
    import contextlib
    import io

    from lstm_viz import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


class Evil:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def x_npy(tmp_path):
    p = tmp_path / "x.npy"
    np.save(p, np.random.default_rng(0).normal(size=(7, 3)).astype(np.float32))
    return p


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
@pytest.mark.parametrize("kind,kw", [(nn.LSTM, {}), (nn.GRU, {}), (nn.RNN, {"nonlinearity": "relu"})])
def test_state_dict_files_load_without_conversion(tmp_path, suffix, kind, kw):
    torch.manual_seed(0)
    mod = kind(3, 5, 2, **kw)
    p = tmp_path / f"m{suffix}"
    if suffix == ".pt":
        torch.save(mod.state_dict(), p)
    else:
        save_file({k: v.contiguous() for k, v in mod.state_dict().items()}, str(p))
    loaded, head = model_io.load_module(p, kw.get("nonlinearity"))
    assert type(loaded) is kind and head == {}
    for (k, a), (_, b) in zip(mod.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), k
    x = torch.randn(6, 3)
    assert np.allclose(lv.trace(loaded, x).h[-1], mod(x.unsqueeze(1))[0].squeeze(1).detach().numpy(), atol=1e-6)


@pytest.mark.parametrize("out", ["o.npz", "o.json"])
def test_cli_trace_writes_every_field(tmp_path, x_npy, out):
    torch.manual_seed(1)
    mod = nn.LSTM(3, 4, 2)
    w = tmp_path / "m.pt"
    torch.save(mod.state_dict(), w)
    code, stdout, stderr = run_cli("trace", "--weights", w, "--inputs", x_npy, "--out", tmp_path / out,
                                   "--truncate", 3, "--clip", 0.5)
    assert code == 0, stderr
    if out.endswith(".npz"):
        data = dict(np.load(tmp_path / out))
    else:
        loaded = json.loads((tmp_path / out).read_text())
        data = {k: np.asarray(v) if isinstance(v, list) else v for k, v in loaded.items()}
    x = np.load(x_npy)
    tr = lv.trace(mod, x)
    gf = lv.gradient_flow(mod, x, truncate=3, clip=0.5)
    for g in "ifgo":
        assert np.allclose(data[f"gate_{g}"], tr.gates[g], atol=1e-7)
    for f in ("h", "c"):
        assert np.allclose(data[f], getattr(tr, f), atol=1e-7)
    for f in ("dL_dh", "dL_dc", "dL_dx", "dhT_dht", "cell_path", "dL_dW_hh"):
        assert np.allclose(data[f], getattr(gf, f), rtol=1e-6), f
    assert float(data["grad_norm_clipped"]) <= 0.5 + 1e-6


def test_cli_fresh_seeded_module_is_deterministic(tmp_path, x_npy):
    outs = []
    for i in range(2):
        code, _, err = run_cli("trace", "--cell", "gru", "--input-size", 3, "--hidden-size", 8, "--layers", 2,
                               "--seed", 0, "--inputs", x_npy, "--out", tmp_path / f"o{i}.npz")
        assert code == 0, err
        outs.append(np.load(tmp_path / f"o{i}.npz"))
    assert np.array_equal(outs[0]["h"], outs[1]["h"]) and outs[0]["h"].shape == (2, 7, 8)


def _bad_files(tmp_path):
    files = {}
    evil = Evil()
    evil.marker = tmp_path / "pwned"
    torch.save({"weight_ih_l0": evil}, tmp_path / "evil.pt")
    files["evil.pt"] = "holds a whole pickled model"
    torch.save(nn.LSTM(3, 4), tmp_path / "module.pt")  # a whole pickled module, not a state_dict
    files["module.pt"] = "holds a whole pickled model"
    (tmp_path / "garbage.safetensors").write_bytes(b"\x00\x01garbage")
    files["garbage.safetensors"] = "not a valid safetensors file"
    sd = nn.LSTM(3, 4).state_dict()
    torch.save(dict(sd, weight_hh_l0=torch.zeros(16, 5)), tmp_path / "shape.pt")
    files["shape.pt"] = "weight_hh_l0 has shape"
    torch.save(dict(sd, bias_hh_l0=torch.full((16,), float("nan"))), tmp_path / "nan.pt")
    files["nan.pt"] = "NaN or inf"
    torch.save({k: v for k, v in sd.items() if k != "bias_hh_l0"}, tmp_path / "missing.pt")
    files["missing.pt"] = "inconsistent parameters"
    torch.save(dict(sd, extra=torch.zeros(1)), tmp_path / "extra.pt")
    files["extra.pt"] = "unexpected key 'extra'"
    bi = nn.LSTM(3, 4, bidirectional=True).state_dict()
    torch.save({k: v for k, v in bi.items() if k != "weight_hh_l0_reverse"}, tmp_path / "bi.pt")
    files["bi.pt"] = "inconsistent parameters"
    torch.save([1, 2], tmp_path / "list.pt")
    files["list.pt"] = "not a state_dict"
    torch.save(dict(sd, weight_ih_l0=torch.zeros(16, 3, dtype=torch.int64)), tmp_path / "int.pt")
    files["int.pt"] = "holds whole numbers, not floating-point weights"
    save_file({"weight_ih_l0": torch.zeros(4 * 2048, 3), "weight_hh_l0": torch.zeros(4 * 2048, 2048)},
              str(tmp_path / "huge.safetensors"))
    files["huge.safetensors"] = "above the limit"
    (tmp_path / "m.onnx").write_bytes(b"x")
    files["m.onnx"] = "unknown file type"
    files["absent.pt"] = "no such file"
    return files


# what the command line (checkpoints.load, which reads models as people save them) says instead of the project
# loader's message; None: the command line reads the file (keys beside the recurrent layer are ignored there)
CLI_SAYS = {"extra.pt": None}


def test_bad_model_files_are_refused_in_api_and_cli(tmp_path, x_npy):
    for name, msg in _bad_files(tmp_path).items():
        with pytest.raises(ValueError, match=msg):
            model_io.load_module(tmp_path / name)
        code, out, err = run_in_process("trace", "--weights", tmp_path / name, "--inputs", x_npy, "--out",
                                        tmp_path / "o.npz")
        cli_msg = CLI_SAYS.get(name, msg)
        if cli_msg is None:
            assert code == 0, err
            (tmp_path / "o.npz").unlink()
            continue
        assert code == 2 and cli_msg in err, (name, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "\x1b" not in err
    assert not (tmp_path / "pwned").exists()  # nothing in the evil pickle ran
    assert not (tmp_path / "o.npz").exists()


def test_bad_inputs_and_arguments_in_cli(tmp_path, x_npy):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(tmp_path / "nan.npy", np.array([[0.0, np.nan, 1.0]]))
    np.save(tmp_path / "empty.npy", np.zeros((0, 3)))
    np.save(tmp_path / "wide.npy", np.zeros((4, 5)))
    base = ["trace", "--cell", "lstm", "--input-size", 3, "--hidden-size", 4]
    cases = [
        (base + ["--inputs", tmp_path / "obj.npy", "--out", tmp_path / "o.npz"], "not a plain numeric .npy"),
        (base + ["--inputs", tmp_path / "nan.npy", "--out", tmp_path / "o.npz"], "NaN or inf"),
        (base + ["--inputs", tmp_path / "empty.npy", "--out", tmp_path / "o.npz"], "empty"),
        (base + ["--inputs", tmp_path / "wide.npy", "--out", tmp_path / "o.npz"], "input_size=3"),
        (base + ["--inputs", tmp_path / "none.npy", "--out", tmp_path / "o.npz"], "no such file"),
        (base + ["--inputs", x_npy, "--out", tmp_path / "o.txt"], "must end in .npz or .json"),
        (base + ["--inputs", x_npy, "--out", tmp_path / "o.npz", "--truncate", 0], "truncate"),
        (base + ["--inputs", x_npy, "--out", tmp_path / "o.npz", "--clip", -1], "clip"),
        (["trace", "--cell", "lstm", "--inputs", x_npy, "--out", tmp_path / "o.npz"], "needs --input-size"),
        (base[:-1] + [0, "--inputs", x_npy, "--out", tmp_path / "o.npz"], "between 1 and"),
        (["trace", "--inputs", x_npy, "--out", tmp_path / "o.npz"], "required"),
        (["frobnicate"], "invalid choice"),
        (base + ["--seed", 99999999999999999999, "--inputs", x_npy,
                     "--out", tmp_path / "o.npz"], "--seed must be between"),
        (base + ["--inputs", x_npy, "--out", tmp_path / "nofolder" / "o.npz"], "no such folder"),
        (base + ["--inputs", x_npy, "--out", tmp_path / "link.npz"], "symbolic link"),
        (["train", "--task", "recall", "--cell", "rnn", "--out", tmp_path], "is a folder"),
        (["train", "--task", "recall", "--cell", "rnn", "--out", tmp_path / "nofolder" / "m"], "no such folder"),
    ]
    (tmp_path / "target.npz").write_bytes(b"keep")
    (tmp_path / "link.npz").symlink_to(tmp_path / "target.npz")
    for args, msg in cases:
        code, _, err = run_in_process(*args)
        assert code == 2 and msg in err and len(err.strip().splitlines()) == 1, (args, err)
    assert (tmp_path / "target.npz").read_bytes() == b"keep"  # nothing written through the link
    code, out, err = run_cli(*base, "--inputs", x_npy, "--out", tmp_path / "upper.NPZ")
    assert code == 0 and "wrote" in out and (tmp_path / "upper.NPZ").is_file()
    assert not (tmp_path / "upper.NPZ.npz").exists()  # written where it says, under the name given
