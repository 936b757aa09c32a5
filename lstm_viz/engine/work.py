"""Work counts: the multiply-adds of a run, a gradient, its step-by-step path and ‖∂h_T/∂h_t‖ for a module of
given sizes, read from its attributes without touching a weight. What a count may reach is the page's policy
(the page's budget module).
"""

from __future__ import annotations

from torch import nn

from lstm_viz.engine import cells
from lstm_viz.notation import GATE_BLOCKS

GRADIENT_PASSES = 3  # a gradient (a forward and a backward run) in forward runs' worth of work
STEPWISE_RATE = 16  # the step-by-step path's batched products against the budget's rate (stepwise_work)


def jacobian_work(module: nn.Module, T: int) -> int:
    """Multiply-adds of dhT_dht for ``module`` on T steps (the page bounds it: JACOBIAN_BUDGET)."""
    spec = cells.sizes_of(module)
    G = GATE_BLOCKS[spec.cell]
    return spec.directions * T * G * spec.hidden_size ** 3


def run_work(module: nn.Module, T: int) -> int:
    """Multiply-adds of one forward run of ``module`` on T steps (input and recurrent products of every gate,
    layer and direction); a backward costs about twice as much (the page bounds it: RUN_BUDGET)."""
    spec = cells.sizes_of(module)
    return sized_work(spec.cell, spec.input_size, spec.hidden_size, spec.num_layers, spec.directions, T)


def sized_work(cell: str, input_size: int, hidden_size: int, num_layers: int, directions: int, T: int) -> int:
    """run_work of a module of these sizes, counted before it is built."""
    G, H, D = GATE_BLOCKS[cell], hidden_size, directions
    return D * T * (G * H * (input_size + H) + (num_layers - 1) * G * H * (D * H + H))


def stepwise_work(module: nn.Module, T: int, hops: int) -> int:
    """Multiply-adds of gradient_flow on its step-by-step path (truncated BPTT, clamped gates), in the budget's
    units: a backward over all T steps at once for each of ``hops`` steps back. Those products are batched over T,
    and run about STEPWISE_RATE times faster per multiply-add than the budget's matrix-vector products (measured
    by benchmarks/bench_budget.py)."""
    return GRADIENT_PASSES * run_work(module, T) * max(1, min(hops, T)) // STEPWISE_RATE


def gradient_work(module: nn.Module, T: int, jacobian: bool) -> int:
    """Multiply-adds of gradient_flow on T steps: its runs (GRADIENT_PASSES) and, with ``jacobian``, the product
    of Jacobians behind dhT_dht (jacobian_work), which for a wide model can be the larger part."""
    return GRADIENT_PASSES * run_work(module, T) + (jacobian_work(module, T) if jacobian else 0)


def clamped_work(module: nn.Module, T: int) -> int:
    """Work of an intervention on T steps: the clamped run and its gradient, step by step over all T steps."""
    return run_work(module, T) + stepwise_work(module, T, T)
