"""GradientFlow: how the loss gradient travels back through time in a recurrent module.

Every quantity is defined as what autograd gives on the step-by-step graph of the cells.step loop
(the ``.grad`` of a retained h_t or c_t, summed over the uses of that state), and computed faster:

- no truncation, no clamps, a float32 LSTM on the CPU: the oneDNN kernel's forward and backward, whose
  workspace holds every gate, cell state and recurrent gradient (lstm_viz.engine.onednn).
- no truncation, no clamps, otherwise: the fused kernel's own backward. A zero "probe" input with identity input
  weights is appended to each layer; its gradient is δ_t = ∂L/∂(input-side pre-activation) at every
  step, from which ∂L/∂h_{t-1} = (recurrent part through step t) + (direct part through the output or
  the layer above) follows with one batched matrix product (and, for the GRU and the LSTM cell state,
  an elementwise reverse scan).
- truncated BPTT or clamped gates: vector-Jacobian products of one batched step over all T, passed
  back one step at a time for at most k steps (so the cost is k backward steps over the sequence).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Callable

import numpy as np
import torch
from torch import nn

from lstm_viz.engine import cells, onednn
from lstm_viz.engine.jacobians import jacobian_norms, jacobian_norms_unclamped
from lstm_viz.engine.run import LayerStates, frozen, layer_output, prepare, read_only, rebuild, run_layers, shift
from lstm_viz.engine.trace import trace
from lstm_viz.notation import GATE_BLOCKS

MAX_TRUNCATED_WORK = 4_000_000  # T · min(k, T) allowed on the step-by-step path (truncation, clamps)


LossFn = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class GradientFlow:
    """Gradient norms per step (read-only NumPy arrays). t indexes steps 0 .. T-1; L is the loss.

    - ``dL_dh`` [num_layers, T]: ‖∂L/∂h_t‖₂, the gradient autograd gives a retained h_t on the
      step-by-step graph (all its uses: the next step, the layer above, the loss).
    - ``dL_dc`` [num_layers, T]: the same for the LSTM cell state c_t; None for the RNN and GRU.
    - ``dL_dx`` [T]: ‖∂L/∂x_t‖₂, how much each input matters to the loss.
    - ``dhT_dht`` [T]: spectral norm of ∂h_{T-1}/∂h_t in the top layer, h_t perturbed through its uses at
      later steps (for the LSTM through both h and c); the last entry is 1. None if not computed.
    - ``cell_path`` [T] (LSTM, else None): mean over units of ∏_{s=t+1}^{T-1} f_s in the top layer, the
      cell-state path alone (the constant error carousel).
    - ``dL_dW_hh`` [num_layers, T]: Frobenius norm of step t's term in ∂L/∂W_hh, i.e. ‖δ_t‖·‖h_{t-1}‖
      with δ_t the gradient of the hidden-side pre-activation W_hh h_{t-1} + b_hh.
    - A norm that overflowed float32 (an exploding gradient) is ``inf``, never NaN; one that underflowed is 0.
    - ``loss``: the value of L; ``loss_name``: "probe" (sum of the top layer's final hidden state) or the
      name of the callable.
    - ``truncate``: k of truncated BPTT (each loss term at step s reaches steps s-k+1 .. s, in every
      layer), or None. A callable loss is split into terms by output step: term s is ⟨∂L/∂y_s, y_s⟩.
    - ``grad_norm``: global norm of the gradient of the recurrent module's parameters; with ``clip``,
      ``grad_norm_clipped`` is the norm after torch.nn.utils.clip_grad_norm_ at that threshold.
    - ``directions``: 2 for a bidirectional module. Then the rows of dL_dh, dL_dc and dL_dW_hh are runs in
      PyTorch's h_n order (row 2k is layer k forward, 2k+1 layer k reverse), all indexed by input step t;
      a reverse run's step t follows from h_{t+1} (its term in ∂L/∂W_hh is δ_t ⊗ h_{t+1}). dhT_dht and
      cell_path are [2, T]: row 0 the forward direction as above, row 1 the reverse one towards its last
      state h_0 (‖∂h_0/∂h_t‖₂ and ∏_{s=0}^{t-1} f_s). Truncation is refused.
    """

    cell: str
    loss: float
    loss_name: str
    dL_dh: np.ndarray
    dL_dc: np.ndarray | None
    dL_dx: np.ndarray
    dhT_dht: np.ndarray | None
    cell_path: np.ndarray | None
    dL_dW_hh: np.ndarray
    truncate: int | None
    grad_norm: float
    clip: float | None = None
    grad_norm_clipped: float | None = None
    clamps: tuple = ()
    directions: int = 1

    def __reduce__(self):  # read-only arrays again after unpickling (st.cache_data copies by pickle)
        return (_make_flow, tuple(getattr(self, f.name) for f in fields(self)))

    def top_series(self, name: str, direction: int = 0) -> np.ndarray | None:
        """``dhT_dht`` or ``cell_path`` [T] of one direction of the top layer (None where it was not computed)."""
        a = getattr(self, name)
        return a if a is None or self.directions == 1 else a[direction]


def _make_flow(*values) -> GradientFlow:
    return GradientFlow(*(read_only(v) for v in values))


def overflow_as_inf(a):
    """Norm arrays: NaN arises only from inf − inf or 0 · inf once a product overflowed, so it reads as inf."""
    if isinstance(a, np.ndarray) and a.dtype.kind == "f" and np.isnan(a).any():
        a = np.where(np.isnan(a), np.inf, a)
    return a


def probe_loss(y: torch.Tensor) -> torch.Tensor:
    """L = sum of the top layer's final hidden state."""
    return y[-1].sum()


def _loss_fn(loss) -> tuple[LossFn, str]:
    if loss is None or (isinstance(loss, str) and loss == "probe"):
        return probe_loss, "probe"
    if isinstance(loss, str):
        raise ValueError(f"unknown loss {loss!r}: use 'probe' or a callable on the output sequence")
    if not callable(loss):
        raise ValueError("loss must be 'probe' or a callable mapping the [T, hidden_size] outputs to a scalar")
    return loss, getattr(loss, "__name__", type(loss).__name__)


def _evaluate(fn: LossFn, y: torch.Tensor) -> torch.Tensor:
    L = fn(y)
    if not isinstance(L, torch.Tensor) or L.numel() != 1:
        raise ValueError("the loss callable must return a scalar tensor")
    L = L.reshape(())
    if not torch.isfinite(L):
        raise ValueError("the loss is NaN or inf")
    return L


def _output_gradient(fn: LossFn, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """L and ∂L/∂y for the top layer's outputs y [T, H]. The probe's gradient is known in closed form (ones
    at the last step, zeros elsewhere); any other loss goes through autograd."""
    y = y.detach()
    if fn is probe_loss:
        L = y[-1].sum()
        if not torch.isfinite(L):
            raise ValueError("the loss is NaN or inf")
        g = torch.zeros_like(y)
        g[-1] = 1.0
        return L, g
    y = y.requires_grad_()  # a leaf that needs grad: autograd refuses a loss that would write into it
    L = _evaluate(fn, y)
    (g,) = torch.autograd.grad(L, y)
    return L.detach(), g


def _row_norms(t: torch.Tensor) -> torch.Tensor:
    return torch.linalg.vector_norm(t, dim=-1)


def _check_truncate(truncate, T: int):
    if truncate is None:
        return None
    if isinstance(truncate, bool) or not isinstance(truncate, (int, np.integer)) or truncate < 1:
        raise ValueError(f"truncate must be a whole number of steps >= 1, got {truncate!r}")
    return int(truncate)


def _check_clip(clip):
    if clip is None:
        return None
    if not isinstance(clip, (int, float, np.floating, np.integer)) or not np.isfinite(clip) or clip <= 0:
        raise ValueError(f"clip must be a positive finite number, got {clip!r}")
    return float(clip)


TRUNCATE_BIDIRECTIONAL = ("truncated BPTT follows one direction of time; a bidirectional model's gradients are "
                          "shown in full (no truncation)")


def gradient_flow(module: nn.Module, inputs, loss="probe", truncate: int | None = None, clip: float | None = None,
                  jacobian: bool = True, clamps=()) -> GradientFlow:
    """Backpropagation through time on one sequence; see GradientFlow for what each field means.

    ``loss``: "probe" (L = Σ h_{T-1} of the top layer) or a callable on the top layer's outputs
    [T, D·hidden_size] returning a scalar (a classifier head, a many-to-one or a next-token loss).
    ``truncate=k``: truncated BPTT. ``clip=c``: also report the parameter-gradient norm after clipping.
    ``jacobian=False`` skips dhT_dht (a sequential product of T Jacobians). ``clamps``: see Clamp.
    The module is read, never modified. Raises ValueError on bad input.
    """
    return gradient_flows(module, inputs, loss, (truncate,), (clip,), jacobian, clamps)[truncate, clip]


def gradient_flows(module: nn.Module, inputs, loss="probe", truncates=(None,), clips=(None,), jacobian: bool = True,
                   clamps=()) -> dict[tuple, GradientFlow]:
    """gradient_flow at every pair of a truncation window in ``truncates`` and a clipping threshold in ``clips``,
    keyed (truncate, clip) as given, from one forward run and one step-by-step backward for all the windows: the
    state after k steps back is window k's, so a sweep of windows costs about as much as its largest. Each flow is
    the one gradient_flow returns for its pair, bit for bit (the same operations in the same order)."""
    spec, x, masks = prepare(module, inputs, clamps)
    D, T = spec.directions, x.shape[0]
    windows = {t: _check_truncate(t, T) for t in truncates}
    if D == 2 and any(w is not None for w in windows.values()):
        raise ValueError(TRUNCATE_BIDIRECTIONAL)
    checked = {c: _check_clip(c) for c in clips}
    fn, loss_name = _loss_fn(loss)
    weights = cells.layer_weights(module, requires_grad=True)
    found = _backward(spec, weights, x, fn, set(windows.values()), masks, set(checked.values()))
    top = range(spec.num_layers * D - D, spec.num_layers * D)  # the top layer's runs
    shared = {}  # per forward run (one for every window on the step-by-step path): what does not follow the window

    def of_runs(runs):
        if id(runs) not in shared:
            with torch.no_grad():
                path = _cell_path(runs, top, D) if spec.cell == "lstm" else None
                h_norms = [shift(_row_norms(s.h)) for s in runs]
            jac = None
            if jacobian:
                jac = _per_direction([jacobian_norms(spec, weights[r], runs[r], masks[r]) if masks and masks[r]
                                      else jacobian_norms_unclamped(spec, weights[r], runs[r]) for r in top], D)
            shared[id(runs)] = path, h_norms, jac
        return shared[id(runs)]

    def per_run(ts):  # per run [T] in its own time -> [runs, T] in input order
        return None if ts is None else _norms(torch.stack([cells.own_time(t, r % D) for r, t in enumerate(ts)]))

    out = {}
    for t, window in windows.items():
        runs, grads, norms = found[window]
        # per run, in its own order of time: ‖∂L/∂h_t‖, ‖∂L/∂c_t‖, ‖δ_t‖ [T]; dx [T, in] in input order
        L_value, dh, dc, dx, delta_norm = grads
        cell_path, h_norms, jac = of_runs(runs)
        with torch.no_grad():  # ‖δ_t ⊗ h_{t-1}‖_F = ‖δ_t‖ ‖h_{t-1}‖, with ‖δ_t‖² summed over the gate blocks
            dW = [delta_norm[r] * h_norms[r] for r in range(len(runs))]
        for c, clip in checked.items():
            gnorm, clipped = norms[clip]
            out[t, c] = GradientFlow(
                cell=spec.cell, loss=float(L_value), loss_name=loss_name,
                dL_dh=per_run(dh), dL_dc=per_run(dc), dL_dx=_norms(_row_norms(dx)),
                dhT_dht=jac, cell_path=cell_path, dL_dW_hh=per_run(dW),
                truncate=window, grad_norm=float(overflow_as_inf(np.array(gnorm))), clip=clip,
                grad_norm_clipped=None if clipped is None else float(overflow_as_inf(np.array(clipped))),
                clamps=tuple(clamps), directions=D,
            )
    return out


def _backward(spec: cells.Spec, weights, x: torch.Tensor, fn: LossFn, windows: set, masks, clips: set) -> dict:
    """Per truncation window in ``windows`` (None: the whole sequence): (every run's states, the backward's
    results, the parameter-gradient norm with and without clipping at each of ``clips``), on the fastest path that
    computes them: the oneDNN kernel's or the fused kernel's own backward, or step by step for truncated BPTT and
    clamped gates (bounded first), one pass for every window."""
    T, D = x.shape[0], spec.directions
    out = {}
    if None in windows and masks is None:
        found = (_kernel_backward(spec, weights, x, fn) if onednn.usable(spec, x.dtype) else None) or \
            _fused_backward(spec, weights, x, fn)
        out[None] = (*found, {c: _parameter_gradient_norms(weights, c) for c in clips})
    stepwise = {w for w in windows if w is not None or masks is not None}
    if not stepwise:
        return out
    # a path of a bidirectional model can go back in time in one layer and forward in the one below:
    # up to num_layers·(T-1) recurrent steps in all
    hops = {w: min(w or T, T) if D == 1 else spec.num_layers * (T - 1) + 1 for w in stepwise}
    most = max(hops.values())
    if T * most > MAX_TRUNCATED_WORK:
        window = max(stepwise, key=lambda w: hops[w])
        if window is None and D == 1:  # clamps only: every step is passed back over the whole sequence
            raise ValueError(f"clamped gates run step by step, each step back over the whole sequence: "
                             f"clamp a sequence of at most {math.isqrt(MAX_TRUNCATED_WORK):,} "
                             f"steps (this one has {T:,})")
        raise ValueError(f"truncated BPTT and clamped gates run step by step: T·min(k, T) must stay under "
                         f"{MAX_TRUNCATED_WORK:,} (T={T}, k={window or T}"
                         + (f", {spec.num_layers} bidirectional layers" if D == 2 else "") + ")")
    runs = run_layers(spec, weights, x, masks)  # no autograd inside: the same copies serve
    after = _stepwise_backward(spec, weights, runs, fn, masks, set(hops.values()), clips)
    for w in stepwise:
        out[w] = (runs, *after[hops[w]])
    return out


def _parameter_gradient_norms(weights, clip: float | None) -> tuple[float, float | None]:
    """‖∂L/∂θ‖ over every recurrent parameter, and after clipping it at ``clip`` (on copies) when asked."""
    params = [p for w in weights for p in (w.w_ih, w.w_hh, w.b_ih, w.b_hh) if p is not None]
    gnorm = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params])))
    if clip is None:
        return gnorm, None
    copies = [p.detach().clone().requires_grad_() for p in params]
    for c_, p in zip(copies, params):
        c_.grad = p.grad.detach().clone()
    nn.utils.clip_grad_norm_(copies, clip)
    return gnorm, float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(c_.grad) for c_ in copies])))


