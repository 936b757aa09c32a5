"""Input checks shared by the Python API, the command line and the page.

Every check raises ``ValueError`` with one sentence naming the problem; nothing is computed before it passes.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

MAX_STEPS = 10_000  # longest sequence accepted anywhere in the project
MAX_PARAMETERS = 10_000_000  # cap on a loaded or built model's parameter count
MAX_LAYERS = 3
MAX_CLASSES = 65_536  # outputs of a readout head, and tokens of a vocabulary or labels file
MAX_OUTPUTS = 20_000_000  # head outputs (steps x classes) one rerun holds: about 80 MB of probabilities
MAX_HIDDEN = 1024

MODULE_OF = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}  # the torch.nn class of each cell
PROJECTED = ("LSTMs with proj_size > 0 are not supported: their h_t is a projection W_hr (o ⊙ tanh c) of a "
             "different size than c_t, which the cell diagram, the heatmaps and the Jacobians here do not draw")
TOO_DEEP = ("at most {max} layers are supported ({n} in this model): every view shows one layer at a time and the "
            "engine's limits (steps × units × layers) are set for up to {max}")


def cell_of(module: nn.Module) -> str:
    """'lstm', 'gru' or 'rnn' for a supported module; ValueError otherwise."""
    for cell, kind in MODULE_OF.items():  # (nn.LSTM and nn.GRU are not subclasses of nn.RNN)
        if isinstance(module, kind):
            return cell
    raise ValueError(f"expected a torch.nn.RNN, LSTM or GRU module, got {type(module).__name__}")


def check_module(module: nn.Module) -> str:
    """Check that the engine can trace ``module``; return its cell name."""
    cell = cell_of(module)
    if getattr(module, "proj_size", 0):
        raise ValueError(PROJECTED)
    named = list(module.named_parameters())
    for name, p in named:
        if not p.dtype.is_floating_point:
            raise ValueError(f"parameter {name} is not a floating-point tensor")
    with torch.no_grad():
        if named and bool(torch.isfinite(torch.stack([p.sum(dtype=torch.float64) for _, p in named]).sum())):
            return cell  # one finite sum over all parameters: none is NaN or inf
    for name, p in named:
        if not all_finite(p):
            raise ValueError(f"parameter {name} contains NaN or inf")
    return cell


def npy_header(f, what: str) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) from the header of the .npy stream ``f`` (read from its start), before any array is read: a
    header that does not parse, or values that are not plain numbers (booleans, integers, floats of at most 8
    bytes), end in one sentence about ``what``."""
    try:
        version = np.lib.format.read_magic(f)
        read = np.lib.format.read_array_header_2_0 if version >= (2, 0) else np.lib.format.read_array_header_1_0
        shape, _, dtype = read(f)
    except (ValueError, OSError, EOFError, SyntaxError):
        raise ValueError(f"{what} is not a readable NumPy array: nothing was read") from None
    if dtype.kind not in "biuf" or dtype.itemsize > 8 or dtype.fields is not None:
        raise ValueError(f"{what} holds {dtype.name} values, not plain numbers: nothing was read")
    return shape, dtype


def all_finite(t: torch.Tensor) -> bool:
    """True if no entry is NaN or inf (a finite sum proves it; an overflowing sum falls back to a full check)."""
    return bool(torch.isfinite(t.sum())) or bool(torch.isfinite(t).all())


def as_inputs(inputs, input_size: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Validate a [T, input_size] sequence (tensor, array or nested list) and return it as a tensor."""
    if isinstance(inputs, torch.Tensor):
        x = inputs.detach()
    else:
        try:
            arr = np.asarray(inputs)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"inputs are not a numeric array: {exc}") from None
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise ValueError(f"inputs must be numeric, got dtype {arr.dtype}")
        x = torch.from_numpy(np.ascontiguousarray(arr))
    if x.ndim != 2:
        raise ValueError(f"inputs must have shape [T, input_size] = [T, {input_size}], got {list(x.shape)}")
    T, m = x.shape
    if T == 0:
        raise ValueError("the sequence is empty: give at least one step")
    if T > MAX_STEPS:
        raise ValueError(f"the sequence has {T} steps; the limit is {MAX_STEPS}")
    if m != input_size:
        raise ValueError(f"inputs have {m} features per step but the model expects input_size={input_size}")
    if x.is_complex():
        raise ValueError("inputs must be real numbers")
    x = x.to(dtype)
    if not all_finite(x):
        raise ValueError("inputs contain NaN or inf")
    return x
