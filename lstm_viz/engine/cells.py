"""The three recurrent cells, one batched step each, on PyTorch's own weight layout.

A step maps (x_t, h_{t-1}, c_{t-1}) to the gates and the new state. It is batched over its first
dimension, so the same function serves one step, all T steps at once (given the shifted states
h_{t-1}), or H copies of one step (for Jacobians). Reference loops these steps are equivalent to::

    # LSTM (gate order i, f, g, o)
    for t in range(T):
        gates = W_ih @ x[t] + b_ih + W_hh @ h + b_hh                    # (4H,)
        i, f, g, o = sigmoid(gates[:H]), sigmoid(gates[H:2H]), tanh(gates[2H:3H]), sigmoid(gates[3H:])
        c = f * c + i * g
        h = o * tanh(c)

    # GRU (gate order r, z, n; PyTorch's convention, z near 1 keeps the past)
    for t in range(T):
        gi, gh = W_ih @ x[t] + b_ih, W_hh @ h + b_hh                   # (3H,) each
        r, z = sigmoid(gi[:H] + gh[:H]), sigmoid(gi[H:2H] + gh[H:2H])
        n = tanh(gi[2H:] + r * gh[2H:])
        h = (1 - z) * n + z * h

    # vanilla RNN
    for t in range(T):
        h = tanh(W_ih @ x[t] + b_ih + W_hh @ h + b_hh)                 # or relu
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lstm_viz.checks import MODULE_OF, PROJECTED, cell_of, check_module
from lstm_viz.notation import DIRECTION_SUFFIXES, GATE_BLOCKS, GATE_ORDER


@dataclass(frozen=True)
class LayerWeights:
    """One layer's tensors: w_ih [G*H, in], w_hh [G*H, H], b_ih / b_hh [G*H] or None (G gate blocks)."""

    w_ih: torch.Tensor
    w_hh: torch.Tensor
    b_ih: torch.Tensor | None
    b_hh: torch.Tensor | None

    @property
    def hidden_size(self) -> int:
        return self.w_hh.shape[1]

    @property
    def input_size(self) -> int:
        return self.w_ih.shape[1]


@dataclass(frozen=True)
class Spec:
    """What the engine needs to know about a module besides its weights."""

    cell: str  # "rnn" | "lstm" | "gru"
    nonlinearity: str | None  # "tanh" | "relu" for the vanilla RNN, else None
    input_size: int
    hidden_size: int
    num_layers: int
    bias: bool
    directions: int = 1  # 2 for a bidirectional module

    @property
    def runs(self) -> int:
        """One run per layer and direction, in PyTorch's h_n order: run k·D + d is layer k, direction d."""
        return self.num_layers * self.directions


def spec_of(module: nn.Module) -> Spec:
    """The module's Spec after check_module: every parameter a finite floating-point number."""
    check_module(module)
    return sizes_of(module)


def sizes_of(module: nn.Module) -> Spec:
    """The module's Spec from its attributes alone, without reading a weight: what a count of work needs (a
    finiteness check reads every parameter, which at the parameter cap costs tens of milliseconds)."""
    cell = cell_of(module)
    if getattr(module, "proj_size", 0):
        raise ValueError(PROJECTED)
    return Spec(
        cell=cell,
        nonlinearity=module.nonlinearity if cell == "rnn" else None,
        input_size=module.input_size,
        hidden_size=module.hidden_size,
        num_layers=module.num_layers,
        bias=module.bias,
        directions=2 if module.bidirectional else 1,
    )


