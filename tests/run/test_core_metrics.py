"""Metrics against values computed by hand."""

import math

import numpy as np
import pytest

from medprompt.run.metrics import classification_metrics, macro_specificity


def test_three_class_example_by_hand():
    y_true = [0, 0, 0, 1, 1, 2]
    y_pred = [0, 0, 1, 1, 2, 2]
    # confident, correct-ranking probabilities: each row puts most mass on y_pred
    probs = np.full((6, 3), 0.1)
    probs[np.arange(6), y_pred] = 0.8
    m = classification_metrics(y_true, y_pred, probs)
    assert m["accuracy"] == pytest.approx(400 / 6)
    assert m["error"] == pytest.approx(200 / 6)
    # per-class recall 2/3, 1/2, 1 -> balanced accuracy 13/18
    assert m["balanced_accuracy"] == pytest.approx(100 * 13 / 18)
    # F1: class0 P=1 R=2/3 -> 0.8; class1 P=1/2 R=1/2 -> 0.5; class2 P=1/2 R=1 -> 2/3
    assert m["macro_f1"] == pytest.approx(100 * (0.8 + 0.5 + 2 / 3) / 3)
    # kappa: po = 4/6; pe = (3*2 + 2*2 + 1*2)/36 = 12/36
    assert m["kappa"] == pytest.approx(100 * (4 / 6 - 1 / 3) / (1 - 1 / 3))
    # specificity: class0 TN=3 FP=0 -> 1; class1 TN=3 FP=1 -> 3/4; class2 TN=4 FP=1 -> 4/5
    assert m["macro_specificity"] == pytest.approx(100 * (1 + 0.75 + 0.8) / 3)


def test_auc_binary_and_perfect_ranking():
    y_true = [0, 0, 1, 1]
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.3, 0.7], [0.2, 0.8]])
    m = classification_metrics(y_true, probs.argmax(1), probs)
    # positives 0.7, 0.8 vs negatives 0.1, 0.6: all 4 pairs ordered -> AUC 1
    assert m["macro_auc"] == pytest.approx(100.0)
    probs[1] = [0.1, 0.9]  # one negative above both positives: 2 of 4 pairs wrong
    assert classification_metrics(y_true, probs.argmax(1), probs)["macro_auc"] == pytest.approx(50.0)


def test_auc_is_nan_with_one_class_present():
    m = classification_metrics([1, 1], [1, 0], np.array([[0.2, 0.8], [0.6, 0.4]]))
    assert math.isnan(m["macro_auc"])


def test_specificity_counts_classes_never_predicted():
    assert macro_specificity(np.array([0, 1]), np.array([0, 0]), np.array([0, 1])) == pytest.approx(0.5)
