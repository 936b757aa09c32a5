"""The page's work budget, in one place: what one rerun may compute for one student, what goes to the worker,
and the sentence that says so when a request is past it. One student's request must not hold up the class: a
request past a limit is refused before anything runs, and says how far this model can go. The counts themselves
are the engine's (lstm_viz.engine.work)."""

from __future__ import annotations

from typing import Callable

from torch import nn

from lstm_viz.checks import MAX_OUTPUTS
from lstm_viz.engine.work import GRADIENT_PASSES, clamped_work, jacobian_work, run_work, sized_work, stepwise_work
from lstm_viz.i18n import tr
from lstm_viz.notation import CELLS

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
HEAVY_WORK = RUN_BUDGET // 20  # multiply-adds (run_work × passes) from which a run goes to the worker: ~0.07 CPU-s
JACOBIAN_STEPS = 2000  # ‖∂h_T/∂h_t‖ is a sequential product of T Jacobians: drawn (and compared) up to this length


def passes(view: str) -> int:
    """Forward runs' worth of work (RUN_BUDGET) a view does on the typed sequence: its trace and its gradient flow
    (1 + 3); the intervention view also runs the clamped model and its gradients (+ 1 + 3)."""
    return 2 * (1 + GRADIENT_PASSES) if view == "intervene" else 1 + GRADIENT_PASSES


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


def jacobian_fits(module: nn.Module, T: int) -> bool:
    """Whether ‖∂h_T/∂h_t‖ of this model on T steps is drawn: at most JACOBIAN_STEPS steps, within JACOBIAN_BUDGET."""
    return T <= JACOBIAN_STEPS and jacobian_work(module, T) <= JACOBIAN_BUDGET


def run_refusal(module: nn.Module, head: nn.Module | None, T: int, runs: int, lang: str, what: str = "run_budget"):
    """The sentence refusing ``runs`` forward runs' worth of work on T steps of this model (``what``: its message
    key), or None when they fit."""
    most = steps_within_budget(module, runs, head)
    return tr(what, lang, T=T, n=most) if T > most else None


def truncation_refusal(module: nn.Module, T: int, k: int | None, lang: str):
    """Truncated BPTT at k steps back on T steps (a backward over all T per step back), or None when it fits."""
    if not k or stepwise_work(module, T, k) <= RUN_BUDGET:
        return None
    return tr("trunc_budget", lang, T=T, k=k, n=most_steps(lambda j: stepwise_work(module, T, j), k))


def clamp_refusal(module: nn.Module, T: int, lang: str):
    """A clamped run and its gradients on T steps, or None when it fits."""
    if clamped_work(module, T) <= RUN_BUDGET:
        return None
    return tr("clamp_budget", lang, T=T, n=most_steps(lambda t: clamped_work(module, t), T))


def jacobian_note(module: nn.Module, T: int, lang: str):
    """Why ‖∂h_T/∂h_t‖ is left out of a gradient chart within JACOBIAN_STEPS, or None when it is drawn."""
    return tr("jacobian_budget", lang, T=T, H=module.hidden_size) if T <= JACOBIAN_STEPS and \
        not jacobian_fits(module, T) else None


def comparison_note(module: nn.Module, T: int, lang: str):
    """Why the three cells are not compared on T steps (past JACOBIAN_STEPS, or their gradients beside the main
    model's past RUN_BUDGET; built like it, counted before they are built), or None when they are."""
    if T > JACOBIAN_STEPS:
        return tr("compare_limit", lang, n=JACOBIAN_STEPS)
    r = module
    per_step = GRADIENT_PASSES * (run_work(r, 1) + sum(
        sized_work(c, r.input_size, r.hidden_size, r.num_layers, 1, 1) for c in CELLS))
    return tr("compare_budget", lang, T=T, n=RUN_BUDGET // per_step) if T * per_step > RUN_BUDGET else None
