"""Train a small recurrent model on a task: Adam, optional clipping and truncated BPTT, seeded.

The model is an nn.RNN/LSTM/GRU (what the engine traces) plus a linear readout ``head`` from the top
layer's hidden state to the task's outputs. Training is deterministic on the CPU for the same settings.
A project model file is NAME.safetensors (keys rnn.* and head.*) with a JSON card NAME.json beside it.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from lstm_viz.checks import cell_of
from lstm_viz.engine.cells import build_module, copy_module, parameter_count
from lstm_viz.models.model import READOUTS, Model, head_input
from lstm_viz.models.state_dict import load_module, save_module
from lstm_viz.models.tasks import Task, make_task
from lstm_viz.notation import CELLS
from lstm_viz.paths import ASSETS

EVAL_SEED = 1_000_003  # evaluation samples come from a seed no training run uses


@dataclass(frozen=True)
class TrainConfig:
    task: str = "recall"
    cell: str = "lstm"
    hidden_size: int = 32
    num_layers: int = 1
    steps: int = 400  # optimizer updates
    batch: int = 32
    lr: float = 1e-2  # Adam
    clip: float | None = 1.0  # global gradient-norm clipping threshold (None: off)
    truncate: int | None = None  # truncated BPTT: gradients reach at most this many steps back (chunks)
    seed: int = 0
    forget_bias: float | None = 1.0  # LSTM forget-gate bias at initialisation (a known good practice)
    lag: int | None = None  # recall only
    seq_len: int | None = None  # next_char, brackets, adding
    text: str | None = None  # next_char: train on this text instead of the bundled sample
    schedule: str | None = None  # "cosine": lr falls from ``lr`` to 0 along a half cosine over the steps
    bidirectional: bool = False  # both directions of time, their outputs side by side (nn.LSTM's bidirectional)
    readout: str = "outputs"  # what the head reads: each step's output, or both final states (model.head_input)

    def make_task(self) -> Task:
        return make_task(self.task, lag=self.lag, seq_len=self.seq_len, text=self.text)


# Per-task training budgets: each trains in well under 30 s on one CPU core (measured in the model cards).
TASK_DEFAULTS = {
    "recall": {"hidden_size": 16, "steps": 1000, "batch": 64, "lr": 3e-3},
    "brackets": {"hidden_size": 32, "steps": 700, "batch": 32, "lr": 1e-2},
    "sentiment": {"hidden_size": 32, "steps": 400, "batch": 32, "lr": 1e-2},
    "adding": {"hidden_size": 32, "steps": 1500, "batch": 64, "lr": 3e-3},
    "next_char": {"hidden_size": 64, "steps": 1200, "batch": 32, "lr": 5e-3},
    # the one real text: a bigger budget, each cell in a few minutes on one core (its cards say how long)
    "shakespeare_char": {"hidden_size": 128, "steps": 5000, "batch": 32, "lr": 6e-3, "schedule": "cosine"},
    "wikitext_word": {"hidden_size": 32, "steps": 8000, "batch": 32, "lr": 6e-3, "schedule": "cosine"},
    "digits_rows": {"hidden_size": 32, "steps": 3000, "batch": 64, "lr": 5e-3, "schedule": "cosine",
                    "bidirectional": True},
}


def default_config(task: str, cell: str, **overrides) -> TrainConfig:
    """The task's default budget; long recall lags get a chrono-style LSTM forget bias (≈ log lag)."""
    if task not in TASK_DEFAULTS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASK_DEFAULTS)}")
    kw = dict(TASK_DEFAULTS[task], task=task, cell=cell)
    lag = overrides.get("lag")
    if task == "recall" and lag is not None and lag > 20:
        kw["forget_bias"] = 5.0
    kw.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig(**kw)


