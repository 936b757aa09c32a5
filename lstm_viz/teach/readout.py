"""The readout of a model on a typed sequence: the loss its gradients are taken of (the task's own, an
uploaded language model's next token, or the probe Σ h_T), its predictions per step, and their names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from lstm_viz.models.model import Model, head_input
from lstm_viz.models.tokenize import Encoded

PROBE_DESC = {"en": "probe: L = Σ h_T (sum of the top layer's last hidden state)",
              "zh": "探针损失：L = Σ h_T（顶层最后一步隐藏状态之和）"}


@dataclass(frozen=True, eq=False)
class HeadLoss:
    """A loss on the top layer's outputs [T, D·H] through the model's output layer (logits = head_input(out)·Wᵀ + b,
    ``readout`` saying what the layer reads). A plain object rather than a closure, so that it pickles: the page
    runs long gradients in a worker process. ``target``: a float (mse_last_step) or class ids (-1: no target at that
    step)."""

    name: str  # cross_entropy_next_token | cross_entropy_every_step | cross_entropy_last_step | mse_last_step
    W: torch.Tensor
    b: torch.Tensor
    target: object
    readout: str = "outputs"

    @property
    def __name__(self) -> str:  # what GradientFlow.loss_name reports
        return self.name

    def __call__(self, out: torch.Tensor) -> torch.Tensor:
        out = head_input(out, self.readout)
        if self.name == "mse_last_step":
            return ((out[-1] @ self.W.T + self.b)[0] - self.target) ** 2
        if self.name == "cross_entropy_last_step":
            return F.cross_entropy((out[-1] @ self.W.T + self.b)[None], self.target)
        if self.name in ("cross_entropy_next_token", "cross_entropy_every_step"):
            return F.cross_entropy(out @ self.W.T + self.b, self.target, ignore_index=-1)
        raise ValueError(f"unknown loss {self.name!r}")


def _next_token_loss(model: Model, enc: Encoded, W: torch.Tensor, b: torch.Tensor):
    """An uploaded language model's own loss (its outputs are its vocabulary): the cross-entropy of the next
    token at every step. None for any other output layer, or a text without a known next token."""
    if not (model.own_vocab and model.vocab is not None and W.shape[0] == len(model.vocab)):
        return None
    y = np.full(len(enc.ids), -1, dtype=np.int64)
    y[:-1] = np.where(enc.unknown[1:], -1, enc.ids[1:])
    if not (y >= 0).any():
        return None
    return HeadLoss("cross_entropy_next_token", W, b, torch.from_numpy(y)), {
        "en": "cross-entropy of the next token at every step (the model's own output layer and vocabulary)",
        "zh": "每一步对下一个词的交叉熵（模型自己的输出层和词表）"}


def loss_for(model: Model, enc: Encoded, trace=None, probe: bool = False):
    """(loss for gradient_flow, description {"en": ..., "zh": ...}) of a typed sequence under the model's task.

    Without a head (or with ``probe``) the loss is the probe L = Σ h_T. An uploaded language model uses the
    cross-entropy of its next token (``_next_token_loss``). Classification tasks use cross-entropy on
    the targets the text itself defines (next character, expected closer, the recalled symbol); where the
    text defines none (sentiment, an uploaded classifier), the model's own prediction at the last step is the
    target (read from ``trace`` when the caller has it, else from a fresh run)."""
    task, head = model.task, model.head
    if probe or head is None or head.out_features < 2 and task is None:
        return "probe", PROBE_DESC
    W = head.weight.detach()
    b = head.bias.detach() if head.bias is not None else torch.zeros(W.shape[0])
    y = None
    if task is None:
        own = _next_token_loss(model, enc, W, b)
        if own is not None:
            return own
    else:
        y = task.text_targets(enc) if task.text_targets else None
        if task.kind == "regress":
            target = float(y) if y is not None else 0.0
            return HeadLoss("mse_last_step", W, b, target, model.readout), {
                "en": f"(ŷ_T − {target:.3f})², squared error at the last step",
                "zh": f"(ŷ_T − {target:.3f})²，最后一步的平方误差"}
        if task.loss_at == "every":
            if y is not None and bool((y >= 0).any()):
                return HeadLoss("cross_entropy_every_step", W, b, y, model.readout), {
                    "en": "cross-entropy at every step against the targets the text defines",
                    "zh": "每一步的交叉熵，目标由文本本身给出"}
            y = None  # no step of this text has a target (one character): the model's own last prediction
        elif y is not None and (y.numel() != 1 or int(y) < 0):
            y = None  # the text defines no target at its last step
    if y is None:
        if trace is None:
            from lstm_viz.engine.trace import trace as run_trace
            trace = run_trace(model.rnn, enc.x)
        with torch.no_grad():
            y = (head_input(torch.from_numpy(np.array(trace.h[-1])), model.readout)[-1] @ W.T + b).argmax()
        how = {"en": "the model's own prediction", "zh": "模型自己的预测"}
    else:
        how = {"en": f"“{task.classes[int(y)]}”", "zh": f"“{task.classes[int(y)]}”"}
    return HeadLoss("cross_entropy_last_step", W, b, y.reshape(1), model.readout), {
        "en": f"cross-entropy at the last step against {how['en']}", "zh": f"最后一步的交叉熵，目标为{how['zh']}"}


def output_names(model: Model, n: int) -> list[str]:
    """Names of the head's n outputs: the task's classes, the file's own labels, or their indices."""
    names = model.task.classes if model.task is not None and model.task.classes else model.labels
    return [str(c) for c in (names or range(n))]