def _cell_path(runs, top, D: int) -> np.ndarray:
    """The LSTM's cell path, the mean over units of ∏_{s=t+1}^{T-1} f_s, per direction of the top layer, in the
    run's own time: a cumulative product from the end (along a contiguous axis: [H, T-1]); the last step's product
    is empty."""
    paths = []
    for r in top:
        f_back = runs[r].gates["f"][1:].t().flip(1).to(torch.float64, memory_format=torch.contiguous_format)
        back = torch.cumprod(f_back, dim=1).mean(dim=0).flip(0)
        paths.append(torch.cat([back, back.new_ones(1)]).numpy())
    return _per_direction(paths, D)


def _norms(t: torch.Tensor) -> np.ndarray:
    """A read-only NumPy copy of norms, an overflowed one as inf."""
    return read_only(overflow_as_inf(frozen(t)))


def _per_direction(per_run: list[np.ndarray], D: int) -> np.ndarray:
    """The top layer's per-direction series (each in its run's own time) in input order: [T] for one direction,
    [2, T] for two."""
    return read_only(per_run[0] if D == 1 else np.stack([per_run[0], per_run[1][::-1]]))


def _fused_backward(spec: cells.Spec, weights, x: torch.Tensor, fn: LossFn):
    """Forward and backward through the fused kernel with a zero probe input on every run.

    LSTM: the probe has H columns with input weights W_hh, so its gradient at step t is W_hh^T δ_t,
    the recurrent part of ∂L/∂h_{t-1}. GRU and RNN: the probe has G·H columns with identity weights, so
    its gradient is δ_t itself (the GRU needs it: its reset gate acts between W_hn h_{t-1} and δ).
    A reverse run is the same computation on its input in reverse order; its results stay in that order.
    """
    T, H, D = x.shape[0], spec.hidden_size, spec.directions
    G = GATE_BLOCKS[spec.cell]
    x = x.clone().requires_grad_()
    eye = torch.eye(G * H, dtype=x.dtype)
    inp, outs, probes, ins = x, [], [], []
    for k in range(spec.num_layers):
        for d in range(D):
            w = weights[k * D + d]
            probe_w = w.w_hh.detach() if spec.cell == "lstm" else eye
            probe = torch.zeros(T, probe_w.shape[1], dtype=x.dtype, requires_grad=True)
            own = cells.own_time(inp, d)
            out = cells.fused_layer(spec, w, own, probe, probe_w)
            out.retain_grad()
            outs.append(out)
            probes.append(probe)
            ins.append(own)
        inp = layer_output(spec, outs, k, get=lambda o: o)
    L = _evaluate(fn, inp)
    L.backward()

    runs, dh, dc, delta_norm = [], [], [], []
    with torch.no_grad():
        for r, w in enumerate(weights):
            s = rebuild(spec, w, ins[r].detach(), outs[r].detach())
            runs.append(s)
            direct = outs[r].grad  # ∂L/∂h_t through the loss or the layer above
            gt = s.gates
            if spec.cell == "lstm":
                d_h = direct + _shift_back(probes[r].grad)  # + W_hh^T δ_{t+1}, from the kernel's backward
                # ∂L/∂c_t = ∂L/∂h_t ⊙ o_t ⊙ tanh'(c_t) + f_{t+1} ⊙ ∂L/∂c_{t+1}: an elementwise reverse scan
                through_h = d_h * cells.dh_dc(gt["o"], s.c)
                d_c = cells.linear_scan(_shift_back(gt["f"]), through_h, reverse=True)
                dc.append(_row_norms(d_c))
                # backprop through the gate nonlinearities to the pre-activations (order i, f, g, o)
                k_i, k_f, k_g, k_o = cells.lstm_slopes(gt["i"], gt["f"], gt["g"], gt["o"], s.h, s.c_prev)
                d_hh = [d_c * k_i, d_c * k_f, d_c * k_g, d_h * k_o]
            elif spec.cell == "gru":
                d_r, d_z, d_n = probes[r].grad.chunk(3, dim=-1)  # δ per step, from the kernel's backward
                d_hh = [d_r, d_z, gt["r"] * d_n]  # h_n enters as r ⊙ (W_hn h + b_hn)
                # ∂L/∂h_t = direct + W_hh^T δ_{t+1} + z_{t+1} ⊙ ∂L/∂h_{t+1}: an elementwise reverse scan
                through_w = torch.cat(d_hh, dim=-1) @ w.w_hh
                d_h = cells.linear_scan(_shift_back(gt["z"]), direct + _shift_back(through_w), reverse=True)
            else:
                d_hh = [probes[r].grad]
                d_h = direct + _shift_back(d_hh[0] @ w.w_hh)  # backprop through W_hh h_{t-1}
            dh.append(_row_norms(d_h))
            delta_norm.append(_block_norm(d_hh))
    return runs, (L.detach(), dh, dc if spec.cell == "lstm" else None, x.grad, delta_norm)


