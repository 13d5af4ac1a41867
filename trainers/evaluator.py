"""Dassl evaluator printing Dassl's result lines plus the metrics medical papers report.

The lines keep Dassl's format ("* accuracy: 81.20%"), so any CoOp-style log parser still works; the
numbers come from medprompt.run.metrics (scikit-learn).
"""

from __future__ import annotations

import os.path as osp
from collections import OrderedDict

import numpy as np
import torch
from dassl.evaluation import EVALUATOR_REGISTRY, EvaluatorBase
from sklearn.metrics import confusion_matrix

from medprompt.run.metrics import classification_metrics
from medprompt.results.plausibility import FLAG_PREFIX, below_chance


@EVALUATOR_REGISTRY.register()
class MedicalClassification(EvaluatorBase):
    def __init__(self, cfg, lab2cname=None, **kwargs):
        super().__init__(cfg)
        self._lab2cname = lab2cname or {}
        self.reset()

    def reset(self):
        self._logits, self._labels = [], []

    def process(self, mo: torch.Tensor, gt: torch.Tensor):
        self._logits.append(mo.detach().float().cpu())
        self._labels.append(gt.detach().cpu())

    def evaluate(self) -> OrderedDict:
        logits, labels = torch.cat(self._logits), torch.cat(self._labels).numpy()
        probs = logits.softmax(dim=1).numpy()
        preds = probs.argmax(axis=1)
        metrics = classification_metrics(labels, preds, probs)
        correct = int((preds == labels).sum())
        lines = ["=> result", f"* total: {len(labels):,}", f"* correct: {correct:,}"]
        lines += [f"* {name}: {value:.2f}%" for name, value in metrics.items()]
        flag = below_chance(correct, len(labels), logits.shape[1])
        if flag:  # after the block, so that CoOp-style parsers read the block as before
            lines.append(FLAG_PREFIX + flag)
        print("\n".join(lines))
        results = OrderedDict(metrics)  # accuracy first: Dassl's trainer returns the first value

        if self.cfg.TEST.PER_CLASS_RESULT:
            print("=> per-class result")
            accs = []
            for label in sorted(set(labels.tolist())):
                hit = preds[labels == label] == label
                accs.append(100.0 * hit.mean())
                name = self._lab2cname.get(label, str(label))
                print(f"* class: {label} ({name})\ttotal: {hit.size:,}\tcorrect: {int(hit.sum()):,}\tacc: {accs[-1]:.2f}%")
            results["perclass_accuracy"] = float(np.mean(accs))
            print(f"* average: {results['perclass_accuracy']:.2f}%")

        if self.cfg.TEST.COMPUTE_CMAT:
            cmat = confusion_matrix(labels, preds, normalize="true")
            path = osp.join(self.cfg.OUTPUT_DIR, "cmat.pt")
            torch.save(torch.from_numpy(cmat), path)
            print(f"Confusion matrix is saved to {path}")
        return results
