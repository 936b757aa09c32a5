"""Model files: plain nn.RNN/LSTM/GRU state_dicts (.safetensors, or .pt read with weights_only=True).

Everything about a file is checked before any module is built: its keys, shapes, dtypes, values and
size. Nothing in a file is executed: safetensors holds only tensors, and torch.load is always called
with weights_only=True, which refuses any pickle that is not plain tensors and containers.
A project model file may also hold a readout ``head.weight`` / ``head.bias`` beside ``rnn.*`` keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from lstm_viz.checks import MAX_HIDDEN, MAX_LAYERS, MAX_PARAMETERS, MODULE_OF, PROJECTED, TOO_DEEP, all_finite
from lstm_viz.engine.cells import parameter_count
from lstm_viz.notation import DIRECTION_SUFFIXES, GATE_BLOCKS

_KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)(_reverse)?$")
_CELL_OF_BLOCKS = {v: k for k, v in GATE_BLOCKS.items()}


def read_tensors(path) -> dict[str, torch.Tensor]:
    """Read a model file into a dict of tensors (the checks of ``files.read_file``); ValueError otherwise."""
    from lstm_viz.models.files import read_file

    p = Path(path)
    return check_tensor_dict(read_file(p), p.name)


def check_tensor_dict(data, name: str = "the state_dict") -> dict[str, torch.Tensor]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{name} holds a {type(data).__name__}, not a state_dict (a dict of tensors)")
    out = {}
    for k, v in data.items():
        if not isinstance(k, str):
            raise ValueError(f"{name} has a non-string key {k!r}")
        if not isinstance(v, torch.Tensor):
            raise ValueError(f"{name}: {k} is a {type(v).__name__}, not a tensor")
        out[k] = v
    if not out:
        raise ValueError(f"{name} is empty")
    return out


def split_state_dict(sd: Mapping[str, torch.Tensor]) -> tuple[dict, dict]:
    """(recurrent part with nn.RNN/LSTM/GRU keys, readout head part) of a plain or project state_dict."""
    if any(k.startswith("rnn.") for k in sd):
        rec = {k[4:]: v for k, v in sd.items() if k.startswith("rnn.")}
        head = {k[5:]: v for k, v in sd.items() if k.startswith("head.")}
        other = [k for k in sd if not k.startswith(("rnn.", "head."))]
        if other:
            raise ValueError(f"unexpected key {other[0]!r} in a project model file")
        return rec, head
    return dict(sd), {}


def _layers_of(sd: Mapping[str, torch.Tensor]) -> dict[int, dict[str, torch.Tensor]]:
    """The parameters of each layer by name (``weight_ih``, ``bias_hh_reverse``…), the layers numbered 0..L-1."""
    layers: dict[int, dict[str, torch.Tensor]] = {}
    for k, v in sd.items():
        if k.startswith("weight_hr"):
            raise ValueError(PROJECTED)
        m = _KEY.match(k)
        if not m:
            raise ValueError(f"unexpected key {k!r}: expected weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ...")
        layers.setdefault(int(m.group(2)), {})[m.group(1) + (m.group(3) or "")] = v
    n = len(layers)
    if sorted(layers) != list(range(n)):
        raise ValueError(f"layers must be numbered 0..{n - 1}, found {sorted(layers)}")
    if n > MAX_LAYERS:
        raise ValueError(TOO_DEEP.format(max=MAX_LAYERS, n=n))
    for k in range(n):
        for name in ("weight_ih", "weight_hh"):
            if name not in layers[k]:
                raise ValueError(f"missing {name}_l{k}")
    return layers


def _first_layer_sizes(first: dict[str, torch.Tensor]) -> tuple[str, int, int]:
    """(cell, hidden_size, input_size) read from layer 0's shapes."""
    w_hh = first["weight_hh"]
    if w_hh.ndim != 2 or w_hh.shape[1] == 0 or w_hh.shape[0] % w_hh.shape[1]:
        raise ValueError(f"weight_hh_l0 has shape {list(w_hh.shape)}; expected [G*H, H] with G = 1, 3 or 4")
    H = w_hh.shape[1]
    G = w_hh.shape[0] // H
    if G not in _CELL_OF_BLOCKS:
        raise ValueError(f"weight_hh_l0 has {G}·H rows: expected 1 (RNN), 3 (GRU) or 4 (LSTM) blocks")
    if H > MAX_HIDDEN:
        raise ValueError(f"hidden_size {H} is above the limit {MAX_HIDDEN}")
    ih0 = first["weight_ih"]
    if ih0.ndim != 2 or ih0.shape[0] != G * H or ih0.shape[1] == 0:
        raise ValueError(f"weight_ih_l0 has shape {list(ih0.shape)}; expected [{G * H}, input_size]")
    return _CELL_OF_BLOCKS[G], H, ih0.shape[1]


