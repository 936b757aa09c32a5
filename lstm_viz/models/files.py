"""The one reader of model, vocabulary and labels files: every size is checked before the part it bounds is
read.

- ``.safetensors``: the header is validated as data (dtypes, shapes, offsets) and its shapes counted first.
- ``.pt`` / ``.pth`` / ``.bin``: torch's zip format only (an older pickle is refused unread), the zip directory's
  sizes and the pickle's own size checked first, then ``torch.load(..., weights_only=True)``, then every tensor
  (views included) counted.
- ``.npz``: each member's .npy header read and counted first, then ``np.load(..., allow_pickle=False)``.
- Keras' ``.keras``, ``.weights.h5`` and ``.h5`` files: read as data by ``keras.read`` (h5py, never Keras).
- vocabularies and labels: at most MAX_VOCAB_BYTES, one token per line or a JSON list or token-to-index map,
  indices in range.
"""

from __future__ import annotations

import json
import math
import struct
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from lstm_viz.checks import MAX_CLASSES, MAX_PARAMETERS, npy_header
from lstm_viz.models import keras

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_PICKLE_BYTES = 2**20  # the pickle inside a torch file (its tensors' numbers are stored beside it)
MAX_VOCAB_BYTES = 16 * 2**20  # a vocabulary or labels file
MAX_ELEMENTS = 4 * MAX_PARAMETERS  # numbers a checkpoint may hold in all (optimizer state included)


class Weights(dict):
    """A state_dict (name -> tensor) with what its file says beside the tensors or what reading it assumed."""

    notes: tuple = ()  # i18n keys with their values: (("note_keras_last", {}), ...)
    activation: str | None = None  # the output layer's, where the file says (Keras' Dense)
    nonlinearity: str | None = None  # a vanilla RNN's, where the file says


def _refuse_pickled_module(name: str) -> ValueError:
    return ValueError(f"{name} holds a whole pickled model, not its weights: in the code that trained it, save "
                      "torch.save(model.state_dict(), path) and load that file instead")


def _check_zip(p: Path, what: str, name: str) -> None:
    """The archive's own directory, before anything is unpacked: its entries' sizes as unpacked (the readers stop
    at the sizes the directory gives), and for a torch file the size of the pickle that describes it, whose
    unpickling costs about 0.5 CPU-s a MB (a state_dict's is a few KB; a checkpoint with an optimizer's, tens)."""
    try:
        if not zipfile.is_zipfile(p):
            raise ValueError(f"{name} is not a {what} archive (an old or foreign format): nothing was read from it")
        with zipfile.ZipFile(p) as z:
            entries = z.infolist()
    except (zipfile.BadZipFile, OSError, EOFError):
        raise ValueError(f"{name} is not a readable {what} archive: nothing was read from it") from None
    total = sum(i.file_size for i in entries)
    if total > MAX_ELEMENTS * 8:
        raise ValueError(f"{name} would unpack to {total / 2**30:.1f} GB; the limit is "
                         f"{MAX_ELEMENTS * 8 / 2**30:.1f} GB: nothing was unpacked")
    pickled = sum(i.file_size for i in entries if i.filename.endswith(".pkl"))
    if what == "torch" and pickled > MAX_PICKLE_BYTES:
        raise ValueError(f"{name} describes its contents in {pickled / 2**20:.1f} MB of pickle; a checkpoint of "
                         f"weights needs far less (the limit is {MAX_PICKLE_BYTES // 2**20} MB): nothing was read")


def _check_npz_headers(p: Path, name: str) -> None:
    """Each member of an .npz is a .npy of plain numbers (bool, integers, floats of at most 8 bytes), and all of them
    hold at most MAX_ELEMENTS numbers: read from the members' headers, before any array is."""
    total = 0
    with zipfile.ZipFile(p) as z:
        for info in z.infolist():
            what = f"{name}: {info.filename[:60]!r}"
            if not info.filename.endswith(".npy"):
                raise ValueError(f"{what} is not a NumPy array (.npy): nothing was read")
            try:
                with z.open(info) as f:
                    shape, _ = npy_header(f, what)
            except zipfile.BadZipFile:
                raise ValueError(f"{what} is not a readable NumPy array: nothing was read") from None
            total += math.prod(int(d) for d in shape)  # Python integers: no overflow
            if total > MAX_ELEMENTS:
                raise ValueError(f"{name} holds more than {MAX_ELEMENTS:,} numbers; nothing was read")


def _count_tensors(data, name: str) -> None:
    """Every tensor of an unpickled checkpoint, views included, within MAX_ELEMENTS numbers: a pickle can describe a
    tensor of 10⁹ numbers over one stored number (stride 0), which costs nothing until it is copied."""
    total, stack = 0, [data]
    while stack:
        obj = stack.pop()
        if isinstance(obj, torch.Tensor):
            total += obj.numel()
            if total > MAX_ELEMENTS:
                raise ValueError(f"{name} holds more than {MAX_ELEMENTS:,} numbers: nothing was used")
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)


