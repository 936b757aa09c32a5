"""The gradient view's knobs on a model: ρ of the recurrent candidate block, the mean LSTM forget-gate bias,
and a changed copy with either set.
"""

from __future__ import annotations

import torch
from torch import nn

from lstm_viz.checks import check_module
from lstm_viz.engine.cells import copy_module, direction_suffixes, forget_biases, gate_rows, set_forget_bias
from lstm_viz.notation import GATE_ORDER, GATES


def candidate_rows(cell: str, H: int) -> slice:
    """The rows of the candidate block (the tanh one: LSTM g, GRU n; the RNN's one block) in W_hh."""
    tanh = [g for g in GATE_ORDER[cell] if GATES[cell][g].activation == "tanh"]
    return gate_rows(cell, tanh[0], H) if tanh else slice(0, H)


def spectral_radius(module: nn.Module) -> float:
    """ρ of the top layer's recurrent matrix of the candidate block (W_hh for the RNN, W_hg, W_hn; the larger of
    the two directions of a bidirectional layer): the number the spectral-radius knob sets."""
    cell = check_module(module)
    top, rows = module.num_layers - 1, candidate_rows(cell, module.hidden_size)
    return max(float(torch.linalg.eigvals(getattr(module, f"weight_hh_l{top}{sfx}").detach()[rows]
                                          .double()).abs().max()) for sfx in direction_suffixes(module))


def mean_forget_bias(module: nn.Module) -> float | None:
    """Mean of b_if + b_hf over the units of every layer and direction (LSTM with biases), else None."""
    if check_module(module) != "lstm" or not module.bias:
        return None
    with torch.no_grad():
        pairs = forget_biases(module)
        return float(sum((b_if + b_hf).mean() for b_if, b_hf in pairs) / len(pairs))


def with_knobs(module: nn.Module, radius: float | None = None, forget_bias: float | None = None) -> nn.Module:
    """A changed copy of ``module`` for the knobs (the original is never touched).

    ``radius``: every W_hh is scaled so that the spectral radius of its candidate block (W_hh itself for
    the RNN, W_hg for the LSTM, W_hn for the GRU) equals it. ``forget_bias``: LSTM b_if + b_hf.
    """
    cell = check_module(module)
    twin = copy_module(module)
    rows = candidate_rows(cell, module.hidden_size)
    with torch.no_grad():
        for k in range(module.num_layers):
            for sfx in direction_suffixes(module):
                w = getattr(twin, f"weight_hh_l{k}{sfx}")
                if radius is not None:
                    rho = float(torch.linalg.eigvals(w[rows].double()).abs().max())
                    if rho > 0:
                        w.mul_(radius / rho)
    if forget_bias is not None and cell == "lstm":
        set_forget_bias(twin, forget_bias)
    return twin.eval()