def _block_norm(blocks) -> torch.Tensor:
    """‖δ_t‖ per step, with δ_t given as its gate blocks [T, H] each."""
    return torch.sqrt(sum(_row_norms(d) ** 2 for d in blocks))


def _kernel_backward(spec: cells.Spec, weights, x: torch.Tensor, fn: LossFn):
    """A float32 LSTM: the oneDNN kernel's forward and backward, with gates, cell states and recurrent
    gradients read from its workspace (see lstm_viz.engine.onednn). None if the workspace cannot be read, and then
    nothing of it is left behind: the parameter gradients are stored only once every run's read has passed."""
    D, H = spec.directions, spec.hidden_size
    ks = []
    inp = x
    for k in range(spec.num_layers):
        for d in range(D):
            kl = onednn.forward(weights[k * D + d], cells.own_time(inp, d))
            if kl is None:
                return None
            ks.append(kl)
        inp = layer_output(spec, ks, k)
    L, g = _output_gradient(fn, inp)  # ∂L/∂(top layer's output), in input order
    dh, dc, delta_norm, grads = ([None] * len(ks) for _ in range(4))
    for k in reversed(range(spec.num_layers)):
        below = 0
        for d in range(D):
            r = k * D + d
            kg = onednn.backward(ks[r], cells.own_time(g[:, d * H:(d + 1) * H], d))
            if kg is None:
                return None  # no parameter gradient has been stored yet: the fallback starts clean
            grads[r] = kg.weight_grads
            dh[r], dc[r], delta_norm[r] = kg.dh_norm, kg.dc_norm, kg.delta_norm
            below = below + cells.own_time(kg.dx, d)
        g = below
    for w, kgrads in zip(weights, grads):
        for p, grad in zip((w.w_ih, w.w_hh, w.b_ih, w.b_hh), kgrads):
            if p is not None:
                p.grad = grad
    runs = [LayerStates(kl.x, kl.h, kl.c, kl.gates, None) for kl in ks]
    return runs, (L.detach(), dh, dc, g, delta_norm)


