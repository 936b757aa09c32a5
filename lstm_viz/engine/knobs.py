"""The gradient view's knobs on a model: ρ of the recurrent candidate block, the mean LSTM forget-gate bias,
and a changed copy with either set.
"""

from __future__ import annotations

import torch
from torch import nn

from lstm_viz.checks import check_module
from lstm_viz.engine.cells import copy_module, direction_suffixes, set_forget_bias


def candidate_block(cell: str) -> int:
    return {"rnn": 0, "lstm": 2, "gru": 2}[cell]


def spectral_radius(module: nn.Module) -> float:
    """ρ of the top layer's recurrent matrix of the candidate block (W_hh for the RNN, W_hg, W_hn; the larger of
    the two directions of a bidirectional layer): the number the spectral-radius knob sets."""
    cell = check_module(module)
    H, k = module.hidden_size, module.num_layers - 1
    b = candidate_block(cell)
    return max(float(torch.linalg.eigvals(getattr(module, f"weight_hh_l{k}{sfx}").detach()[b * H:(b + 1) * H]
                                          .double()).abs().max()) for sfx in direction_suffixes(module))


def mean_forget_bias(module: nn.Module) -> float | None:
    """Mean of b_if + b_hf over the units of every layer and direction (LSTM with biases), else None."""
    if check_module(module) != "lstm" or not module.bias:
        return None
    H = module.hidden_size
    with torch.no_grad():
        runs = [(k, sfx) for k in range(module.num_layers) for sfx in direction_suffixes(module)]
        return float(sum((getattr(module, f"bias_ih_l{k}{sfx}")[H:2 * H] + getattr(module, f"bias_hh_l{k}{sfx}")
                          [H:2 * H]).mean() for k, sfx in runs) / len(runs))


def with_knobs(module: nn.Module, radius: float | None = None, forget_bias: float | None = None) -> nn.Module:
    """A changed copy of ``module`` for the knobs (the original is never touched).

    ``radius``: every W_hh is scaled so that the spectral radius of its candidate block (W_hh itself for
    the RNN, W_hg for the LSTM, W_hn for the GRU) equals it. ``forget_bias``: LSTM b_if + b_hf.
    """
    cell = check_module(module)
    twin = copy_module(module)
    H = module.hidden_size
    block = candidate_block(cell)
    with torch.no_grad():
        for k in range(module.num_layers):
            for sfx in direction_suffixes(module):
                w = getattr(twin, f"weight_hh_l{k}{sfx}")
                if radius is not None:
                    rho = float(torch.linalg.eigvals(w[block * H:(block + 1) * H].double()).abs().max())
                    if rho > 0:
                        w.mul_(radius / rho)
    if forget_bias is not None and cell == "lstm":
        set_forget_bias(twin, forget_bias)
    return twin.eval()
