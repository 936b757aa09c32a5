"""The one type for a model as the rest of the package sees it: the recurrent module, what feeds it (a task,
a vocabulary, an embedding, features) and what reads it (an output layer and its labels).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import nn

from lstm_viz.models.inputs import encode_own_vocab
from lstm_viz.models.tasks import Task
from lstm_viz.models.tokenize import Encoded, encode_text

READOUTS = ("outputs", "final_states")


def head_input(out: torch.Tensor, readout: str = "outputs") -> torch.Tensor:
    """What the output layer reads at each step, from the top layer's outputs ``out`` [T, ..., D·H].

    "outputs": ``out`` itself. A many-to-one task scores the last step, out[T-1] = [h→_{T-1}, h←_{T-1}]: the
    forward direction has read every step, the reverse one only the last (what ``outputs[-1]`` reads).
    "final_states" (bidirectional only): [h→_t, h←_{T-1-t}] at step t, each direction after t+1 steps of its
    own reading; at the last step [h→_{T-1}, h←_0], the two final states, each having read the whole sequence.
    """
    if readout == "outputs":
        return out
    if readout == "final_states":
        H = out.shape[-1] // 2
        return torch.cat([out[..., :H], out.flip(0)[..., H:]], dim=-1)
    raise ValueError(f"readout must be one of {', '.join(READOUTS)}, got {readout!r}")


@dataclass(frozen=True)
class Model:
    """A model as the rest of the package sees it: the recurrent module, an optional readout head and task, and
    where a checkpoint held its parts. The loaders (shipped, fresh, read from a file, trained in the page), the
    page's views and the CLI all give and take this one type."""

    rnn: nn.Module
    head: nn.Linear | None = None
    task: Task | None = None
    vocab: tuple[str, ...] | None = None
    mode: str = "chars"
    embedding: torch.Tensor | None = None  # [V, input_size] of an uploaded model: token id -> input vector
    labels: tuple[str, ...] | None = None  # names of the head's outputs (a task's classes, or the file's own)
    own_vocab: bool = False  # ``vocab`` is the model's own (an uploaded vocabulary file), not slots
    # [T, input_size] read from a features file: the input, whatever is typed
    features: np.ndarray | None = field(default=None, compare=False)
    prefix: str = ""  # where a checkpoint held the recurrent layer ("" for a bare state_dict)
    found: tuple[str, ...] = ()  # the keys of the embedding and output layer found in a checkpoint
    # what was assumed in reading a file, as i18n keys with their values: (("note_cells", {"names": ...}), ...)
    notes: tuple = field(default=(), compare=False)
    # the output layer's activation where the file says (Keras' Dense: softmax, sigmoid, linear, tanh, relu); None:
    # logits, read through a softmax (or as they are for one output)
    head_activation: str | None = None
    readout: str = "outputs"  # what the head reads at each step (``head_input``)

    def encode(self, text: str) -> Encoded:
        if self.features is not None:
            T = self.features.shape[0]
            return Encoded(tuple(f"#{t}" for t in range(T)), np.zeros(T, np.int64), np.zeros(T, bool), self.features)
        if self.task is not None:
            return self.task.encode(text)
        if self.own_vocab:
            return encode_own_vocab(text, self.vocab, self.mode, self.rnn.input_size, self.embedding)
        enc = encode_text(text, None if self.vocab is None else list(self.vocab), self.mode)
        if self.mode == "numbers":  # each number goes to every input feature of the model
            return replace(enc, x=np.repeat(enc.x, self.rnn.input_size, axis=1))
        return enc