def _shift_back(s: torch.Tensor) -> torch.Tensor:
    """[s_0 .. s_{T-1}] -> [s_1 .. s_{T-1}, 0]: the value at the next step (0 after the last)."""
    return torch.cat([s[1:], torch.zeros_like(s[:1])])


def _step_graphs(spec: cells.Spec, weights, runs: list[LayerStates], masks) -> list[tuple]:
    """Per run, one batched step over all T from detached copies of its inputs and previous states, kept for the
    vector-Jacobian products: (x, h_{t-1}, c_{t-1} or None, the step)."""
    graphs = []
    for r, (w, s) in enumerate(zip(weights, runs)):
        xl = s.x.detach().clone().requires_grad_()
        hp = s.h_prev.detach().clone().requires_grad_()
        cp = s.c_prev.detach().clone().requires_grad_() if s.c is not None else None
        st = cells.step(spec.cell, w, xl, hp, cp, spec.nonlinearity, masks[r] if masks else None)
        graphs.append((xl, hp, cp, st))
    return graphs


def _step_vjp(graph: tuple, gh: torch.Tensor, gc: torch.Tensor | None):
    """(∂/∂x, ∂/∂h_{t-1}, ∂/∂c_{t-1} or None) of a message (gh, gc) on (h_t, c_t), through one step's graph."""
    xl, hp, cp, st = graph
    outs = (st.h,) if cp is None else (st.h, st.c)
    grads_out = (gh,) if cp is None else (gh, gc)
    ins = (xl, hp) if cp is None else (xl, hp, cp)
    res = torch.autograd.grad(outs, ins, grads_out, retain_graph=True, allow_unused=True)
    res = [torch.zeros_like(t) if r_ is None else r_ for r_, t in zip(res, ins)]
    return res[0], res[1], (res[2] if cp is not None else None)


