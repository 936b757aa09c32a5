"""An LSTM layer's gates, cell states and recurrent gradients, read from the kernel's own workspace.

On the CPU a float32 nn.LSTM runs each layer through oneDNN (``aten::mkldnn_rnn_layer`` and its backward).
In training mode the forward keeps every step's gate activations and cell state in a workspace tensor, for
its backward; the backward in turn leaves there, for every step t, W_hhᵀ δ_t (the part of ∂L/∂h_{t-1} that
comes through the recurrent weights) and f_t ⊙ ∂L/∂c_t (the part of ∂L/∂c_{t-1} that comes through the
cell line). Reading them gives the gates, c and both recurrent gradients as the kernel computed them, with
no sequential pass of our own: the whole GradientFlow then costs the bare forward and backward plus a few
elementwise passes.

The workspace layout is oneDNN's internal one, not a public interface. As observed in the build PyTorch
2.13 ships, one layer, one direction, batch 1, float32 (sizes in floats, each region starting on a 4 KiB page):

    gates            T × ld(4H)          row t: i, f, g, o activations of step t
    h copies         T × ld(H)
    layer states     2 × (T+1) × ld(max(in, H))
    cell states      2 × (T+1) × H       row (T+1) + t + 1: c_t for t < T-1 (c_{T-1} is the returned cy)
    ∂ layer states   2 × (T+1) × ld(max(in, H))
    ∂ h, recurrent   2 × (T+1) × ld(max(in, H))   row t: W_hhᵀ δ_t (row 0 is the returned ∂L/∂h_{-1})
    ∂ c, recurrent   2 × (T+1) × H       row t: f_t ⊙ ∂L/∂c_t (row 0 is the returned ∂L/∂c_{-1})

where ld(n) rounds n up to 16 floats and adds 16 more when the result is a multiple of 256. Every read is
checked against what the kernel returned: the workspace size; h_t = o_t ⊙ tanh(c_t) at the first two and the
last two steps (a wrong offset or row length shows there); the first rows of both gradient regions against
the returned ∂L/∂h_{-1} and ∂L/∂c_{-1}; f_t ⊙ ∂L/∂c_t at the first two and the last two steps.
Any mismatch returns None, and the callers fall back to the kernel-plus-rebuild path of trace.py and
gradients.py, which gives the same numbers more slowly. ``ENABLED = False`` forces that fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lstm_viz.engine import cells

ENABLED = True
PAGE = 1024  # floats in a 4 KiB page
LSTM_MODE = 2  # oneDNN's cell kind for the LSTM in aten::mkldnn_rnn_layer


def _ld(n: int) -> int:
    ld = -(-n // 16) * 16
    return ld + 16 if ld % 256 == 0 else ld


def _page(n: int) -> int:
    return -(-n // PAGE) * PAGE


@dataclass(frozen=True)
class Layout:
    gates_ld: int
    states_ld: int
    gates: int
    cell: int
    diff_h: int
    diff_c: int
    total: int


def layout(T: int, input_size: int, H: int) -> Layout:
    gl, hl, sl = _ld(4 * H), _ld(H), _ld(max(input_size, H))
    sizes = [T * gl, T * hl, 2 * (T + 1) * sl, 2 * (T + 1) * H, 2 * (T + 1) * sl, 2 * (T + 1) * sl, 2 * (T + 1) * H]
    starts, end = [], 0
    for s in sizes:
        end = _page(end)
        starts.append(end)
        end += s
    return Layout(gl, sl, starts[0], starts[3], starts[5], starts[6], _page(end))


def usable(spec: cells.Spec, dtype: torch.dtype) -> bool:
    return ENABLED and spec.cell == "lstm" and dtype == torch.float32 and torch.backends.mkldnn.is_available()


@dataclass
class KernelLayer:
    """One LSTM layer run by the oneDNN kernel in training mode: its states, and what its backward needs."""

    x: torch.Tensor  # [T, in]
    h: torch.Tensor  # [T, H]
    c: torch.Tensor  # [T, H]
    gates: dict[str, torch.Tensor]  # i, f, g, o: [T, H] each
    args: tuple  # the kernel's own inputs and outputs, for its backward
    workspace: torch.Tensor
    layout: Layout


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal up to float32 rounding of a few operations."""
    return float((a - b).abs_().amax()) <= 1e-5 * (1.0 + float(b.abs().amax()))


def _probe_rows(T: int) -> list[int]:
    """Steps at which reads are checked: the second and the second-to-last catch a wrong stride or extent."""
    return sorted({0, min(1, T - 1), max(T - 2, 0), T - 1})


def forward(w: cells.LayerWeights, x: torch.Tensor) -> KernelLayer | None:
    """Run one layer ([T, in] -> [T, H]); None if the workspace is not laid out as expected.

    The gates are views into the workspace (its backward leaves the gate and cell rows as they are)."""
    T, H = x.shape[0], w.hidden_size
    lay = layout(T, x.shape[1], H)
    zeros = x.new_zeros(1, H)
    b_ih = w.b_ih if w.b_ih is not None else x.new_zeros(4 * H)
    b_hh = w.b_hh if w.b_hh is not None else x.new_zeros(4 * H)
    params = tuple(p.detach() for p in (w.w_ih, w.w_hh, b_ih, b_hh))
    xi = x.detach().unsqueeze(1).contiguous()
    with torch.enable_grad():  # the kernel keeps its workspace only with grad mode on (no input needs grad)
        out, hy, cy, ws = torch.ops.aten.mkldnn_rnn_layer(xi, *params, zeros, zeros, False, [], LSTM_MODE, H, 1,
                                                          True, False, False, True)
    with torch.no_grad():
        if ws is None or ws.dtype != torch.uint8 or ws.numel() != 4 * lay.total:
            return None
        f = ws.view(torch.float32)
        rows = f[lay.gates:lay.gates + T * lay.gates_ld].view(T, lay.gates_ld)
        gates = dict(zip("ifgo", rows[:, :4 * H].view(T, 4, H).unbind(1)))
        c = torch.empty(T, H, dtype=x.dtype)
        first = lay.cell + (T + 2) * H
        c[:-1] = f[first:first + (T - 1) * H].view(T - 1, H)
        c[-1] = cy[0]
        h = out[:, 0]
        # h_t = o_t ⊙ tanh(c_t) checks the gate rows and the cell rows at once
        r = _probe_rows(T)
        if not _close(gates["o"][r] * torch.tanh(c[r]), h[r]):
            return None
    return KernelLayer(x.detach(), h, c, gates, (xi, *params, zeros, zeros, out, hy, cy), ws, lay)


