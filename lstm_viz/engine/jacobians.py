"""‖∂h_{T-1}/∂h_t‖₂ for every step t: a backward product of step Jacobians, written out per cell (no clamps) or
by vector-Jacobian products of one batched step (clamped gates), their spectral norms taken in chunks.
"""

from __future__ import annotations

import numpy as np
import torch

from lstm_viz.engine import cells
from lstm_viz.engine.run import LayerStates, rows

JACOBIAN_CHUNK = 256  # steps whose Jacobians are held at once before their spectral norms are taken


class _NormsByChunk:
    """Spectral norms of [H, H] matrices, taken JACOBIAN_CHUNK at a time (one batched SVD per chunk)."""

    def __init__(self, T: int):
        self.norms = np.zeros(T)
        self.norms[T - 1] = 1.0
        self.pending: list[tuple[int, torch.Tensor]] = []

    def add(self, t: int, m: torch.Tensor):
        self.pending.append((t, m))
        if len(self.pending) >= JACOBIAN_CHUNK:
            self.flush()

    def flush(self):
        if self.pending:
            idx = np.array([i for i, _ in self.pending])
            stacked = torch.stack([m for _, m in self.pending])
            finite = torch.isfinite(stacked).flatten(1).all(dim=1).numpy()
            self.norms[idx[~finite]] = np.inf  # the product overflowed: an exploded gradient, not an error
            if finite.any():
                self.norms[idx[finite]] = torch.linalg.matrix_norm(stacked[finite], ord=2).double().numpy()
            self.pending.clear()

    def result(self) -> np.ndarray:
        self.flush()
        self.norms.flags.writeable = False
        return self.norms


def jacobian_norms_unclamped(spec: cells.Spec, w: cells.LayerWeights, s: LayerStates) -> np.ndarray:
    """‖∂h_{T-1}/∂h_t‖₂ for every t in one layer without clamps: the same backward product of step Jacobians
    as jacobian_norms, with each step's vector-Jacobian product written out (coefficients for all steps
    computed at once, then one [H, G·H] x [G·H, H] product per step).

    G_h = ∂h_{T-1}/∂h_u (H rows) goes one step back through the pre-activations of step u:
    LSTM  ∂/∂c_u = G_c + G_h ⊙ o_u (1 - tanh² c_u); δ = [∂c ⊙ k_i, ∂c ⊙ k_f, ∂c ⊙ k_g, G_h ⊙ k_o] with the
          factors of cells.lstm_slopes; G_h ← δ W_hh; G_c ← ∂c ⊙ f_u
    GRU   δ = G ⊙ [k_n (W_hn h_{u-1} + b_hn) σ'(r), (h_{u-1} - n) σ'(z), k_n r] with k_n = (1 - z)(1 - n²);
          G ← G ⊙ z + δ W_hh
    RNN   G ← (G ⊙ φ'(pre_u)) W_hh
    """
    T, H = s.h.shape
    W = w.w_hh.detach()
    out = _NormsByChunk(T)
    G_h = torch.eye(H, dtype=s.h.dtype)
    with torch.no_grad():
        gt = s.gates
        if spec.cell == "lstm":
            f, o = gt["f"], gt["o"]
            through_h = cells.dh_dc(o, s.c)
            *k_c, k_o = cells.lstm_slopes(gt["i"], f, gt["g"], o, s.h, s.c_prev)
            K = torch.stack(k_c, dim=1)  # [T, 3, H]: the factors of ∂/∂c in δ_i, δ_f, δ_g
            G_c = torch.zeros(H, H, dtype=s.h.dtype)
            D = torch.empty(H, 4 * H, dtype=s.h.dtype)
            for u in range(T - 1, 0, -1):
                dc = torch.addcmul(G_c, G_h, through_h[u])
                torch.mul(dc.unsqueeze(1), K[u], out=D[:, :3 * H].view(H, 3, H))
                torch.mul(G_h, k_o[u], out=D[:, 3 * H:])
                G_h, G_c = D @ W, dc.mul_(f[u])
                out.add(u - 1, G_h)
        elif spec.cell == "gru":
            r, z, n = gt["r"], gt["z"], gt["n"]
            h_prev = s.h_prev
            Wn, bn = W[2 * H:], (None if w.b_hh is None else w.b_hh.detach()[2 * H:])
            hh_n = h_prev @ Wn.T if bn is None else torch.addmm(bn, h_prev, Wn.T)
            k_n = (1 - z) * (1 - n * n)
            K = torch.stack([k_n * hh_n * r * (1 - r), (h_prev - n) * z * (1 - z), k_n * r], dim=1)  # [T, 3, H]
            D = torch.empty(H, 3 * H, dtype=s.h.dtype)
            for u in range(T - 1, 0, -1):
                torch.mul(G_h.unsqueeze(1), K[u], out=D.view(H, 3, H))
                G_h = torch.addmm(G_h * z[u], D, W)
                out.add(u - 1, G_h)
        else:
            slope = (s.pre > 0).to(s.h.dtype) if spec.nonlinearity == "relu" else 1 - s.h * s.h
            for u in range(T - 1, 0, -1):
                G_h = (G_h * slope[u]) @ W
                out.add(u - 1, G_h)
    return out.result()


def jacobian_norms(spec: cells.Spec, w: cells.LayerWeights, s: LayerStates, clamp) -> np.ndarray:
    """‖∂h_{T-1}/∂h_t‖₂ for every t in one layer, by a backward product of step Jacobians.

    G = ∂h_{T-1}/∂(h_u, c_u), H rows; each step back multiplies it by ∂(h_u, c_u)/∂(h_{u-1}, c_{u-1})
    with one vector-Jacobian product of H copies of step u. Only h_t is perturbed, so the norm taken is
    that of the h block of G.
    """
    T, H = s.h.shape
    lstm = spec.cell == "lstm"
    wd = cells.LayerWeights(*(None if p is None else p.detach() for p in (w.w_ih, w.w_hh, w.b_ih, w.b_hh)))
    G_h = torch.eye(H, dtype=s.h.dtype)
    G_c = torch.zeros(H, H, dtype=s.h.dtype) if lstm else None
    out = _NormsByChunk(T)
    h_prev, c_prev = s.h_prev, s.c_prev

    for u in range(T - 1, 0, -1):
        hp = h_prev[u].expand(H, H).clone().requires_grad_()
        cp = c_prev[u].expand(H, H).clone().requires_grad_() if lstm else None
        xu = s.x[u].expand(H, -1)
        cl = rows(clamp, [u] * H)
        st = cells.step(spec.cell, wd, xu, hp, cp, spec.nonlinearity, cl)
        if lstm:
            G_h, G_c = torch.autograd.grad((st.h, st.c), (hp, cp), (G_h, G_c))  # backprop one step
        else:
            (G_h,) = torch.autograd.grad(st.h, hp, G_h)
        out.add(u - 1, G_h)
    return out.result()
