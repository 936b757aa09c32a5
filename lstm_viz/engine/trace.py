"""Trace: every gate and state of a recurrent module on one sequence, as read-only NumPy arrays.

Fast path: PyTorch's fused kernel computes the hidden states layer by layer; all gates are then rebuilt
at once from the shifted states h_{t-1} with one batched step (cells.step), and the LSTM cell states
with a vectorised scan of c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t. A float32 LSTM on the CPU skips the rebuild:
its oneDNN kernel keeps every gate and cell state in its workspace, which lstm_viz.engine.onednn reads. With
clamped gates (interventions) the fused kernel cannot be used, and the layer runs step by step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import torch
from torch import nn

from lstm_viz.engine import cells
from lstm_viz.engine.run import LayerStates, frozen, layer_output, prepare, read_only, run_layers
from lstm_viz.notation import GATE_ORDER


@dataclass(frozen=True)
class Trace:
    """What the model computed at every layer, step and unit. Arrays are read-only, [num_layers, T, hidden_size].

    - ``h``: hidden states h_t; ``c``: LSTM cell states c_t (None for the RNN and the GRU).
    - ``gates[name]``: activations in PyTorch's chunk order (LSTM i, f, g, o; GRU r, z, n); empty for the RNN.
    - ``pre``: the vanilla RNN's pre-activation W_ih x_t + b_ih + W_hh h_{t-1} + b_hh (None otherwise).
    - ``x``: the input sequence [T, input_size]. The initial state is zero.
    - ``directions``: 2 for a bidirectional module. Then every array is [num_layers, T, 2·H'] as in PyTorch's
      output: units 0 .. H'-1 are the forward direction, H' .. 2H'-1 the reverse one, both at step t of the
      input (the reverse direction's state at t has read x_{T-1} down to x_t, starting from zero after the end).
    """

    cell: str
    nonlinearity: str | None
    x: np.ndarray
    h: np.ndarray
    c: np.ndarray | None
    gates: MappingProxyType
    pre: np.ndarray | None
    clamps: tuple = field(default=())
    directions: int = 1

    def __reduce__(self):  # picklable (for st.cache_data), and read-only again after unpickling
        return (_make_trace, (self.cell, self.nonlinearity, self.x, self.h, self.c, dict(self.gates), self.pre,
                              self.clamps, self.directions))

    @property
    def num_layers(self) -> int:
        return self.h.shape[0]

    @property
    def steps(self) -> int:
        return self.h.shape[1]

    @property
    def hidden_size(self) -> int:
        """Units per layer as shown: both directions of a bidirectional layer (see ``directions``)."""
        return self.h.shape[2]

    @property
    def units_per_direction(self) -> int:
        return self.h.shape[2] // self.directions

    def direction_of(self, unit: int) -> int:
        """0 for a forward unit, 1 for a unit of the reverse direction."""
        return int(unit) // self.units_per_direction


def _make_trace(cell, nonlinearity, x, h, c, gates, pre, clamps, directions=1) -> Trace:
    return Trace(cell, nonlinearity, read_only(x), read_only(h), read_only(c),
                 MappingProxyType({k: read_only(v) for k, v in gates.items()}), read_only(pre), clamps, directions)


def to_trace(spec: cells.Spec, runs: list[LayerStates], x: torch.Tensor, clamps=()) -> Trace:
    def stack(get):  # every layer's runs in input order, directions side by side (stack makes a new tensor)
        return frozen(torch.stack([layer_output(spec, runs, k, get) for k in range(spec.num_layers)]), copy=False)

    gates = {g: stack(lambda s, g=g: s.gates[g]) for g in GATE_ORDER[spec.cell]}
    return Trace(
        cell=spec.cell,
        nonlinearity=spec.nonlinearity,
        x=frozen(x),
        h=stack(lambda s: s.h),
        c=stack(lambda s: s.c) if spec.cell == "lstm" else None,
        gates=MappingProxyType(gates),
        pre=stack(lambda s: s.pre) if spec.cell == "rnn" else None,
        clamps=tuple(clamps),
        directions=spec.directions,
    )


def trace(module: nn.Module, inputs, clamps=()) -> Trace:
    """Run ``module`` (nn.RNN / nn.LSTM / nn.GRU, 1+ layers) on one sequence ``inputs`` [T, input_size].

    Equivalent to the step loops in ``lstm_viz.engine.cells``; with ``clamps`` the named gates are fixed to
    constants (see Clamp). The module is read, never modified. Raises ValueError on bad input.
    """
    spec, x, masks = prepare(module, inputs, clamps)
    weights = cells.layer_weights(module)
    return to_trace(spec, run_layers(spec, weights, x, masks), x, clamps)