class SeqModel(nn.Module):
    """rnn: nn.RNN/LSTM/GRU; head: linear readout of the top layer's h_t (both directions' side by side for a
    bidirectional rnn), or of what ``readout`` says it reads (``head_input``)."""

    def __init__(self, rnn: nn.Module, out_size: int, readout: str = "outputs"):
        super().__init__()
        if readout != "outputs" and not rnn.bidirectional:
            raise ValueError(f"the {readout} readout needs a bidirectional model")
        self.rnn = rnn
        self.readout = readout
        self.head = nn.Linear(rnn.hidden_size * (2 if rnn.bidirectional else 1), out_size)

    def forward(self, x: torch.Tensor, truncate: int | None = None) -> torch.Tensor:
        """x [T, B, in] -> logits [T, B, out]; with ``truncate`` the state is detached every k steps, counted
        from the end, so a loss at the last step reaches back exactly k steps."""
        if truncate is None or truncate >= x.shape[0]:
            return self.head(head_input(self.rnn(x)[0], self.readout))
        outs, state = [], None
        T = x.shape[0]
        sizes = ([T % truncate] if T % truncate else []) + [truncate] * (T // truncate)  # the last chunk is full
        for chunk in torch.split(x, sizes):
            if state is not None:  # cut the gradient path here
                state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
            out, state = self.rnn(chunk, state)
            outs.append(out)
        return self.head(head_input(torch.cat(outs), self.readout))


@dataclass
class TrainResult:
    model: SeqModel
    task: Task
    config: TrainConfig
    history: list = field(default_factory=list)  # (step, loss, accuracy)
    snapshots: dict = field(default_factory=dict)  # step -> state_dict copy
    seconds: float = 0.0


def new_model(cfg: TrainConfig, task: Task) -> SeqModel:
    torch.manual_seed(cfg.seed)
    rnn = build_module(cfg.cell, task.input_size, cfg.hidden_size, cfg.num_layers, seed=cfg.seed,
                       forget_bias=cfg.forget_bias if cfg.cell == "lstm" else None, bidirectional=cfg.bidirectional)
    return SeqModel(rnn, task.output_size, cfg.readout)


def train(cfg: TrainConfig, progress: Callable[[int, float, float], None] | None = None,
          snapshot_steps=(), model: SeqModel | None = None) -> TrainResult:
    """Train from scratch (or go on training a copy of ``model``). ``progress(step, loss, accuracy)`` is
    called after every update; the weights are copied at each step in ``snapshot_steps`` (0 = before)."""
    _check_config(cfg)
    task = cfg.make_task()
    if model is None:
        model = new_model(cfg, task)
    else:
        model = _copy(model)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    # lr_k = lr · (1 + cos(π k / steps)) / 2 after k updates
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps) if cfg.schedule == "cosine" else None
    result = TrainResult(model, task, cfg)
    wanted = set(int(s) for s in snapshot_steps)
    if 0 in wanted:
        result.snapshots[0] = _state(model)
    t0 = time.perf_counter()
    model.train()
    for step in range(1, cfg.steps + 1):
        batch = task.make_batch(rng, cfg.batch)
        logits = model(batch.x, cfg.truncate)
        loss = task.loss(logits, batch.y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        opt.step()
        if sched is not None:
            sched.step()
        right, total = task.correct(logits.detach(), batch.y)
        result.history.append((step, loss.item(), right / max(total, 1)))
        if progress is not None:
            progress(step, loss.item(), right / max(total, 1))
        if step in wanted:
            result.snapshots[step] = _state(model)
    model.eval()
    result.seconds = time.perf_counter() - t0
    return result


@dataclass(frozen=True)
class Trained:
    """What a training run leaves, as plain data (it travels from the worker process): the weights, the loss
    history, the snapshots and the accuracy on fresh samples. ``model()`` rebuilds the model and its task."""

    config: TrainConfig
    state: dict  # the SeqModel's state_dict
    history: list
    snapshots: dict
    accuracy: float

    def model(self) -> tuple[SeqModel, Task]:
        task = self.config.make_task()
        model = new_model(self.config, task)
        model.load_state_dict(self.state)
        return model.eval(), task


def train_job(cfg: TrainConfig, snapshot_steps=(), eval_samples: int = 500,
              progress: Callable[[int, float, float], None] | None = None) -> Trained:
    """``train`` and ``evaluate`` as one job whose result pickles (a Task holds functions; a Trained does not)."""
    result = train(cfg, progress=progress, snapshot_steps=snapshot_steps)
    acc = evaluate(result.model, result.task, n=eval_samples)
    return Trained(cfg, _state(result.model), result.history, result.snapshots, acc)


def _state(model: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _copy(model: SeqModel) -> SeqModel:
    twin = SeqModel(copy_module(model.rnn), model.head.out_features, model.readout)
    twin.head.load_state_dict(_state(model.head))
    return twin


def _check_config(cfg: TrainConfig) -> None:
    if cfg.cell not in CELLS:
        raise ValueError(f"unknown cell {cfg.cell!r}")
    for name, lo, hi in (("hidden_size", 1, 256), ("num_layers", 1, 3), ("steps", 1, 100_000), ("batch", 1, 1024)):
        v = getattr(cfg, name)
        if not isinstance(v, int) or not lo <= v <= hi:
            raise ValueError(f"{name} must be a whole number from {lo} to {hi}, got {v!r}")
    if not (np.isfinite(cfg.lr) and 0 < cfg.lr <= 1):
        raise ValueError(f"lr must be in (0, 1], got {cfg.lr}")
    if cfg.clip is not None and not (np.isfinite(cfg.clip) and cfg.clip > 0):
        raise ValueError(f"clip must be positive, got {cfg.clip}")
    if cfg.schedule not in (None, "cosine"):
        raise ValueError(f"schedule must be 'cosine' or none, got {cfg.schedule!r}")
    if cfg.readout not in READOUTS or cfg.readout != "outputs" and not cfg.bidirectional:
        raise ValueError(f"readout must be one of {', '.join(READOUTS)} ({READOUTS[1]} needs bidirectional), "
                         f"got {cfg.readout!r}")
    if cfg.truncate is not None and (not isinstance(cfg.truncate, int) or cfg.truncate < 1):
        raise ValueError(f"truncate must be a whole number >= 1, got {cfg.truncate!r}")


@torch.no_grad()
def evaluate(model: SeqModel, task: Task, n: int = 2000, seed: int = EVAL_SEED) -> float:
    """Accuracy on ``n`` fresh sequences from a seed that training does not use (for a task with a held-out
    text, windows of that text; for a task with a fixed held-out set, all of that set, ``n`` and ``seed`` unused)."""
    rng = np.random.default_rng(seed)
    right = total = 0
    model.eval()
    if task.test_set is not None:
        batch = task.test_set()
        right, total = task.correct(model(batch.x), batch.y)
        return right / total
    draw = task.held_out or task.make_batch
    while total < n * (task.seq_len if task.loss_at == "every" else 1):
        batch = draw(rng, 250)
        r, t = task.correct(model(batch.x), batch.y)
        right, total = right + r, total + t
    return right / total


def card_for(result: TrainResult, accuracy: float, command: str) -> dict:
    cfg, task, rnn = result.config, result.task, result.model.rnn
    return {
        "task": cfg.task, "cell": cfg.cell, "input_size": task.input_size, "hidden_size": cfg.hidden_size,
        "num_layers": cfg.num_layers, "output_size": task.output_size, "vocab": list(task.vocab or []),
        "classes": list(task.classes or []), "mode": task.mode, "loss_at": task.loss_at, "lag": task.lag,
        "seq_len": task.seq_len, "seed": cfg.seed, "steps": cfg.steps, "config": asdict(cfg),
        "parameters": parameter_count(cfg.cell, task.input_size, cfg.hidden_size, cfg.num_layers,
                                      directions=2 if cfg.bidirectional else 1)
        + sum(p.numel() for p in result.model.head.parameters()),
        "accuracy": round(float(accuracy), 4), "train_seconds": round(result.seconds, 1),
        "torch": torch.__version__, "command": command, "nonlinearity": getattr(rnn, "nonlinearity", None),
    }


def save_model(result: TrainResult, stem, accuracy: float, command: str, extra: dict | None = None) -> dict:
    """NAME.safetensors and its card NAME.json; ``extra``: more measured figures for the card."""
    stem = Path(stem)
    save_module(result.model.rnn, stem.with_suffix(".safetensors"), head=result.model.head.state_dict())
    card = dict(card_for(result, accuracy, command), **(extra or {}))
    stem.with_suffix(".json").write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return card


def as_model(seq: SeqModel, task: Task) -> Model:
    """A trained SeqModel with its task, as the package's one Model type (the module, its head, its inputs)."""
    return Model(seq.rnn, seq.head, task, task.vocab, task.mode, readout=seq.readout)


def shipped_stem(name: str) -> Path | None:
    """A bare name (no folder) of a shipped model (``brackets_lstm``): its stem under assets/models, else None."""
    stem = ASSETS / "models" / name
    if "/" in name or os.sep in name or not stem.with_suffix(".json").is_file():
        return None
    return stem


def load_shipped(stem) -> tuple[Model, dict]:
    """(the Model, its card) of a shipped project model (``load_model``'s checks)."""
    seq, task, card = load_model(stem)
    return as_model(seq, task), card


def load_model(stem) -> tuple[SeqModel, Task, dict]:
    """A project model (NAME.safetensors + NAME.json); every file check runs before anything is built."""
    stem = Path(stem)
    if stem.suffix in (".json", ".safetensors"):
        stem = stem.with_suffix("")
    card_path = stem.with_suffix(".json")
    if not card_path.is_file():
        raise ValueError(f"no model card {card_path.name} beside the weights")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{card_path.name} is not valid JSON ({exc})") from None
    bad_card = f"{card_path.name} is not a model card of this project (a JSON object with its training config)"
    if not isinstance(card, dict) or not isinstance(card.get("config", {}), dict):
        raise ValueError(bad_card)
    try:
        cfg = TrainConfig(**{k: v for k, v in card.get("config", {}).items() if k in TrainConfig.__dataclass_fields__})
        task = cfg.make_task()
        nonlinearity = card.get("nonlinearity")
        if nonlinearity is not None and not isinstance(nonlinearity, str):
            raise TypeError(nonlinearity)
    except (TypeError, KeyError, AttributeError, IndexError):
        raise ValueError(bad_card) from None
    rnn, head = load_module(stem.with_suffix(".safetensors"), nonlinearity)
    if cell_of(rnn) != cfg.cell:
        raise ValueError(f"{stem.name}: the weights are a {cell_of(rnn).upper()}, the card says "
                         f"{str(cfg.cell).upper()}")
    D = 2 if rnn.bidirectional else 1
    if rnn.input_size != task.input_size or set(head) != {"weight", "bias"} \
            or tuple(head["weight"].shape) != (task.output_size, D * rnn.hidden_size) or rnn.bidirectional != \
            bool(cfg.bidirectional):
        raise ValueError(f"{stem.name}: the weights do not fit the card's task {card.get('task')!r}")
    if cfg.readout not in READOUTS or cfg.readout != "outputs" and D == 1:
        raise ValueError(bad_card)
    model = SeqModel(rnn, task.output_size, cfg.readout)
    model.head.load_state_dict({k: v.float() for k, v in head.items()})
    return model.eval(), task, card


FBIAS_LAG = 20  # the recall lag of the two LSTMs trained alike but for their forget-gate bias at the start
FBIAS_INITS = (0.0, 1.0)  # the two starting forget-gate biases


def stem_for(task: str, cell: str, lag: int | None, readout: str = "final_states", finit: float | None = None) -> str:
    """File stem of a shipped model. The digits have one bidirectional LSTM per readout and no other cell: for them
    ``cell`` is not read and ``readout`` says which (both final states, or outputs[-1]). ``finit`` (one of
    FBIAS_INITS) picks, for the recall LSTM at FBIAS_LAG, the twin trained from that forget-gate bias; it is not
    read for any other model."""
    if task == "digits_rows":
        return "digits_bilstm" if readout == "final_states" else "digits_bilstm_last"
    if finit is not None and task == "recall" and cell == "lstm" and lag == FBIAS_LAG:
        return fbias_stem(finit)
    return f"recall_lag{lag}_{cell}" if task == "recall" else f"{task}_{cell}"


def fbias_stem(finit: float) -> str:
    """The stem of the recall LSTM at FBIAS_LAG trained from forget-gate bias ``finit``."""
    if finit not in FBIAS_INITS:
        raise ValueError(f"the forget-gate bias twins start from {' or '.join(f'{b:g}' for b in FBIAS_INITS)}, "
                         f"not {finit!r}")
    return f"recall_lag{FBIAS_LAG}_lstm_fbias{finit:g}"
