"""Keras 3 model files read as data: ``.keras`` archives, ``.weights.h5`` files and legacy ``.h5`` full models,
turned into the state_dict of one nn.RNN / nn.LSTM / nn.GRU with its embedding and output layer.

Nothing of Keras runs: the archive's ``config.json`` and the H5 file's ``model_config`` are read as JSON, the
weights with h5py, every group walked by hand (only hard links; no external or virtual storage), every dataset's
shape and type checked before it is read (so a compressed dataset cannot inflate past what its shape declares).

The mapping (Keras keeps x·W with W [in, G·u]; PyTorch keeps W x with W [G·u, in]):

- ``SimpleRNN``: weight_ih = kernelᵀ, weight_hh = recurrent_kernelᵀ, bias_ih = bias, bias_hh = 0.
- ``LSTM``: Keras' gate order i, f, c, o is PyTorch's i, f, g, o: the same transposes, bias_hh = 0.
- ``GRU`` (``reset_after=True``): Keras' blocks z, r, h become PyTorch's r, z, n; bias [2, 3u] is (bias_ih,
  bias_hh). Both compute h_t = z ⊙ h_{t−1} + (1 − z) ⊙ n_t with the reset applied after the recurrent product.
  ``reset_after=False`` resets h_{t−1} before the product: no nn.GRU computes that, so it is refused.
- ``Bidirectional(merge_mode="concat")``: the backward layer is the ``_reverse`` direction.
- ``Embedding``: embeddings [V, d] is nn.Embedding's weight. ``Dense`` / ``TimeDistributed(Dense)``:
  weight = kernelᵀ, and its activation is applied to the outputs as Keras applies it.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from lstm_viz.checks import MAX_PARAMETERS
from lstm_viz.notation import DIRECTION_SUFFIXES, GATE_BLOCKS

MAX_CONFIG_BYTES = 4 * 2**20  # a model's JSON description (a few KB for the models read here)
MAX_H5_OBJECTS = 10_000  # groups and datasets walked in one file
FLOATS = ("float16", "float32", "float64")
RECURRENT = {"SimpleRNN": "rnn", "LSTM": "lstm", "GRU": "gru"}
CLASS_OF_BLOCKS = {GATE_BLOCKS[cell]: cls for cls, cell in RECURRENT.items()}  # recurrent_kernel [u, G·u] -> class
NO_WEIGHTS = ("InputLayer", "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout")
ACTIVATIONS = ("softmax", "sigmoid", "linear", "tanh", "relu")
# the names Keras gives a layer's weights group in a .weights.h5 file (its class in snake case, then _1, _2, ...)
GROUP_OF = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru", "Bidirectional": "bidirectional",
            "Embedding": "embedding", "Dense": "dense", "TimeDistributed": "time_distributed"}
CLASS_OF_GROUP = {v: k for k, v in GROUP_OF.items()}
TF1_SUFFIXES = (".ckpt", ".index", ".meta", ".pb", ".data-00000-of-00001")
TF1_ADVICE = ("is a TensorFlow checkpoint, which holds no model description this page can read safely: load it in "
              "TensorFlow with the code that trained it, then save model.save('model.keras') or "
              "model.save_weights('model.weights.h5') and upload that file")


@dataclass
class Read:
    """What a Keras file gives: the state_dict in PyTorch's names (``rnn.*``, ``embedding.weight``, ``fc.*``), the
    output layer's activation, and what was assumed in reading it (i18n keys with their values)."""

    tensors: dict = field(default_factory=dict)
    activation: str | None = None  # of the output layer, None where the file does not say
    nonlinearity: str | None = None  # of a SimpleRNN, where the file says
    notes: list = field(default_factory=list)


@dataclass
class _Layer:
    cls: str  # SimpleRNN | LSTM | GRU | Embedding | Dense
    name: str
    config: dict | None  # None: a weights file (no description)
    weights: list  # arrays, in Keras' order (kernel, recurrent_kernel, bias)
    backward: list | None = None  # a Bidirectional layer's backward weights


def _is_tf1(name: str) -> bool:
    n = name.lower()
    return n.endswith(TF1_SUFFIXES) or ".ckpt" in n