def _check_safetensors_header(p: Path, name: str) -> None:
    """The header, as data of the shape the format defines, before any tensor is read: a JSON object whose entries
    (but ``__metadata__``) each have a dtype, a shape of whole numbers and two data offsets; their numbers in all
    within MAX_ELEMENTS."""
    bad = f"{name} is not a valid safetensors file"
    with open(p, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise ValueError(f"{bad} (too short)")
        (n,) = struct.unpack("<Q", head)
        if n > 100 * 2**20:
            raise ValueError(f"{bad} (its header claims {n:,} bytes)")
        try:
            header = json.loads(f.read(n))
        except (ValueError, RecursionError):  # not UTF-8, not JSON, or a number of more than 4,300 digits
            raise ValueError(f"{bad} (unreadable header)") from None
    if not isinstance(header, dict):
        raise ValueError(f"{bad} (its header is a {type(header).__name__}, not a table of tensors)")
    total = 0
    for k, v in header.items():
        if k == "__metadata__":
            continue
        shape = v.get("shape") if isinstance(v, dict) else None
        offsets = v.get("data_offsets") if isinstance(v, dict) else None
        if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape) and
                isinstance(v.get("dtype"), str) and isinstance(offsets, list) and len(offsets) == 2 and
                all(type(o) is int and o >= 0 for o in offsets)):
            raise ValueError(f"{bad} (the entry {str(k)[:60]!r} has no dtype, shape and offsets)")
        total += math.prod(shape)  # Python integers: no overflow
        if total > MAX_ELEMENTS:
            raise ValueError(f"{name} holds more than {MAX_ELEMENTS:,} numbers; nothing was read")


def read_file(path, name: str | None = None) -> dict:
    """The raw contents of a checkpoint file (a dict, possibly nested), after the checks above."""
    p = Path(path)
    name = name or p.name
    if not p.is_file():
        raise ValueError(f"no such file: {name}")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"{name} is larger than {MAX_FILE_BYTES // 2**20} MB")
    suffix = Path(name).suffix.lower()
    if keras.is_keras(name):
        read = keras.read(p, name, MAX_FILE_BYTES)
        out = Weights(read.tensors)
        out.notes, out.activation, out.nonlinearity = tuple(read.notes), read.activation, read.nonlinearity
        return out
    if suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        _check_safetensors_header(p, name)
        try:
            return load_file(str(p), device="cpu")
        except (SafetensorError, OSError, ValueError, RuntimeError):
            raise ValueError(f"{name} is not a valid safetensors file") from None
    if suffix in (".pt", ".pth", ".bin"):
        _check_zip(p, "torch", name)
        try:
            data = torch.load(str(p), map_location="cpu", weights_only=True)
        except Exception as exc:  # the unpickler refused something: never run it, say what to do
            text = str(exc)
            if "global" in text.lower() or "weights_only" in text:
                raise _refuse_pickled_module(name) from None
            raise ValueError(f"{name} is not a readable torch file (a damaged or foreign archive)") from None
        if isinstance(data, nn.Module):
            raise _refuse_pickled_module(name)
        _count_tensors(data, name)
        return data
    if suffix == ".npz":
        _check_zip(p, "NumPy .npz", name)
        _check_npz_headers(p, name)
        try:
            with np.load(p, allow_pickle=False) as z:
                return {k: torch.from_numpy(np.array(z[k]).astype(z[k].dtype.newbyteorder("="), copy=False))
                        for k in z.files}  # in this machine's byte order
        except (ValueError, OSError, EOFError, zipfile.BadZipFile):
            raise ValueError(f"{name} holds something other than plain arrays: nothing was unpickled") from None
    raise ValueError(f"{name}: unknown file type {suffix or '(none)'}; use .safetensors, .pt, .pth, .bin, .npz, "
                     ".keras, .weights.h5 or .h5")


def read_vocab(data: bytes, name: str = "the vocabulary") -> tuple[str, ...]:
    """A vocabulary: a JSON list of tokens, a JSON {token: index} dict, text with one token per line, or a plain
    string of characters (one line). Index i of the result is the token of the model's input (or output) i."""
    if len(data) > MAX_VOCAB_BYTES:
        raise ValueError(f"{name} is larger than {MAX_VOCAB_BYTES // 2**20} MB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not UTF-8 text") from None
    stripped = text.strip()
    if stripped.startswith(("[", "{")):
        try:
            obj = json.loads(stripped)
        except (ValueError, RecursionError):  # a JSON error, or a number of more than 4,300 digits
            raise ValueError(f"{name} looks like JSON but does not parse") from None
        if isinstance(obj, (list, dict)) and len(obj) > MAX_CLASSES:
            raise ValueError(f"{name} has {len(obj):,} tokens; the limit is {MAX_CLASSES:,}")
        if isinstance(obj, list) and all(isinstance(t, str) for t in obj):
            return tuple(obj)
        if isinstance(obj, dict) and all(isinstance(k, str) and type(v) is int for k, v in obj.items()):
            n = len(obj)  # indices 0 .. n-1, each once: checked without allocating anything the size of an index
            if len(set(obj.values())) != n or any(not 0 <= v < n for v in obj.values()):
                raise ValueError(f"{name}: the indices must be 0, 1, 2, … with none missing or repeated")
            out = [""] * n
            for k, v in obj.items():
                out[v] = k
            return tuple(out)
        raise ValueError(f"{name}: expected a list of tokens or a {{token: index}} dict")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    out = tuple(lines[0]) if len(lines) == 1 else tuple(line.rstrip("\r") for line in lines)  # one line: characters
    if len(out) > MAX_CLASSES:
        raise ValueError(f"{name} has {len(out):,} tokens; the limit is {MAX_CLASSES:,}")
    return out
