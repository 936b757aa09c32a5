"""The run plumbing under trace and gradient_flow: clamp masks, each layer's states as torch tensors
(the fused kernel's h with every gate rebuilt at once, or a step loop when gates are clamped), and read-only
NumPy copies of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lstm_viz.checks import as_inputs
from lstm_viz.engine import cells, onednn
from lstm_viz.notation import GATE_ORDER, gate_range


@dataclass(frozen=True)
class Clamp:
    """Fix one gate's activation to ``value`` for chosen units, steps and layers (None = all).

    Examples: Clamp("f", 1.0) is the 1997 LSTM without a forget gate; Clamp("f", 0.0, steps=(5,))
    erases the memory at step 5; Clamp("z", 1.0) freezes a GRU's state.
    """

    gate: str
    value: float
    units: tuple[int, ...] | None = None
    steps: tuple[int, ...] | None = None
    layers: tuple[int, ...] | None = None


def clamp_masks(spec: cells.Spec, clamps, T: int, dtype: torch.dtype) -> list[dict | None]:
    """Per run (layer k, direction d at k·D + d), gate name -> (mask [T, H] bool, values [T, H]) in the run's
    own order of time; None for a run without clamps. Units of a bidirectional layer are numbered as in its
    output: 0 .. H-1 the forward direction, H .. 2H-1 the reverse one."""
    H, L, D = spec.hidden_size, spec.num_layers, spec.directions
    out: list[dict] = [{} for _ in range(L)]
    for cl in clamps:
        if not isinstance(cl, Clamp):
            raise ValueError(f"expected a Clamp, got {type(cl).__name__}")
        if cl.gate not in GATE_ORDER[spec.cell]:
            names = ", ".join(GATE_ORDER[spec.cell]) or "none"
            raise ValueError(f"a {spec.cell.upper()} has no gate {cl.gate!r} (its gates: {names})")
        lo, hi = gate_range(spec.cell, cl.gate)
        if not (np.isfinite(cl.value) and lo <= cl.value <= hi):
            raise ValueError(f"gate {cl.gate} takes values in [{lo:g}, {hi:g}], got {cl.value}")

        def pick(idx, n, what):
            if idx is None:
                return list(range(n))
            idx = list(idx)
            bad = [i for i in idx if not (0 <= int(i) < n)]
            if bad:
                raise ValueError(f"{what} {bad[0]} is out of range 0..{n - 1}")
            return [int(i) for i in idx]

        units, steps, layers = pick(cl.units, D * H, "unit"), pick(cl.steps, T, "step"), pick(cl.layers, L, "layer")
        for k in layers:
            mask, vals = out[k].get(cl.gate, (torch.zeros(T, D * H, dtype=torch.bool),
                                              torch.zeros(T, D * H, dtype=dtype)))
            sel = torch.zeros(T, D * H, dtype=torch.bool)
            sel[np.ix_(steps, units)] = True
            out[k][cl.gate] = (mask | sel, torch.where(sel, torch.tensor(cl.value, dtype=dtype), vals))
    runs: list[dict | None] = []
    for k in range(L):
        for d in range(D):
            part = {g: (cells.own_time(m[:, d * H:(d + 1) * H], d), cells.own_time(v[:, d * H:(d + 1) * H], d))
                    for g, (m, v) in out[k].items()}
            runs.append({g: mv for g, mv in part.items() if bool(mv[0].any())} or None)
    return runs


def rows(clamp: dict | None, idx) -> dict | None:
    """The clamp restricted to some steps (an index or slice along time)."""
    if clamp is None:
        return None
    return {g: (m[idx], v[idx]) for g, (m, v) in clamp.items()}


@dataclass(frozen=True)
class LayerStates:
    """One layer's inputs and states as torch tensors (internal to the engine)."""

    x: torch.Tensor  # [T, in] the layer's input
    h: torch.Tensor  # [T, H]
    c: torch.Tensor | None  # [T, H] (LSTM)
    gates: dict[str, torch.Tensor]
    pre: torch.Tensor | None  # vanilla RNN pre-activation

    @property
    def h_prev(self) -> torch.Tensor:
        return shift(self.h)

    @property
    def c_prev(self) -> torch.Tensor | None:
        return None if self.c is None else shift(self.c)


