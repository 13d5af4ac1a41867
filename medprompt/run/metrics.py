"""Classification metrics used in medical imaging papers, computed with scikit-learn.

Accuracy and macro-F1 as Dassl reports them (F1 averaged over the classes present in the labels), plus
balanced accuracy, Cohen's kappa, macro one-vs-rest AUC and macro specificity. Every value is a
percentage, so Dassl-style log lines ("* kappa: 61.20%") stay parseable by one pattern.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, cohen_kappa_score, confusion_matrix,
                             f1_score, roc_auc_score)

METRIC_NAMES = ("accuracy", "error", "macro_f1", "balanced_accuracy", "kappa", "macro_auc", "macro_specificity")


def macro_specificity(y_true: np.ndarray, y_pred: np.ndarray, labels: np.ndarray) -> float:
    """Mean over classes of TN / (TN + FP), one class against the rest."""
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    total = cm.sum()
    specs = []
    for k in range(len(labels)):
        fp = cm[:, k].sum() - cm[k, k]
        tn = total - cm[k, :].sum() - cm[:, k].sum() + cm[k, k]
        if tn + fp > 0:
            specs.append(tn / (tn + fp))
    return float(np.mean(specs)) if specs else float("nan")


def macro_auc(y_true: np.ndarray, probs: np.ndarray) -> float:
    """One-vs-rest AUC averaged over the classes present in y_true (NaN with fewer than two)."""
    present = np.unique(y_true)
    if len(present) < 2:
        return float("nan")
    if probs.shape[1] == 2:
        return float(roc_auc_score(y_true, probs[:, 1]))
    aucs = [roc_auc_score(y_true == k, probs[:, k]) for k in present]
    return float(np.mean(aucs))


def classification_metrics(y_true, y_pred, probs) -> dict[str, float]:
    """All metrics of METRIC_NAMES, as percentages. probs: [N, C] class probabilities."""
    y_true, y_pred, probs = np.asarray(y_true), np.asarray(y_pred), np.asarray(probs, dtype=np.float64)
    present = np.unique(y_true)
    labels = np.arange(probs.shape[1])
    acc = accuracy_score(y_true, y_pred)
    return {
        "accuracy": 100 * acc,
        "error": 100 * (1 - acc),
        "macro_f1": 100 * f1_score(y_true, y_pred, average="macro", labels=present),
        "balanced_accuracy": 100 * balanced_accuracy_score(y_true, y_pred),
        "kappa": 100 * cohen_kappa_score(y_true, y_pred, labels=labels),
        "macro_auc": 100 * macro_auc(y_true, probs),
        "macro_specificity": 100 * macro_specificity(y_true, y_pred, labels),
    }