def _check_layer(k: int, params: dict[str, torch.Tensor], expect: dict[str, tuple]) -> None:
    """Layer k holds exactly the expected parameters, each of its shape, floating-point and finite."""
    if set(params) != set(expect):
        missing = sorted(set(expect) - set(params)) or sorted(set(params) - set(expect))
        raise ValueError(f"layer {k}: inconsistent parameters ({', '.join(missing)})")
    for name, shape in expect.items():
        t = params[name]
        if tuple(t.shape) != shape:
            raise ValueError(f"{name}_l{k} has shape {list(t.shape)}; expected {list(shape)}")
        if not t.dtype.is_floating_point:
            kind = "true/false values" if t.dtype == torch.bool else "complex numbers" if t.dtype.is_complex \
                else "whole numbers"
            raise ValueError(f"{name}_l{k} holds {kind}, not floating-point weights")
        if not all_finite(t.float()):
            raise ValueError(f"{name}_l{k} contains NaN or inf")


def infer_config(sd: Mapping[str, torch.Tensor], nonlinearity: str | None = None) -> dict:
    """Cell type and sizes from the parameter names and shapes of an nn.RNN/LSTM/GRU state_dict."""
    layers = _layers_of(sd)
    num_layers = len(layers)
    cell, H, m = _first_layer_sizes(layers[0])
    G = GATE_BLOCKS[cell]
    bias = "bias_ih" in layers[0]
    D = 2 if "weight_ih" + DIRECTION_SUFFIXES[1] in layers[0] else 1  # bidirectional: a twin of every parameter
    for k in range(num_layers):
        expect = {}
        for sfx in DIRECTION_SUFFIXES[:D]:
            expect.update({"weight_ih" + sfx: (G * H, m if k == 0 else D * H), "weight_hh" + sfx: (G * H, H)})
            if bias:
                expect.update({"bias_ih" + sfx: (G * H,), "bias_hh" + sfx: (G * H,)})
        _check_layer(k, layers[k], expect)
    n_params = parameter_count(cell, m, H, num_layers, bias, D)
    if n_params > MAX_PARAMETERS:
        raise ValueError(f"{n_params:,} parameters; the limit is {MAX_PARAMETERS:,}")
    if cell != "rnn" and nonlinearity not in (None, "tanh"):
        raise ValueError(f"--nonlinearity applies to a vanilla RNN only; this file is a {cell.upper()}")
    if nonlinearity not in (None, "tanh", "relu"):
        raise ValueError(f"nonlinearity must be tanh or relu, got {nonlinearity!r}")
    return {"cell": cell, "input_size": m, "hidden_size": H, "num_layers": num_layers, "bias": bias, "directions": D,
            "nonlinearity": (nonlinearity or "tanh") if cell == "rnn" else None}


def module_from_state_dict(sd: Mapping[str, torch.Tensor], nonlinearity: str | None = None) -> nn.Module:
    """A new float32 nn.RNN/LSTM/GRU holding ``sd`` after every check in infer_config passed."""
    cfg = infer_config(sd, nonlinearity)
    kind = MODULE_OF[cfg["cell"]]
    kw = {"nonlinearity": cfg["nonlinearity"]} if cfg["cell"] == "rnn" else {}
    with torch.device("meta"):
        module = kind(cfg["input_size"], cfg["hidden_size"], cfg["num_layers"], bias=cfg["bias"],
                      bidirectional=cfg["directions"] == 2, **kw)
    module.load_state_dict({k: v.float() for k, v in sd.items()}, strict=True, assign=True)
    module.flatten_parameters()
    return module.eval()


def load_module(path, nonlinearity: str | None = None) -> tuple[nn.Module, dict]:
    """(module, readout head tensors) from a model file; ValueError on any failed check."""
    rec, head = split_state_dict(read_tensors(path))
    return module_from_state_dict(rec, nonlinearity), head


def save_module(module: nn.Module, path, head: Mapping[str, torch.Tensor] | None = None) -> None:
    """Write a module (and an optional readout head) as safetensors."""
    from safetensors.torch import save_file
    tensors = {f"rnn.{k}": v.detach().contiguous() for k, v in module.state_dict().items()}
    for k, v in (head or {}).items():
        tensors[f"head.{k}"] = v.detach().contiguous()
    save_file(tensors, str(path))