def is_keras(name: str) -> bool:
    """Whether ``read`` takes a file of this name (a TensorFlow 1 checkpoint too: it says how to export it)."""
    return name.lower().endswith((".keras", ".h5", ".hdf5")) or _is_tf1(name)


def read(path, name: str, max_bytes: int) -> Read:
    """A Keras file's weights in PyTorch's layout, after every check above; ValueError (naming the file) else."""
    if _is_tf1(name):
        raise ValueError(f"{name} {TF1_ADVICE}")
    try:
        if name.lower().endswith(".keras"):
            config, h5 = _archive(Path(path), name, max_bytes)
            with _h5(h5, name) as f:
                return _convert(_from_config(config, f, name, legacy=False), name, described=True)
        with _h5(str(path), name) as f:
            if "model_config" in f.attrs:  # a legacy full model: its description and weights in one file
                config = json.loads(_attr(f, "model_config", name))
                return _convert(_from_config(config, f, name, legacy=True), name, described=True)
            if "layers" in f:
                return _convert(_from_weights(f, name), name, described=False)
            if "model_weights" in f or "layer_names" in f.attrs:
                raise ValueError(f"{name} holds weights without the model's description (a Keras 2 weights file): "
                                 "save the model with model.save('model.keras') and upload that")
            raise ValueError(f"{name} is an HDF5 file but not one Keras wrote (no 'layers' or 'model_config')")
    except (OSError, KeyError, TypeError, json.JSONDecodeError, RecursionError, zipfile.BadZipFile):
        raise ValueError(f"{name} is not a readable Keras file: nothing of it was used") from None


def _archive(p: Path, name: str, max_bytes: int):
    """(config, weights as a file object) of a .keras zip, its directory's sizes checked first."""
    if not zipfile.is_zipfile(p):
        raise ValueError(f"{name} is not a Keras archive (a .keras file is a zip): nothing was read")
    with zipfile.ZipFile(p) as z:
        info = {i.filename: i for i in z.infolist()}
        if "config.json" not in info or "model.weights.h5" not in info:
            raise ValueError(f"{name} lacks config.json or model.weights.h5: not a Keras 3 archive")
        if info["config.json"].file_size > MAX_CONFIG_BYTES:
            raise ValueError(f"{name}: its config.json is {info['config.json'].file_size:,} bytes; the limit is "
                             f"{MAX_CONFIG_BYTES:,}")
        if info["model.weights.h5"].file_size > max_bytes:
            raise ValueError(f"{name}: its weights unpack to {info['model.weights.h5'].file_size / 2**20:.0f} MB; "
                             f"the limit is {max_bytes // 2**20} MB")
        config = json.loads(z.read("config.json"))
        return config, io.BytesIO(z.read("model.weights.h5"))


class _h5:
    """An HDF5 file opened read-only with h5py (a context manager)."""

    def __init__(self, source, name: str):
        self.source, self.name = source, name

    def __enter__(self):
        import h5py

        try:
            self.f = h5py.File(self.source, "r")
        except OSError:
            raise ValueError(f"{self.name} is not a readable HDF5 file: nothing was read") from None
        return self.f

    def __exit__(self, *exc):
        self.f.close()


def _attr(obj, key: str, name: str):
    """An attribute's value, its stored size checked before it is read."""
    size = obj.attrs.get_id(key).get_storage_size()
    if size > MAX_CONFIG_BYTES:
        raise ValueError(f"{name}: the attribute {key!r} is {size:,} bytes; the limit is {MAX_CONFIG_BYTES:,}")
    v = obj.attrs[key]
    return v.decode("utf-8") if isinstance(v, bytes) else v


