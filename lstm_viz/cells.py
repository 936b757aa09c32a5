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

from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call

from .checks import check_module
from .notation import GATE_BLOCKS, GATE_ORDER


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


def spec_of(module: nn.Module) -> Spec:
    cell = check_module(module)
    return Spec(
        cell=cell,
        nonlinearity=module.nonlinearity if cell == "rnn" else None,
        input_size=module.input_size,
        hidden_size=module.hidden_size,
        num_layers=module.num_layers,
        bias=module.bias,
    )


def layer_weights(module: nn.Module, dtype: torch.dtype | None = None, requires_grad: bool = False) -> list[LayerWeights]:
    """Detached copies of each layer's weights: the module itself is never touched."""
    out = []
    for k in range(module.num_layers):
        def get(name):
            p = getattr(module, f"{name}_l{k}", None)
            if p is None:
                return None
            t = p.detach().clone()
            if dtype is not None:
                t = t.to(dtype)
            return t.requires_grad_(requires_grad)
        out.append(LayerWeights(get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")))
    return out


def _affine(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    y = x @ w.T
    return y if b is None else y + b


@dataclass
class Step:
    """Result of one batched step; every tensor is [B, H] except ``hh`` ([B, G*H])."""

    gates: dict[str, torch.Tensor]
    hh: torch.Tensor  # the hidden-side pre-activation W_hh h_{t-1} + b_hh: its gradient gives ∂L/∂W_hh per step
    h: torch.Tensor
    c: torch.Tensor | None = None
    pre: torch.Tensor | None = None  # vanilla RNN pre-activation


def _clamped(name: str, value: torch.Tensor, clamp: dict | None) -> torch.Tensor:
    """Replace a gate's activation by a constant where the clamp mask is set (no gradient through it)."""
    if clamp is None or name not in clamp:
        return value
    mask, v = clamp[name]
    return torch.where(mask, torch.as_tensor(v, dtype=value.dtype), value)


def step(cell: str, w: LayerWeights, x: torch.Tensor, h_prev: torch.Tensor, c_prev: torch.Tensor | None = None,
         nonlinearity: str | None = "tanh", clamp: dict | None = None) -> Step:
    """One step of ``cell`` for a batch: x [B, in], h_prev / c_prev [B, H].

    ``clamp`` maps a gate name to (mask [B, H] bool, value): masked entries of that gate's activation
    are replaced by ``value`` before the state update.
    """
    xi = _affine(x, w.w_ih, w.b_ih)  # (B, G*H)
    hh = _affine(h_prev, w.w_hh, w.b_hh)  # (B, G*H)
    if cell == "lstm":
        a_i, a_f, a_g, a_o = (xi + hh).chunk(4, dim=-1)
        i = _clamped("i", torch.sigmoid(a_i), clamp)
        f = _clamped("f", torch.sigmoid(a_f), clamp)
        g = _clamped("g", torch.tanh(a_g), clamp)
        o = _clamped("o", torch.sigmoid(a_o), clamp)
        c = f * c_prev + i * g  # the cell line: scale, then add
        h = o * torch.tanh(c)
        return Step({"i": i, "f": f, "g": g, "o": o}, hh, h, c)
    if cell == "gru":
        x_r, x_z, x_n = xi.chunk(3, dim=-1)
        h_r, h_z, h_n = hh.chunk(3, dim=-1)
        r = _clamped("r", torch.sigmoid(x_r + h_r), clamp)
        z = _clamped("z", torch.sigmoid(x_z + h_z), clamp)
        n = _clamped("n", torch.tanh(x_n + r * h_n), clamp)
        h = (1 - z) * n + z * h_prev  # PyTorch's convention: z near 1 keeps the past
        return Step({"r": r, "z": z, "n": n}, hh, h)
    pre = xi + hh
    h = torch.relu(pre) if nonlinearity == "relu" else torch.tanh(pre)
    return Step({}, hh, h, pre=pre)


def fused_layer(spec: Spec, w: LayerWeights, x: torch.Tensor, probe: torch.Tensor | None = None,
                probe_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Run one layer with PyTorch's fused kernel; x [T, in] -> h [T, H], differentiable in x and weights.

    With ``probe`` [T, P] and ``probe_weight`` [G*H, P], the probe is appended to the input with those
    input weights. A zero probe leaves every state unchanged, and its gradient in the kernel's own
    backward is probe_weight^T ∂L/∂(pre-activation input side) at each step.
    """
    w_ih = w.w_ih
    if probe is not None:
        x = torch.cat([x, probe], dim=1)
        w_ih = torch.cat([w_ih, probe_weight], dim=1)
    kind = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[spec.cell]
    kwargs = {"nonlinearity": spec.nonlinearity} if spec.cell == "rnn" else {}
    template = kind(x.shape[1], spec.hidden_size, 1, bias=spec.bias, device="meta", **kwargs)
    params = {"weight_ih_l0": w_ih, "weight_hh_l0": w.w_hh}
    if spec.bias:
        params.update(bias_ih_l0=w.b_ih, bias_hh_l0=w.b_hh)
    out, _ = functional_call(template, params, (x.unsqueeze(1),))
    return out.squeeze(1)


def linear_scan(a: torch.Tensor, b: torch.Tensor, reverse: bool = False) -> torch.Tensor:
    """y_t = a_t ⊙ y_{t-1} + b_t with y_{-1} = 0 along dim 0 (or y_t = a_t ⊙ y_{t+1} + b_t if reverse).

    A Hillis–Steele prefix scan over affine maps: log2(T) vectorised passes, no division, so products of
    gates that underflow to 0 stay exact zeros.
    """
    if reverse:
        return linear_scan(a.flip(0), b.flip(0)).flip(0)
    A, B = a, b
    d = 1
    T = a.shape[0]
    while d < T:
        B = torch.cat([B[:d], A[d:] * B[:-d] + B[d:]])  # compose with the map d steps earlier
        A = torch.cat([A[:d], A[d:] * A[:-d]])
        d *= 2
    return B


def parameter_count(cell: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True) -> int:
    """PyTorch's parameter count: G(nm + n² + 2n) for the first layer, G(n·n + n² + 2n) above (G = 4, 3, 1)."""
    G, n = GATE_BLOCKS[cell], hidden_size
    total = 0
    for k in range(num_layers):
        m = input_size if k == 0 else n
        total += G * (n * m + n * n + (2 * n if bias else 0))
    return total


def build_module(cell: str, input_size: int, hidden_size: int, num_layers: int = 1, seed: int = 0,
                 nonlinearity: str = "tanh", weight_scale: float = 1.0, forget_bias: float | None = None,
                 dtype: torch.dtype = torch.float32) -> nn.Module:
    """A fresh, seeded nn.RNN/LSTM/GRU: same arguments, same weights, on every call.

    ``weight_scale`` multiplies every weight after PyTorch's default initialisation; ``forget_bias`` sets
    the LSTM forget-gate bias (split as b_ih = forget_bias, b_hh = 0 for the f block).
    """
    if cell not in GATE_ORDER:
        raise ValueError(f"unknown cell {cell!r}; choose rnn, lstm or gru")
    gen = torch.Generator().manual_seed(int(seed))
    kind = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    module = kind(input_size, hidden_size, num_layers, **kwargs).to(dtype)
    bound = 1.0 / hidden_size ** 0.5  # PyTorch's own default: U(-1/sqrt(H), 1/sqrt(H))
    with torch.no_grad():
        for p in module.parameters():
            p.copy_((torch.rand(p.shape, generator=gen, dtype=dtype) * 2 - 1) * bound * weight_scale)
        if forget_bias is not None and cell == "lstm":
            H = hidden_size
            for k in range(num_layers):
                getattr(module, f"bias_ih_l{k}")[H:2 * H] = forget_bias
                getattr(module, f"bias_hh_l{k}")[H:2 * H] = 0.0
    return module.eval()
