"""Models as people save them: find the recurrent layer, its embedding and its output layer in a checkpoint.

What is found, in what lstm_viz.models.files reads (``.safetensors``, torch's zip format, ``.npz``):
- A state_dict holding one ``nn.RNN/LSTM/GRU`` under any key prefix (``rnn.``, ``lstm.``, ``model.encoder.rnn.``);
  ``module.`` (DataParallel) stripped; nested under ``state_dict``, ``model_state_dict``, ``model`` or ``net`` of
  a checkpoint dict (its other entries ignored). Several recurrent layers: the caller chooses a prefix.
- An ``nn.Embedding`` feeding it (weight [V, input_size]) and a ``Linear`` after it (weight [C, hidden_size·D],
  D = 2 for a bidirectional layer),
  found by the usual names and checked by shape; tied weights (decoder.weight = encoder.weight) included.
- Cells (``nn.RNNCell``, ``nn.LSTMCell``, ``nn.GRUCell``: ``weight_ih``, ``weight_hh`` without ``_l0``) run in a loop
  by the model's own code: consecutive cells of one kind whose shapes chain (``lstm1`` reads x, ``lstm2`` reads
  ``lstm1``'s h) are read as one multi-layer module, assuming the cells run in that order, each reading the one
  before; the model says so (``Model.notes``).
- min-char-rnn's ``Wxh, Whh, Why, bh, by`` (an ``.npz``): ``weight_ih_l0 = Wxh``, ``weight_hh_l0 = Whh``,
  ``bias_ih_l0 = bh``, ``bias_hh_l0 = 0``, head ``weight = Why``, ``bias = by`` (its x_t is one-hot over V).
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn

from lstm_viz.checks import MAX_CLASSES, MAX_PARAMETERS, all_finite
from lstm_viz.models.files import Weights, read_file
from lstm_viz.models.model import Model
from lstm_viz.models.state_dict import module_from_state_dict

NESTED = ("state_dict", "model_state_dict", "model", "net")


EMBEDDING_NAMES = ("encoder", "embedding", "embeddings", "embed", "emb", "word_embeddings")


HEAD_NAMES = ("decoder", "fc", "h2o", "head", "out", "output", "linear", "classifier", "fc_out", "readout")


_RNN_KEY = re.compile(r"^(.*?)(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)(_reverse)?$")


_LAYER_KEY = re.compile(r"^(weight_ih|weight_hh|weight_hr|bias_ih|bias_hh)_l\d+(_reverse)?$")


_CELL_KEY = re.compile(r"^(.*?)(weight_ih|weight_hh|bias_ih|bias_hh)$")


def read_flat(path, name: str) -> dict[str, torch.Tensor]:
    """``flatten(read_file(path, name))``: the state_dict of a checkpoint file, as one job (the page runs it in its
    worker process)."""
    return flatten(read_file(path, name), name)


def flatten(data, name: str = "the file") -> dict[str, torch.Tensor]:
    """The state_dict inside a checkpoint: nested dicts under the usual names unwrapped, DataParallel's
    ``module.`` stripped, non-tensor entries (an epoch, an optimizer's numbers) left out."""
    if isinstance(data, Weights):  # a file read into PyTorch's names already (Keras)
        return data
    if not isinstance(data, dict):
        raise ValueError(f"{name} holds a {type(data).__name__}, not a state_dict")
    for key in NESTED:
        inner = data.get(key)
        if isinstance(inner, dict) and any(isinstance(v, torch.Tensor) for v in inner.values()):
            data = inner
            break
    out = {}
    for k, v in data.items():
        if isinstance(k, str) and isinstance(v, torch.Tensor):
            out[k[len("module."):] if k.startswith("module.") else k] = v
    if not out:
        raise ValueError(f"{name} holds no tensors")
    return out


def min_char_rnn(sd: dict) -> dict | None:
    """min-char-rnn's arrays in PyTorch's names (None if the file is not that layout)."""
    if not {"Wxh", "Whh", "Why", "bh", "by"} <= set(sd):
        return None
    bh = sd["bh"].reshape(-1)
    return {"rnn.weight_ih_l0": sd["Wxh"], "rnn.weight_hh_l0": sd["Whh"], "rnn.bias_ih_l0": bh,
            "rnn.bias_hh_l0": torch.zeros_like(bh), "fc.weight": sd["Why"], "fc.bias": sd["by"].reshape(-1)}


def cell_stacks(sd: dict) -> tuple[dict, dict[str, tuple]]:
    """``sd`` with each stack of cells also under nn.RNN/LSTM/GRU names, and the note for each stack's prefix.

    Cells are taken in the order the file holds them (the order the model created them). A stack is a run of
    consecutive cells of one kind and hidden size where each one's input is the one before's hidden state; its
    layer k is stored as ``<first cell's prefix>weight_ih_l<k>`` (a name no cell key has), so the embedding and
    output layer are looked for beside it as for any recurrent layer."""
    cells: dict[str, dict] = {}
    for k, v in sd.items():
        m = _CELL_KEY.match(k)
        if m and isinstance(v, torch.Tensor) and v.ndim in (1, 2):
            cells.setdefault(m.group(1), {})[m.group(2)] = v
    cells = {p: c for p, c in cells.items() if {"weight_ih", "weight_hh"} <= set(c) and c["weight_hh"].ndim == 2
             and c["weight_ih"].ndim == 2 and c["weight_hh"].shape[1] > 0}
    stacks: list[list[str]] = []
    for prefix, c in cells.items():
        if stacks:
            last = cells[stacks[-1][-1]]["weight_hh"]
            if tuple(c["weight_hh"].shape) == tuple(last.shape) and c["weight_ih"].shape[1] == last.shape[1]:
                stacks[-1].append(prefix)
                continue
        stacks.append([prefix])
    out, notes = dict(sd), {}
    for stack in stacks:
        for layer, prefix in enumerate(stack):
            for name, v in cells[prefix].items():
                out[f"{stack[0]}{name}_l{layer}"] = v
        names = [p.rstrip(".") or "(top level)" for p in stack]
        notes[stack[0]] = ("note_cells", {"names": " → ".join(names)}) if len(stack) > 1 else \
            ("note_cell", {"names": names[0]})
    return out, notes


def candidates(sd: dict) -> list[str]:
    """Prefixes under which a recurrent layer's ``weight_ih_l0`` stands (stacks of cells included)."""
    return _layer_prefixes(cell_stacks(sd)[0])


def _layer_prefixes(sd: dict) -> list[str]:
    """``candidates`` of a state_dict whose cells are already under layer names (``cell_stacks``)."""
    return sorted({m.group(1) for k in sd if (m := _RNN_KEY.match(k)) and m.group(3) == "0"
                   and m.group(2) == "weight_ih" and not m.group(4)})


def _named(sd: dict, names, prefix: str, suffix: str = ".weight"):
    """A tensor found under one of ``names``: beside the recurrent layer first, then anywhere."""
    parent = prefix.rsplit(".", 2)[0] + "." if prefix.count(".") >= 2 else ""
    for base in (parent, ""):
        for n in names:
            if base + n + suffix in sd:
                return base + n
    for k in sd:  # deeper wrappers: model.encoder.embedding.weight
        for n in names:
            if k.endswith("." + n + suffix):
                return k[: -len(suffix)]
    return None


def load(path, prefix: str | None = None, nonlinearity: str | None = None, name: str | None = None) -> Model:
    """The recurrent module of a checkpoint file, with the embedding and output layer found beside it."""
    name = name or Path(path).name
    sd = flatten(read_file(path, name), name)
    return named(name, from_state_dict, min_char_rnn(sd) or sd, prefix, nonlinearity)


def named(name: str, fn, *args):
    """``fn(*args)``, its ValueError prefixed with the file's name unless the message names it already."""
    try:
        return fn(*args)
    except ValueError as exc:
        if name in str(exc):
            raise
        raise ValueError(f"{name}: {exc}") from None


def from_state_dict(sd: dict, prefix: str | None = None, nonlinearity: str | None = None) -> Model:
    """``load`` on a flattened state_dict."""
    notes = tuple(getattr(sd, "notes", ()))  # what the file says beside its tensors (a Keras file)
    activation = getattr(sd, "activation", None)
    nonlinearity = nonlinearity or getattr(sd, "nonlinearity", None)
    sd, cell_notes = cell_stacks(sd)
    found = _layer_prefixes(sd)
    if not found:
        raise ValueError("no nn.RNN, nn.LSTM or nn.GRU layer in this file (no key ending in weight_ih_l0)")
    if prefix is None:
        if len(found) > 1:
            raise ValueError("several recurrent layers: choose one of " + ", ".join(repr(p) for p in found))
        prefix = found[0]
    elif prefix not in found:
        raise ValueError(f"no recurrent layer under {prefix!r}; found " + ", ".join(repr(p) for p in found))
    rec = {k[len(prefix):]: v for k, v in sd.items()  # a projection (weight_hr) too: it is refused by name
           if k.startswith(prefix) and _LAYER_KEY.match(k[len(prefix):])}
    rnn = module_from_state_dict(rec, nonlinearity)
    names = []
    emb = None
    ename = _named(sd, EMBEDDING_NAMES, prefix)
    if ename is not None:
        w = sd[ename + ".weight"]
        if w.ndim == 2 and w.shape[1] == rnn.input_size and w.dtype.is_floating_point:
            _check_readout(ename, w, None, "tokens")
            emb = w.float()
            names.append(ename)
    head = None
    hname = _named(sd, HEAD_NAMES, prefix)
    if hname is not None:
        w, b = sd[hname + ".weight"], sd.get(hname + ".bias")
        H = rnn.hidden_size * (2 if rnn.bidirectional else 1)  # it reads both directions side by side
        if w.ndim == 2 and w.shape[1] == H and w.dtype.is_floating_point and \
                (b is None or tuple(b.shape) == (w.shape[0],) and b.dtype.is_floating_point):
            _check_readout(hname, w, b)
            head = nn.Linear(H, w.shape[0], bias=b is not None)
            with torch.no_grad():
                head.weight.copy_(w.float())
                if b is not None:
                    head.bias.copy_(b.float())
            head.requires_grad_(False)
            names.append(hname)
    total = sum(p.numel() for p in rnn.parameters()) + (emb.numel() if emb is not None else 0) + \
        (sum(p.numel() for p in head.parameters()) if head is not None else 0)
    if total > MAX_PARAMETERS:  # every layer the page builds counts: the recurrent one, the embedding, the head
        raise ValueError(f"{total:,} parameters with the embedding and the output layer; the limit is "
                         f"{MAX_PARAMETERS:,}")
    notes += (cell_notes[prefix],) if prefix in cell_notes else ()
    return Model(rnn, head, embedding=emb, prefix=prefix, found=tuple(names), notes=notes,
                 head_activation=activation if head is not None else None)


def _check_readout(name: str, w: torch.Tensor, b: torch.Tensor | None, what: str = "outputs") -> None:
    """An embedding or output layer's size (before anything of its size is built) and values."""
    n = w.shape[0]
    if n == 0:
        raise ValueError(f"{name} has 0 {what}")
    if n > MAX_CLASSES:
        raise ValueError(f"{name} has {n:,} {what}; the limit is {MAX_CLASSES:,}")
    if w.numel() > MAX_PARAMETERS:
        raise ValueError(f"{name} has {w.numel():,} parameters; the limit is {MAX_PARAMETERS:,}")
    for part, t in ((".weight", w), (".bias", b)):
        if t is not None and not all_finite(t.float()):
            raise ValueError(f"{name}{part} contains NaN or inf")