def shift(s: torch.Tensor) -> torch.Tensor:
    """[s_0 .. s_{T-1}] -> [0, s_0 .. s_{T-2}]: the previous state at each step (h_0 = 0)."""
    return torch.cat([torch.zeros_like(s[:1]), s[:-1]])


def rebuild(spec: cells.Spec, w: cells.LayerWeights, x: torch.Tensor, h: torch.Tensor) -> LayerStates:
    """Given a layer's input and its hidden states from the fused kernel, rebuild all gates and c."""
    st = cells.gates(spec.cell, w, x, shift(h), spec.nonlinearity)
    c = None
    if spec.cell == "lstm":
        c = cells.linear_scan(st.gates["f"], st.gates["i"] * st.gates["g"])  # c_t = f ⊙ c_{t-1} + i ⊙ g
    return LayerStates(x, h, c, st.gates, st.pre)


def layer_output(spec: cells.Spec, runs: list, k: int, get=lambda s: s.h) -> torch.Tensor | None:
    """Layer k's ``get`` of its runs in the order of the input, the directions side by side: [T, D·H]."""
    D = spec.directions
    parts = [cells.own_time(get(runs[k * D + d]), d) for d in range(D)]
    if parts[0] is None:
        return None
    return parts[0] if D == 1 else torch.cat(parts, dim=1)


def run_layers(spec: cells.Spec, weights: list[cells.LayerWeights], x: torch.Tensor, masks=None) -> list[LayerStates]:
    """Every run's states (layer k, direction d at k·D + d, each in its own order of time), without autograd:
    fused kernel, or a step loop when gates are clamped. A layer above the first reads the layer below's
    directions side by side."""
    out = []
    inp = x
    with torch.no_grad():
        for k in range(spec.num_layers):
            for d in range(spec.directions):
                r = k * spec.directions + d
                w, own = weights[r], cells.own_time(inp, d)
                clamp = masks[r] if masks else None
                if clamp is None:
                    kl = onednn.forward(w, own) if onednn.usable(spec, own.dtype) else None
                    states = (rebuild(spec, w, own, cells.fused_layer(spec, w, own)) if kl is None
                              else LayerStates(own, kl.h, kl.c, kl.gates, None))
                else:
                    states = _loop_layer(spec, w, own, clamp)
                out.append(states)
            inp = layer_output(spec, out, k)
    return out


def _loop_layer(spec: cells.Spec, w: cells.LayerWeights, x: torch.Tensor, clamp: dict) -> LayerStates:
    T, H = x.shape[0], spec.hidden_size
    h = torch.zeros(1, H, dtype=x.dtype)
    c = torch.zeros(1, H, dtype=x.dtype) if spec.cell == "lstm" else None
    steps = []
    for t in range(T):
        st = cells.step(spec.cell, w, x[t:t + 1], h, c, spec.nonlinearity, rows(clamp, slice(t, t + 1)))
        h, c = st.h, st.c
        steps.append(st)
    cat = lambda key: torch.cat([getattr(s, key) for s in steps])  # noqa: E731
    gates = {g: torch.cat([s.gates[g] for s in steps]) for g in GATE_ORDER[spec.cell]}
    return LayerStates(x, cat("h"), cat("c") if spec.cell == "lstm" else None, gates,
                       cat("pre") if spec.cell == "rnn" else None)


def frozen(t: torch.Tensor | None, copy: bool = True) -> np.ndarray | None:
    """A read-only NumPy array of ``t``; ``copy=False`` only for a tensor made here and used nowhere else."""
    if t is None:
        return None
    a = t.detach().cpu().numpy()
    if copy:
        a = a.copy()
    a.flags.writeable = False
    return a


def read_only(a):
    """Mark a NumPy array read-only (None passes through)."""
    if isinstance(a, np.ndarray):
        a.flags.writeable = False
    return a


def prepare(module: nn.Module, inputs, clamps=()):
    """Checks shared by trace and gradient_flow: (spec, input tensor, per-layer clamp masks)."""
    spec = cells.spec_of(module)
    dtype = next(module.parameters()).dtype
    x = as_inputs(inputs, spec.input_size, dtype)
    masks = clamp_masks(spec, tuple(clamps), x.shape[0], dtype) if clamps else None
    return spec, x, masks