def _weight_gradients(weights, graphs: list[tuple], tot_h: list, tot_c: list) -> list[torch.Tensor]:
    """One more product with each run's summed messages: ‖δ_t‖ of W_hh h_{t-1} + b_hh per step, and the weights'
    gradients (written to their .grad)."""
    delta_norm = []
    for r, w in enumerate(weights):
        xl, hp, cp, st = graphs[r]
        outs = (st.h,) if cp is None else (st.h, st.c)
        grads_out = (tot_h[r],) if cp is None else (tot_h[r], tot_c[r])
        params = [p for p in (w.w_ih, w.w_hh, w.b_ih, w.b_hh) if p is not None]
        G = len(st.hh)
        res = torch.autograd.grad(outs, list(st.hh) + params, grads_out, retain_graph=True, allow_unused=True)
        delta_norm.append(_block_norm([torch.zeros_like(b) if r_ is None else r_ for r_, b in zip(res[:G], st.hh)]))
        for p, r_ in zip(params, res[G:]):
            p.grad = torch.zeros_like(p) if r_ is None else r_
    return delta_norm


def _stepwise_backward(spec: cells.Spec, weights, runs: list[LayerStates], fn: LossFn, masks, keep: set,
                       clips: set) -> dict:
    """Truncated BPTT by vector-Jacobian products of one batched step, at most ``hops`` steps back per loss term
    (that many recurrent steps in all, backwards in a forward run and forwards in a reverse one).

    A message is a gradient with respect to (h_t, c_t) that left its loss term j steps ago. At each j,
    every message moves one step back (to t-1, within the run's own time) and every layer's messages also
    move down to the layer below at the same step (into both directions of a bidirectional layer); only
    messages with j <= hops-1 are kept.

    ``keep``: the numbers of steps back (hops) whose results are returned, {hops: (the backward's results, the
    parameter-gradient norms at each of ``clips``)}: the results after k steps back are truncated BPTT's at k.
    """
    L_top, D, H = spec.num_layers, spec.directions, spec.hidden_size
    L, g = _output_gradient(fn, layer_output(spec, runs, L_top - 1))  # ∂L/∂y_s: the loss term of each step

    graphs = _step_graphs(spec, weights, runs, masks)

    def part(t, d):  # direction d's columns of a layer's [T, D·H] gradient, in that run's own time
        return cells.own_time(t[:, d * H:(d + 1) * H], d)

    tot_h = [torch.zeros_like(s.h) for s in runs]
    tot_c = [torch.zeros_like(s.h) if s.c is not None else None for s in runs]
    dx = torch.zeros_like(runs[0].x)
    back_h = [None] * len(runs)
    back_c = [None] * len(runs)
    out = {}
    for j in range(max(keep)):
        down = None  # ∂/∂(input of the layer above) in input order: what moves down this step
        for i in reversed(range(L_top)):
            below = 0
            for d in range(D):
                r = i * D + d
                gh = torch.zeros_like(runs[r].h)
                if i == L_top - 1 and j == 0:
                    gh = gh + part(g, d)
                if down is not None:
                    gh = gh + part(down, d)
                if back_h[r] is not None:
                    gh = gh + _shift_back(back_h[r])
                gc = None
                if spec.cell == "lstm":
                    gc = _shift_back(back_c[r]) if back_c[r] is not None else torch.zeros_like(gh)
                    tot_c[r] += gc
                tot_h[r] += gh
                d_x, back_h[r], back_c[r] = _step_vjp(graphs[r], gh, gc)
                below = below + cells.own_time(d_x, d)
            if i == 0:
                dx += below
            down = below

        if j + 1 in keep:
            out[j + 1] = _stepwise_results(spec, weights, runs, graphs, L, tot_h, tot_c, dx, clips)
    return out