def readout_series(probs: np.ndarray | None) -> tuple[str | None, dict[str, np.ndarray]]:
    """(the diagram's readout: "classify", "regress" or None, its per-step series: p_top, the top probability, or
    yhat, the regression output)."""
    if probs is None:
        return None, {}
    if probs.shape[1] == 1:
        return "regress", {"yhat": np.asarray(probs[:, 0], dtype=np.float64)}
    return "classify", {"p_top": probs.max(axis=1).astype(np.float64)}


def _text_targets(model: Model, enc: Encoded) -> np.ndarray | None:
    task = model.task
    if task is None or task.kind != "classify" or task.text_targets is None:
        return None
    y = task.text_targets(enc)
    if y is None:
        return None
    y = np.asarray(y).reshape(-1)
    return y if task.loss_at == "every" else y[-1:]


def text_targets_count(model: Model, enc: Encoded) -> int:
    y = _text_targets(model, enc)
    return 0 if y is None else int((y >= 0).sum())


def text_accuracy(model: Model, enc: Encoded, probs: np.ndarray) -> float | None:
    """Share of the steps whose target the text itself defines (the expected closer, the next character, the
    recalled symbol) that ``probs`` [T, C] gets right; None when the text defines none."""
    y = _text_targets(model, enc)
    if y is None or not (y >= 0).any():
        return None
    p = probs.argmax(axis=1) if y.shape[0] == probs.shape[0] else probs[-1:].argmax(axis=1)
    known = y >= 0
    return float((p[known] == y[known]).mean())


def predictions(model: Model, h_top: np.ndarray) -> np.ndarray | None:
    """[T, out]: softmax probabilities per step (or the regression output) from the readout head, reading what the
    model's readout reads (``head_input``: the last step of a both-final-states readout is its prediction); a head
    whose file names its activation (sigmoid, tanh, relu) gives that."""
    if model.head is None:
        return None
    with torch.no_grad():
        z = torch.nn.functional.linear(head_input(torch.from_numpy(np.array(h_top)), model.readout),
                                       model.head.weight, model.head.bias)
    act = model.head_activation
    if act in ("sigmoid", "tanh", "relu"):  # as the file's own output layer applies it (Keras' Dense)
        return getattr(torch, act)(z).numpy()
    if model.task is not None and model.task.kind == "regress" or model.head.out_features == 1:
        return z.numpy()
    return torch.softmax(z, dim=-1).numpy()