class _Walk:
    """Datasets read from an H5 file, each checked before it is read, the objects visited and numbers read counted."""

    def __init__(self, name: str):
        self.name, self.objects, self.numbers = name, 0, 0

    def child(self, group, key: str):
        """The object ``key`` of ``group`` through a hard link only (never a link to another file or path)."""
        import h5py

        self.objects += 1
        if self.objects > MAX_H5_OBJECTS:
            raise ValueError(f"{self.name} has more than {MAX_H5_OBJECTS:,} groups and datasets")
        link = group.get(key, getlink=True)
        if link is None:
            return None
        if not isinstance(link, h5py.HardLink):
            raise ValueError(f"{self.name}: {group.name}/{key} is a link to another place or file; it was not "
                             "followed")
        return group[key]

    def array(self, ds, what: str) -> np.ndarray:
        import h5py

        where = f"{self.name}: {what}"
        if not isinstance(ds, h5py.Dataset):
            raise ValueError(f"{where} is not an array")
        if ds.dtype.name not in FLOATS:
            raise ValueError(f"{where} holds {ds.dtype}, not floating-point weights")
        if ds.external or ds.is_virtual:
            raise ValueError(f"{where} keeps its numbers outside the file; it was not read")
        self.numbers += math.prod(ds.shape)
        if self.numbers > 4 * MAX_PARAMETERS:
            raise ValueError(f"{self.name} holds more than {4 * MAX_PARAMETERS:,} numbers; the rest was not read")
        a = np.asarray(ds[()], dtype=np.float32)
        if not np.isfinite(a).all():
            raise ValueError(f"{where} contains NaN or inf")
        return a

    def numbered(self, group, what: str) -> list:
        """The datasets 0, 1, 2, ... of a Keras 3 ``vars`` group, in order."""
        if group is None:
            return []
        out = []
        while (ds := self.child(group, str(len(out)))) is not None:
            out.append(self.array(ds, f"{what}/{len(out)}"))
        return out


def _path(group, walk: _Walk, *keys):
    for k in keys:
        if group is None:
            return None
        group = walk.child(group, k)
    return group


def _layers_of(config: dict, name: str) -> list[dict]:
    """The layers of a Sequential model, or of a Functional one that is a single chain, in order."""
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise ValueError(f"{name}: its model description is not a Keras model's")
    kind, layers = config.get("class_name"), config["config"].get("layers")
    if kind not in ("Sequential", "Functional", "Model") or not isinstance(layers, list):
        raise ValueError(f"{name} describes a {str(kind)[:40]!r}: only Sequential models and single chains of layers "
                         "are read")
    if kind != "Sequential":
        for prev, layer in zip(layers, layers[1:]):  # each layer reads the one before it, once
            nodes = layer.get("inbound_nodes") or []
            history = json.dumps(nodes)
            sources = set(re.findall(r'"keras_history": \["([^"]*)"', history))
            if sources != {prev.get("config", {}).get("name", prev.get("name"))}:
                raise ValueError(f"{name}: the layers do not form one chain (layer "
                                 f"{str(layer.get('name'))[:40]!r} reads {sorted(sources)[:3]}): only a chain of "
                                 "layers is read")
    return [layer for layer in layers if isinstance(layer, dict)]


def _weights_config(layer: dict) -> tuple[str, dict]:
    cls, cfg = layer.get("class_name"), layer.get("config")
    if not isinstance(cls, str) or not isinstance(cfg, dict):
        raise TypeError
    return cls, cfg


def _from_config(config: dict, f, name: str, legacy: bool) -> list[_Layer]:
    """The layers of a described model (a .keras archive or a legacy .h5), with their weights."""
    walk = _Walk(name)
    out, seen = [], {}
    root = _path(f, walk, "model_weights") if legacy else _path(f, walk, "layers")
    if root is None:
        raise ValueError(f"{name} holds no weights")
    for layer in _layers_of(config, name):
        cls, cfg = _weights_config(layer)
        lname = str(cfg.get("name", ""))[:80]
        if cls in NO_WEIGHTS:
            continue
        if cls not in GROUP_OF:
            raise ValueError(f"{name}: layer {lname!r} is a {cls[:40]}; the page reads Embedding, SimpleRNN, LSTM, "
                             "GRU, Bidirectional, Dropout and Dense or TimeDistributed(Dense) layers only")
        index = seen.get(cls, 0)
        seen[cls] = index + 1
        group = GROUP_OF[cls] + (f"_{index}" if index else "")
        if legacy:
            weights = _legacy_weights(_path(root, walk, lname), walk, lname, name)
        else:
            weights = _keras3_weights(_path(root, walk, group), walk, cls, group)
        if cls == "TimeDistributed":
            inner, icfg = _weights_config(cfg.get("layer") or {})
            if inner != "Dense":
                raise ValueError(f"{name}: TimeDistributed({inner[:40]}) is not read; only TimeDistributed(Dense)")
            out.append(_Layer("Dense", lname, icfg, weights[0]))
        elif cls == "Bidirectional":
            inner, icfg = _weights_config(cfg.get("layer") or {})
            if inner not in RECURRENT:
                raise ValueError(f"{name}: Bidirectional({inner[:40]}) is not read")
            if cfg.get("merge_mode", "concat") != "concat":
                raise ValueError(f"{name}: layer {lname!r} merges its two directions by {cfg.get('merge_mode')!r}; "
                                 "only merge_mode='concat' (both directions side by side, as nn.LSTM does) is read")
            _, bcfg = _weights_config(cfg.get("backward_layer") or layer["config"]["layer"])
            if bcfg.get("go_backwards") is False and "backward_layer" in cfg:
                raise ValueError(f"{name}: the backward layer of {lname!r} does not read backwards")
            out.append(_Layer(inner, lname, {**icfg, "go_backwards": False}, weights[0], weights[1]))
        else:
            out.append(_Layer(cls, lname, cfg, weights[0]))
    return out