def _stepwise_results(spec: cells.Spec, weights, runs, graphs, L, tot_h, tot_c, dx, clips: set):
    """The step-by-step backward's results from its running totals so far (copied: the totals go on growing),
    and the parameter-gradient norms, read before the next window's gradients replace these."""
    delta_norm = _weight_gradients(weights, graphs, tot_h, tot_c)
    dc = None
    if spec.cell == "lstm":  # ∂L/∂c_t = (uses through c_{t+1}) + ∂L/∂h_t ⊙ o_t ⊙ tanh'(c_t)
        dc = [_row_norms(tot_c[r] + tot_h[r] * cells.dh_dc(s.gates["o"], s.c)) for r, s in enumerate(runs)]
    grads = (L.detach(), [_row_norms(t) for t in tot_h], dc, dx.clone(), delta_norm)
    return grads, {c: _parameter_gradient_norms(weights, c) for c in clips}


def intervene(module: nn.Module, inputs, clamps, loss="probe", truncate=None, clip=None, jacobian=True):
    """Re-run with clamped gates: returns (Trace, GradientFlow) to compare with the unclamped ones."""
    if not clamps:
        raise ValueError("give at least one Clamp")
    return (trace(module, inputs, clamps=clamps),
            gradient_flow(module, inputs, loss=loss, truncate=truncate, clip=clip, jacobian=jacobian, clamps=clamps))