@dataclass
class KernelGrads:
    dx: torch.Tensor  # [T, in] ∂L/∂x_t
    dh_norm: torch.Tensor  # [T] ‖∂L/∂h_t‖, all uses of h_t
    dc_norm: torch.Tensor  # [T] ‖∂L/∂c_t‖, all uses of c_t
    delta_norm: torch.Tensor  # [T] ‖δ_t‖ of the four gate pre-activations
    weight_grads: tuple  # ∂L/∂(W_ih, W_hh, b_ih, b_hh)


CHUNK = 1 << 18  # elements per block of steps in the elementwise pass (its arrays stay in cache)


def backward(k: KernelLayer, grad_out: torch.Tensor) -> KernelGrads | None:
    """The kernel's backward for ∂L/∂h_t = ``grad_out`` [T, H] from outside the layer (the loss or the layer
    above); None if the workspace is not laid out as expected."""
    T, H = k.h.shape
    lay = k.layout
    with torch.no_grad():
        go = grad_out.detach().unsqueeze(1).contiguous()
        xi, w_ih, w_hh, b_ih, b_hh, h0, c0, out, hy, cy = k.args
        dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0 = torch.ops.aten.mkldnn_rnn_layer_backward(
            xi, w_ih, w_hh, b_ih, b_hh, h0, c0, out, hy, cy, go, None, None, False, LSTM_MODE, H, 1, True, True,
            False, [], False, k.workspace)
        f = k.workspace.view(torch.float32)
        rec_h = f[lay.diff_h:lay.diff_h + T * lay.states_ld].view(T, lay.states_ld)[:, :H]  # W_hhᵀ δ_t
        rec_c = f[lay.diff_c:lay.diff_c + T * H].view(T, H)  # f_t ⊙ ∂L/∂c_t
        if not (torch.equal(rec_h[0], dh0[0]) and torch.equal(rec_c[0], dc0[0])):
            return None
        step = max(1, CHUNK // H)
        parts = [_block(k, go[:, 0], rec_h, rec_c, s, min(T, s + step)) for s in range(0, T, step)]
        dh_norm, dc_norm, delta_norm = (torch.cat([p[j] for p in parts]) for j in range(3))
        # f_t ⊙ ∂L/∂c_t from the gradients read must be what the kernel left there: first and last steps
        first, last = parts[0][3][:2], parts[-1][3][-2:]
        n = last.shape[0]
        if not (_close(k.gates["f"][:2] * first, rec_c[:2]) and _close(k.gates["f"][T - n:] * last, rec_c[T - n:])):
            return None
    return KernelGrads(dx[:, 0], dh_norm, dc_norm, delta_norm, (dw_ih, dw_hh, db_ih, db_hh))


def _block(k: KernelLayer, go, rec_h, rec_c, s: int, e: int):
    """Steps s .. e-1: ‖∂L/∂h_t‖, ‖∂L/∂c_t‖, ‖δ_t‖ and ∂L/∂c_t itself."""
    T = k.h.shape[0]
    m = min(e, T - 1) - s  # the last step has no later step to receive gradient from
    i, fg, g, o = (k.gates[n][s:e] for n in "ifgo")
    h = k.h[s:e]
    dh = go[s:e].clone()
    dh[:m] += rec_h[s + 1:s + 1 + m]
    # ∂L/∂c_t = ∂L/∂h_t ⊙ o_t ⊙ (1 - tanh²(c_t)) + f_{t+1} ⊙ ∂L/∂c_{t+1}, with o ⊙ (1 - tanh²(c)) = o - h²/o
    # (h = o ⊙ tanh(c); a division costs far less than a tanh; where o < 1e-30, h²/o underflows to 0)
    dc = torch.addcdiv(o, h * h, o.clamp_min(1e-30), value=-1).mul_(dh)
    dc[:m] += rec_c[s + 1:s + 1 + m]
    # ‖δ_t‖² for the pre-activations of i, f, g, o: Σ dc² ⊙ (k_i² + k_f² + k_g²) + ‖dh ⊙ k_o‖² (cells.lstm_slopes)
    c_prev = k.c[s - 1:e - 1] if s > 0 else torch.cat([k.c.new_zeros(1, k.c.shape[1]), k.c[:e - 1]])
    k_i, k_f, k_g, k_o = cells.lstm_slopes(i, fg, g, o, h, c_prev)
    a = k_i.mul_(k_i)
    a.addcmul_(k_f, k_f)
    a.addcmul_(k_g, k_g)
    through_o = torch.linalg.vector_norm(k_o.mul_(dh), dim=1)
    sq = torch.linalg.vecdot(dc * dc, a).addcmul_(through_o, through_o)
    return torch.linalg.vector_norm(dh, dim=1), torch.linalg.vector_norm(dc, dim=1), sq.sqrt_(), dc