def _keras3_weights(group, walk: _Walk, cls: str, where: str) -> list[list]:
    """A Keras 3 layer's weights: [forward] or [forward, backward] lists of arrays."""
    if group is None:
        raise ValueError(f"{walk.name}: no weights for the layer {where!r}")
    if cls == "Bidirectional":
        return [walk.numbered(_path(group, walk, d, "cell", "vars"), f"{where}/{d}")
                for d in ("forward_layer", "backward_layer")]
    if cls in RECURRENT:
        return [walk.numbered(_path(group, walk, "cell", "vars"), where)]
    if cls == "TimeDistributed":
        return [walk.numbered(_path(group, walk, "layer", "vars"), where)]
    return [walk.numbered(_path(group, walk, "vars"), where)]


def _legacy_weights(group, walk: _Walk, lname: str, name: str) -> list[list]:
    """A legacy .h5 layer's weights in the order its ``weight_names`` lists them ([forward] or [forward, backward]:
    a Bidirectional layer lists its forward weights first)."""
    if group is None:
        raise ValueError(f"{name}: no weights for the layer {lname!r}")
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in _attr(group, "weight_names", name)]
    arrays = []
    for n in names:
        ds = group
        for part in n.split("/"):
            ds = walk.child(ds, part)
            if ds is None:
                raise ValueError(f"{name}: the weight {n[:80]!r} is missing")
        arrays.append(walk.array(ds, n[:80]))
    backward = [any(part.startswith("backward_") for part in n.split("/")[:-1]) for n in names]
    if any(backward):  # a Bidirectional layer
        return [[a for a, b in zip(arrays, backward) if not b], [a for a, b in zip(arrays, backward) if b]]
    return [arrays]


def _from_weights(f, name: str) -> list[_Layer]:
    """The layers of a .weights.h5 file, told apart by their group names (a class in snake case, numbered in the
    order the model holds them) and their shapes; a Bidirectional layer's cell kind from its shapes."""
    walk = _Walk(name)
    root = walk.child(f, "layers")
    groups = []
    for key in list(root.keys())[:MAX_H5_OBJECTS]:
        m = re.fullmatch(r"([a-z_]+?)(?:_(\d+))?", key)
        if m and m.group(1) in ("dropout", "spatial_dropout1d", "input_layer"):  # no weights
            continue
        if not m or m.group(1) not in CLASS_OF_GROUP:
            raise ValueError(f"{name}: a layer named {key[:40]!r} is not one the page reads (Embedding, SimpleRNN, "
                             "LSTM, GRU, Bidirectional, Dense, TimeDistributed(Dense))")
        groups.append((CLASS_OF_GROUP[m.group(1)], int(m.group(2) or 0), key))
    kinds = {"Embedding": 0, "SimpleRNN": 1, "LSTM": 1, "GRU": 1, "Bidirectional": 1, "Dense": 2,
             "TimeDistributed": 2}
    out = []
    for cls, _, key in sorted(groups, key=lambda g: (kinds[g[0]], g[1])):
        weights = _keras3_weights(walk.child(root, key), walk, cls, key)
        if cls == "Bidirectional":
            out.append(_Layer(_cell_of_shapes(weights[0], name, key), key, None, weights[0], weights[1]))
        elif cls == "TimeDistributed":
            out.append(_Layer("Dense", key, None, weights[0]))
        else:
            out.append(_Layer(cls, key, None, weights[0]))
    return out


