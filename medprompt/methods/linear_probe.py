"""Linear probe on frozen image features: scikit-learn's logistic regression, with the inverse
regularisation strength C chosen by accuracy on the validation split (the CLIP and CoOp baseline).

Features are L2-normalised first, as every other method of the project compares normalised features.
The fitted model is returned as a weight matrix and bias, so a torch layer can hold and checkpoint it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from medprompt.utils.errors import ConfigError

DEFAULT_C_GRID = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)


@dataclass(frozen=True)
class ProbeFit:
    weight: Tensor  # [C, D]
    bias: Tensor  # [C]
    best_c: float
    val_accuracy: float  # percent, of the chosen C
    scores: dict[float, float]  # validation accuracy (percent) of every C tried


def _as_numpy(features: Tensor) -> np.ndarray:
    return F.normalize(features.float(), dim=-1).cpu().numpy()


def _weights(model, num_classes: int) -> tuple[Tensor, Tensor]:
    """[C, D] and [C] with the classes in label order; a binary model's single row becomes two."""
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] == 1:  # sklearn keeps one row for two classes: softmax([-z/2, z/2]) = sigmoid(z)
        coef, intercept = np.concatenate([-coef, coef]) / 2, np.concatenate([-intercept, intercept]) / 2
    weight = np.zeros((num_classes, coef.shape[1]))
    bias = np.full(num_classes, -1e4)  # a class absent from training is never predicted
    weight[model.classes_], bias[model.classes_] = coef, intercept
    return torch.tensor(weight, dtype=torch.float32), torch.tensor(bias, dtype=torch.float32)


def fit_linear_probe(
    train_features: Tensor,
    train_labels: Tensor,
    val_features: Tensor,
    val_labels: Tensor,
    num_classes: int,
    c_grid: Sequence[float] = DEFAULT_C_GRID,
    max_iter: int = 1000,
) -> ProbeFit:
    """Fit one logistic regression per C on train, keep the C with the best validation accuracy
    (the smallest C on ties), and return that model."""
    if not c_grid:
        raise ConfigError("TRAINER.LINEAR_PROBE.C_GRID is empty: give at least one value of C")
    if len(set(train_labels.tolist())) < 2:
        raise ConfigError("A linear probe needs training images of at least two classes")
    from sklearn.linear_model import LogisticRegression  # here: 0.13 s a run of any other method need not pay

    x_train, y_train = _as_numpy(train_features), train_labels.cpu().numpy()
    x_val, y_val = _as_numpy(val_features), val_labels.cpu().numpy()
    scores, models = {}, {}
    for c in sorted(float(v) for v in c_grid):
        model = LogisticRegression(C=c, max_iter=max_iter)
        model.fit(x_train, y_train)
        scores[c] = 100.0 * float((model.predict(x_val) == y_val).mean())
        models[c] = model
    best = max(scores, key=lambda c: (scores[c], -c))
    weight, bias = _weights(models[best], num_classes)
    return ProbeFit(weight, bias, best, scores[best], scores)


def probe_logits(features: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """[N, C] logits of the probe on (unnormalised) features."""
    return F.normalize(features.float(), dim=-1) @ weight.t() + bias