def layer_weights(module: nn.Module, dtype: torch.dtype | None = None,
                  requires_grad: bool = False) -> list[LayerWeights]:
    """Detached copies of each run's weights (layer k, direction d at k·D + d; the reverse direction's are the
    ``_reverse`` parameters): the module itself is never touched."""

    def copy(name: str) -> torch.Tensor | None:
        p = getattr(module, name, None)
        if p is None:
            return None
        t = p.detach().clone()
        return (t if dtype is None else t.to(dtype)).requires_grad_(requires_grad)

    return [LayerWeights(*(copy(f"{n}_l{k}{sfx}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
            for k in range(module.num_layers) for sfx in direction_suffixes(module)]


def direction_suffixes(module: nn.Module) -> tuple[str, ...]:
    """Parameter name endings of each direction of ``module`` (a bidirectional layer's reverse one: _reverse)."""
    return DIRECTION_SUFFIXES if module.bidirectional else DIRECTION_SUFFIXES[:1]


def gate_rows(cell: str, gate: str, H: int) -> slice:
    """The rows of ``gate`` in a stacked weight or bias of ``cell`` (PyTorch's chunk order, notation.GATE_ORDER)."""
    b = GATE_ORDER[cell].index(gate)
    return slice(b * H, (b + 1) * H)


def forget_biases(module: nn.LSTM):
    """(b_if, b_hf) of every layer and direction of an LSTM with biases, as views of its parameters."""
    rows = gate_rows("lstm", "f", module.hidden_size)
    return [(getattr(module, f"bias_ih_l{k}{sfx}")[rows], getattr(module, f"bias_hh_l{k}{sfx}")[rows])
            for k in range(module.num_layers) for sfx in direction_suffixes(module)]


def set_forget_bias(module: nn.LSTM, value: float) -> None:
    """LSTM b_if = value and b_hf = 0 in every layer and direction, in place (a module without biases is left)."""
    if not module.bias:
        return
    with torch.no_grad():
        for b_if, b_hf in forget_biases(module):
            b_if[:] = value
            b_hf[:] = 0.0


def _rows(t: torch.Tensor | None, k: int, H: int) -> torch.Tensor | None:
    """Block k (rows k*H .. (k+1)*H) of a stacked weight or bias: one gate's part."""
    return None if t is None else t[k * H:(k + 1) * H]


def _hidden_side(w: "LayerWeights", h_prev: torch.Tensor, k: int) -> torch.Tensor:
    """W_hh h_{t-1} + b_hh for gate block k: [B, H]."""
    H = w.hidden_size
    W, b = _rows(w.w_hh, k, H), _rows(w.b_hh, k, H)
    return h_prev @ W.T if b is None else torch.addmm(b, h_prev, W.T)


def _input_side(w: "LayerWeights", x: torch.Tensor, k: int, onto: torch.Tensor | None = None) -> torch.Tensor:
    """W_ih x_t + b_ih for gate block k, added onto ``onto`` if given (one GEMM, no extra pass)."""
    H = w.hidden_size
    W, b = _rows(w.w_ih, k, H), _rows(w.b_ih, k, H)
    y = x @ W.T if onto is None else torch.addmm(onto, x, W.T)
    return y if b is None else y.add_(b)


@dataclass
class Step:
    """Result of one batched step; every tensor is [B, H]."""

    gates: dict[str, torch.Tensor]
    hh: tuple[torch.Tensor, ...]  # per gate block, W_hh h_{t-1} + b_hh: its gradient gives ∂L/∂W_hh per step
    h: torch.Tensor | None
    c: torch.Tensor | None = None
    pre: torch.Tensor | None = None  # vanilla RNN pre-activation


def _clamped(name: str, value: torch.Tensor, clamp: dict | None) -> torch.Tensor:
    """Replace a gate's activation by a constant where the clamp mask is set (no gradient through it)."""
    if clamp is None or name not in clamp:
        return value
    mask, v = clamp[name]
    return torch.where(mask, torch.as_tensor(v, dtype=value.dtype), value)


def gates(cell: str, w: LayerWeights, x: torch.Tensor, h_prev: torch.Tensor, nonlinearity: str | None = "tanh",
          clamp: dict | None = None) -> Step:
    """The gate activations of one batched step (no state update): x [B, in], h_prev [B, H].

    ``clamp`` maps a gate name to (mask [B, H] bool, values [B, H]): masked entries of that gate's
    activation are replaced by the values before the state update.
    """
    # one GEMM per gate block keeps every gate contiguous (elementwise maths on column slices is slower)
    G = GATE_BLOCKS[cell]
    hh = [_hidden_side(w, h_prev, k) for k in range(G)]
    if cell == "lstm":
        i, f, g, o = (_input_side(w, x, k, onto=hh[k]) for k in range(4))
        out = {"i": i.sigmoid_(), "f": f.sigmoid_(), "g": g.tanh_(), "o": o.sigmoid_()}
        return Step({k: _clamped(k, v, clamp) for k, v in out.items()}, tuple(hh), None)
    if cell == "gru":
        r = _clamped("r", _input_side(w, x, 0, onto=hh[0]).sigmoid_(), clamp)
        z = _clamped("z", _input_side(w, x, 1, onto=hh[1]).sigmoid_(), clamp)
        n = _clamped("n", torch.tanh(_input_side(w, x, 2) + r * hh[2]), clamp)  # r scales W_hn h + b_hn
        return Step({"r": r, "z": z, "n": n}, tuple(hh), None)
    pre = _input_side(w, x, 0, onto=hh[0])
    h = torch.relu(pre) if nonlinearity == "relu" else torch.tanh(pre)
    return Step({}, tuple(hh), h, pre=pre)


def step(cell: str, w: LayerWeights, x: torch.Tensor, h_prev: torch.Tensor, c_prev: torch.Tensor | None = None,
         nonlinearity: str | None = "tanh", clamp: dict | None = None) -> Step:
    """One step of ``cell`` for a batch: x [B, in], h_prev / c_prev [B, H] -> gates and new state."""
    st = gates(cell, w, x, h_prev, nonlinearity, clamp)
    if cell == "lstm":
        gt = st.gates
        st.c = gt["f"] * c_prev + gt["i"] * gt["g"]  # the cell line: scale, then add
        st.h = gt["o"] * torch.tanh(st.c)
    elif cell == "gru":
        z = st.gates["z"]
        st.h = (1 - z) * st.gates["n"] + z * h_prev  # PyTorch's convention: z near 1 keeps the past
    return st


def lstm_slopes(i: torch.Tensor, f: torch.Tensor, g: torch.Tensor, o: torch.Tensor, h: torch.Tensor,
                c_prev: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """How the LSTM's pre-activation gradient δ (gate order i, f, g, o) follows from ∂L/∂c_t and ∂L/∂h_t:
    δ = [∂c ⊙ k_i, ∂c ⊙ k_f, ∂c ⊙ k_g, ∂h ⊙ k_o] with k_i = g σ'(i), k_f = c_{t-1} σ'(f), k_g = i (1 - g²) and
    k_o = tanh(c) σ'(o) = h (1 - o), where σ'(s) = s (1 - s). Elementwise, for any batch of steps."""
    k_i = torch.addcmul(i, i, i, value=-1).mul_(g)
    k_f = torch.addcmul(f, f, f, value=-1).mul_(c_prev)
    k_g = torch.addcmul(g.new_ones(()), g, g, value=-1).mul_(i)
    k_o = torch.addcmul(h, h, o, value=-1)
    return k_i, k_f, k_g, k_o


def dh_dc(o, c):
    """∂h_t/∂c_t of the LSTM, o_t ⊙ (1 − tanh² c_t), elementwise (torch tensors or NumPy arrays): how the hidden state
    reads its cell state, on every path a gradient takes from h_t to c_t."""
    t = torch.tanh(c) if isinstance(c, torch.Tensor) else np.tanh(c)
    return o * (1 - t * t)


def fused_layer(spec: Spec, w: LayerWeights, x: torch.Tensor, probe: torch.Tensor | None = None,
                probe_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Run one layer with PyTorch's fused kernel; x [T, in] -> h [T, H], differentiable in x and weights.

    With ``probe`` [T, P] and ``probe_weight`` [G*H, P], the probe is appended to the input with those
    input weights. A zero probe leaves every state unchanged, and its gradient in the kernel's own
    backward is probe_weight^T ∂L/∂(input-side pre-activation) at each step.
    """
    w_ih = w.w_ih
    if probe is not None:
        x = torch.cat([x, probe], dim=1)
        w_ih = torch.cat([w_ih, probe_weight], dim=1)
    params = [w_ih, w.w_hh] + ([w.b_ih, w.b_hh] if spec.bias else [])
    h0 = torch.zeros(1, 1, spec.hidden_size, dtype=x.dtype)
    # the kernels nn.LSTM / nn.GRU / nn.RNN call in forward(): (input, hx, params, has_biases,
    # num_layers, dropout, train, bidirectional, batch_first)
    args = (params, spec.bias, 1, 0.0, False, False, False)
    if spec.cell == "lstm":
        out = torch.lstm(x.unsqueeze(1), (h0, h0), *args)[0]
    elif spec.cell == "gru":
        out = torch.gru(x.unsqueeze(1), h0, *args)[0]
    else:
        kernel = torch.rnn_relu if spec.nonlinearity == "relu" else torch.rnn_tanh
        out = kernel(x.unsqueeze(1), h0, *args)[0]
    return out.squeeze(1)


def own_time(t: torch.Tensor | None, direction: int) -> torch.Tensor | None:
    """A [T, ...] tensor in a run's own order of time: reversed for the reverse direction (its own inverse)."""
    return t if (t is None or not direction) else t.flip(0)


def linear_scan(a: torch.Tensor, b: torch.Tensor, reverse: bool = False) -> torch.Tensor:
    """y_t = a_t ⊙ y_{t-1} + b_t with y_{-1} = 0 along dim 0 (or y_t = a_t ⊙ y_{t+1} + b_t if reverse).

    No division anywhere, so products of gates that underflow to 0 stay exact zeros. Short sequences use a
    Hillis–Steele prefix scan (log2 T vectorised passes); long ones a blocked scan: the recurrence runs
    inside √T blocks at once, then once over the block ends, and a last pass adds each block's carry.
    """
    if reverse:
        return linear_scan(a.flip(0), b.flip(0)).flip(0)
    if a.shape[0] >= BLOCKED_SCAN_FROM:
        return _blocked_scan(a, b)
    T = a.shape[0]
    A, B = a.clone(), b.clone()
    next_A, next_B = torch.empty_like(A), torch.empty_like(B)
    d = 1
    while d < T:
        # compose each step's map with the one d steps earlier: (A, B)_t <- (A_t A_{t-d}, A_t B_{t-d} + B_t)
        next_B[:d] = B[:d]
        torch.addcmul(B[d:], A[d:], B[:-d], out=next_B[d:])
        B, next_B = next_B, B
        if 2 * d < T:
            next_A[:d] = A[:d]
            torch.mul(A[d:], A[:-d], out=next_A[d:])
            A, next_A = next_A, A
        d *= 2
    return B


BLOCKED_SCAN_FROM = 1024  # steps from which the blocked scan is faster than the prefix scan


def _blocked_scan(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    T, rest = a.shape[0], a.shape[1:]
    size = int(math.ceil(math.sqrt(T)))
    n = -(-T // size)
    pad = n * size - T  # padding after the end (a = 1, b = 0) changes no earlier value
    A = torch.cat([a, a.new_ones((pad, *rest))]).view(n, size, *rest)
    B = torch.cat([b, b.new_zeros((pad, *rest))]).view(n, size, *rest)
    local, prod = torch.empty_like(A), torch.empty_like(A)
    y, p = a.new_zeros((n, *rest)), a.new_ones((n, *rest))
    for j in range(size):  # the recurrence inside every block at once, each block starting from 0
        y = torch.addcmul(B[:, j], A[:, j], y)
        p = p * A[:, j]
        local[:, j], prod[:, j] = y, p
    carry = a.new_zeros((n, *rest))
    for k in range(1, n):  # the state entering block k
        carry[k] = torch.addcmul(local[k - 1, -1], prod[k - 1, -1], carry[k - 1])
    return torch.addcmul(local, prod, carry.unsqueeze(1)).reshape(n * size, *rest)[:T]


def parameter_count(cell: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                    directions: int = 1) -> int:
    """PyTorch's parameter count: G(nm + n² + 2n) per direction for the first layer, G(Dn·n + n² + 2n) above
    (G = 4, 3, 1; D directions, whose outputs are concatenated as the next layer's input)."""
    G, n = GATE_BLOCKS[cell], hidden_size
    total = 0
    for k in range(num_layers):
        m = input_size if k == 0 else directions * n
        total += directions * G * (n * m + n * n + (2 * n if bias else 0))
    return total


def copy_module(module: nn.Module, state: dict | None = None) -> nn.Module:
    """A new module of the same kind and sizes (cell, layers, bias, nonlinearity) holding ``state``, or a
    copy of ``module``'s own weights; the original is never touched."""
    spec = spec_of(module)
    kind = MODULE_OF[spec.cell]
    kw = {"nonlinearity": spec.nonlinearity} if spec.cell == "rnn" else {}
    twin = kind(spec.input_size, spec.hidden_size, spec.num_layers, bias=spec.bias,
                bidirectional=spec.directions == 2, **kw)
    source = module.state_dict() if state is None else state
    twin.load_state_dict({k: v.detach().clone() for k, v in source.items()})
    return twin.eval()


def build_module(cell: str, input_size: int, hidden_size: int, num_layers: int = 1, seed: int = 0,
                 nonlinearity: str = "tanh", weight_scale: float = 1.0, forget_bias: float | None = None,
                 dtype: torch.dtype = torch.float32, bidirectional: bool = False) -> nn.Module:
    """A fresh, seeded nn.RNN/LSTM/GRU: same arguments, same weights, on every call.

    ``weight_scale`` multiplies every weight after PyTorch's default initialisation; ``forget_bias`` sets
    the LSTM forget-gate bias (split as b_ih = forget_bias, b_hh = 0 for the f block).
    """
    if cell not in GATE_ORDER:
        raise ValueError(f"unknown cell {cell!r}; choose rnn, lstm or gru")
    gen = torch.Generator().manual_seed(int(seed))
    kind = MODULE_OF[cell]
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    module = kind(input_size, hidden_size, num_layers, bidirectional=bidirectional, **kwargs).to(dtype)
    bound = 1.0 / hidden_size ** 0.5  # PyTorch's own default: U(-1/sqrt(H), 1/sqrt(H))
    with torch.no_grad():
        for p in module.parameters():
            p.copy_((torch.rand(p.shape, generator=gen, dtype=dtype) * 2 - 1) * bound * weight_scale)
    if forget_bias is not None and cell == "lstm":
        set_forget_bias(module, forget_bias)
    return module.eval()