def _cell_of_shapes(weights: list, name: str, key: str) -> str:
    if len(weights) < 2 or weights[1].ndim != 2 or weights[1].shape[0] == 0:
        raise ValueError(f"{name}: the layer {key!r} has no recurrent kernel")
    kind = CLASS_OF_BLOCKS.get(weights[1].shape[1] // weights[1].shape[0])
    if kind is None:
        raise ValueError(f"{name}: the layer {key!r} has a recurrent kernel of shape {list(weights[1].shape)}")
    return kind


def _check(cond: bool, name: str, layer: str, what: str) -> None:
    if not cond:
        raise ValueError(f"{name}: layer {layer!r} {what}")


def _recurrent(layer: _Layer, name: str) -> tuple[str, dict, int]:
    """(cell, {direction suffix: PyTorch weights}, units) of a recurrent layer, every shape checked."""
    cell = RECURRENT[layer.cls]
    cfg = layer.config or {}
    G = GATE_BLOCKS[cell]
    if layer.config is not None:
        act = cfg.get("activation", "tanh")
        _check(act == "tanh" or cell == "rnn" and act == "relu", name, layer.name,
               f"uses activation={act!r}; the page computes tanh (or relu for a SimpleRNN)")
        if cell != "rnn":
            ract = cfg.get("recurrent_activation", "sigmoid")
            _check(ract == "sigmoid", name, layer.name,
                   f"uses recurrent_activation={ract!r}; the page's gates are the logistic sigmoid")
        if cell == "gru":
            _check(cfg.get("reset_after", True), name, layer.name,
                   "is a GRU with reset_after=False, which resets h before its recurrent product: no nn.GRU "
                   "computes that (PyTorch's GRU and Keras' default reset_after=True apply the reset after it)")
        _check(not cfg.get("go_backwards"), name, layer.name,
               "reads its sequence backwards (go_backwards=True) outside a Bidirectional layer")
    out = {}
    units = None
    for sfx, weights in zip(DIRECTION_SUFFIXES, (layer.weights, layer.backward)):
        if weights is None:
            continue
        _check(len(weights) in (2, 3), name, layer.name, f"has {len(weights)} weights; expected kernel, "
               "recurrent_kernel and bias")
        kernel, rec = weights[0], weights[1]
        _check(kernel.ndim == 2 and rec.ndim == 2 and rec.shape[0] > 0 and rec.shape[1] == G * rec.shape[0] and
               kernel.shape[1] == G * rec.shape[0], name, layer.name,
               f"has kernels of shapes {list(kernel.shape)} and {list(rec.shape)}; expected [in, {G}·u] and "
               f"[u, {G}·u] for a {layer.cls}")
        u = rec.shape[0]
        units = units or u
        _check(u == units, name, layer.name, "has two directions of different sizes")
        bias = weights[2] if len(weights) == 3 else None
        bshape = list(bias.shape) if bias is not None else []
        if cell == "gru":
            _check(bias is None or bias.shape == (2, G * u), name, layer.name,
                   f"is a GRU with a bias of shape {bshape}: a GRU saved with "
                   "reset_after=False (one bias row) has no nn.GRU equivalent; Keras' default reset_after=True "
                   f"has a bias of shape [2, {G * u}]")
            order = np.r_[u:2 * u, 0:u, 2 * u:3 * u]  # Keras z, r, h -> PyTorch r, z, n
            w_ih, w_hh = kernel[:, order].T, rec[:, order].T
            b_ih, b_hh = (bias[0][order], bias[1][order]) if bias is not None else (None, None)
        else:
            _check(bias is None or bias.shape == (G * u,), name, layer.name,
                   f"has a bias of shape {bshape}; expected [{G * u}]")
            w_ih, w_hh, b_ih = kernel.T, rec.T, bias
            b_hh = None if bias is None else np.zeros_like(bias)
        out[sfx] = {"weight_ih": w_ih, "weight_hh": w_hh}
        if b_ih is not None:
            out[sfx].update(bias_ih=b_ih, bias_hh=b_hh)
    return cell, out, units


def _convert(layers: list[_Layer], name: str, described: bool) -> Read:
    """One recurrent stack with its embedding before it and one output layer after it, in PyTorch's names."""
    read = Read()
    if not described:
        read.notes.append(("note_keras_weights", {}))
    rec = [layer for layer in layers if layer.cls in RECURRENT]
    if not rec:
        raise ValueError(f"{name} has no SimpleRNN, LSTM or GRU layer")
    first = layers.index(rec[0])
    last = layers.index(rec[-1])
    between = [layer for layer in layers[first:last + 1] if layer.cls not in RECURRENT]
    if between:
        raise ValueError(f"{name}: the {between[0].cls} layer {between[0].name!r} stands between the recurrent layers; "
                         "only a stack of recurrent layers is read")
    before, after = layers[:first], layers[last + 1:]
    if len(before) > 1 or before and before[0].cls != "Embedding":
        raise ValueError(f"{name}: only one Embedding may come before the recurrent layers")
    if len(after) > 1 or after and after[0].cls != "Dense":
        raise ValueError(f"{name}: only one Dense (or TimeDistributed(Dense)) layer may come after the recurrent "
                         "layers")
    kinds = {layer.cls for layer in rec}
    directions = {layer.backward is not None for layer in rec}
    if len(kinds) > 1 or len(directions) > 1:
        raise ValueError(f"{name}: its recurrent layers are of different kinds ({', '.join(sorted(kinds))}) or "
                         "directions: the page shows one nn.RNN/LSTM/GRU stack, whose layers are all alike")
    parts = [_recurrent(layer, name) for layer in rec]
    if len({p[2] for p in parts}) > 1:
        raise ValueError(f"{name}: its recurrent layers have different sizes ({', '.join(str(p[2]) for p in parts)}"
                         " units): the page shows one nn.RNN/LSTM/GRU stack, whose layers all have one size")
    biased = [any("bias_ih" in params for params in p[1].values()) for p in parts]
    for k, (cell, directions, units) in enumerate(parts):
        for sfx, params in directions.items():
            if any(biased) and not biased[k]:  # a layer without a bias in a stack with them: its bias is zero
                params.update(bias_ih=np.zeros(GATE_BLOCKS[cell] * units, np.float32),
                              bias_hh=np.zeros(GATE_BLOCKS[cell] * units, np.float32))
            for pname, v in params.items():
                read.tensors[f"rnn.{pname}_l{k}{sfx}"] = v
        if k < len(rec) - 1 and rec[k].config is not None:
            _check(rec[k].config.get("return_sequences", False), name, rec[k].name,
                   "passes only its last step to the next recurrent layer (return_sequences=False)")
    if rec[0].cls == "SimpleRNN" and rec[0].config is not None:
        read.nonlinearity = rec[0].config.get("activation", "tanh")
    if rec[-1].config is not None and not rec[-1].config.get("return_sequences", False):
        read.notes.append(("note_keras_last", {}))
    if before:
        emb = before[0]
        _check(len(emb.weights) == 1 and emb.weights[0].ndim == 2, name, emb.name, "has no [V, d] embeddings")
        read.tensors["embedding.weight"] = emb.weights[0]
        if (emb.config or {}).get("mask_zero"):
            read.notes.append(("note_keras_mask", {}))
    if after:
        dense = after[0]
        _check(len(dense.weights) in (1, 2) and dense.weights[0].ndim == 2, name, dense.name,
               "has no [in, out] kernel")
        read.tensors["fc.weight"] = dense.weights[0].T
        if len(dense.weights) == 2:
            read.tensors["fc.bias"] = dense.weights[1]
        if dense.config is None:
            read.notes.append(("note_keras_head", {}))
        else:
            act = dense.config.get("activation", "linear")
            _check(act in ACTIVATIONS, name, dense.name, f"uses activation={act!r}; the page applies "
                   + ", ".join(ACTIVATIONS))
            read.activation = act
    read.tensors = {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for k, v in read.tensors.items()}
    return read
