"""Work counts: the multiply-adds of a run, a gradient, its step-by-step path and ‖∂h_T/∂h_t‖ for a module of
given sizes, read from its attributes without touching a weight. What a count may reach is the page's policy
(lstm_viz.page.budget).
"""

from __future__ import annotations

from typing import Callable

from torch import nn

from lstm_viz.checks import MAX_OUTPUTS
from lstm_viz.engine import cells
from lstm_viz.notation import GATE_BLOCKS

# The page's work budget for ‖∂h_T/∂h_t‖, a sequential product of T step Jacobians, each [H, G·H] x [G·H, H]:
# T·G·H³ multiply-adds per direction (about 1.5 s of one core at the budget). Past it the page leaves that one
# curve out and says why; every other number is still computed.
JACOBIAN_BUDGET = 10_000_000_000


# The page's work budget for the recurrent runs of one rerun, in multiply-adds of their steps (run_work): a forward
# run counts once, a gradient (forward and backward) three times. About 2 s of one core at the budget (the steps
# of a batch of one are matrix-vector products, ~1.5·10⁹ multiply-adds/s); past it the page says so and how many
# steps this model can take, instead of holding a core for up to a minute. Every shipped model takes the longest
# sequence (MAX_STEPS) in every view.
RUN_BUDGET = 3_000_000_000


GRADIENT_PASSES = 3  # a gradient (a forward and a backward run) in forward runs' worth of work


STEPWISE_RATE = 16  # the step-by-step path's batched products against the budget's rate (stepwise_work)


def jacobian_work(module: nn.Module, T: int) -> int:
    """Multiply-adds of dhT_dht for ``module`` on T steps (see JACOBIAN_BUDGET)."""
    spec = cells.sizes_of(module)
    G = GATE_BLOCKS[spec.cell]
    return spec.directions * T * G * spec.hidden_size ** 3


def run_work(module: nn.Module, T: int) -> int:
    """Multiply-adds of one forward run of ``module`` on T steps (input and recurrent products of every gate,
    layer and direction); a backward costs about twice as much (see RUN_BUDGET)."""
    spec = cells.sizes_of(module)
    return sized_work(spec.cell, spec.input_size, spec.hidden_size, spec.num_layers, spec.directions, T)


def sized_work(cell: str, input_size: int, hidden_size: int, num_layers: int, directions: int, T: int) -> int:
    """run_work of a module of these sizes, counted before it is built."""
    G, H, D = GATE_BLOCKS[cell], hidden_size, directions
    return D * T * (G * H * (input_size + H) + (num_layers - 1) * G * H * (D * H + H))


def stepwise_work(module: nn.Module, T: int, hops: int) -> int:
    """Multiply-adds of gradient_flow on its step-by-step path (truncated BPTT, clamped gates), in RUN_BUDGET's
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


def most_steps(work_of: Callable[[int], int], T: int, budget: int = RUN_BUDGET) -> int:
    """The most steps t <= T with work_of(t) within ``budget`` (work_of grows with t)."""
    lo, hi = 0, T
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if work_of(mid) <= budget else (lo, mid - 1)
    return lo


def steps_within_budget(module: nn.Module, passes: int = 1, head: nn.Module | None = None) -> int:
    """The most steps of ``module`` that RUN_BUDGET holds for ``passes`` passes (1: a forward run; 3: a
    gradient), its readout ``head`` (a Linear, run at every step) included; and at most MAX_OUTPUTS // classes
    steps of the head's outputs, which are kept for every step."""
    per_step = run_work(module, 1) + (head.in_features * head.out_features if head is not None else 0)
    most = RUN_BUDGET // (passes * per_step)
    return most if head is None else min(most, MAX_OUTPUTS // head.out_features)
