"""ProGrad: CoOp whose cross-entropy gradient is projected, tensor by tensor, off the direction that
conflicts with the gradient of the distillation term toward the zero-shot classifier
(medprompt/methods/prograd.py). The zero-shot logits use the frozen "a photo of a {}." class features."""

from __future__ import annotations

import torch
from dassl.engine import TRAINER_REGISTRY
from yacs.config import CfgNode as CN

from medprompt.clip.logits import cosine_logits
from medprompt.methods.prograd import distillation_loss, project_conflicting
from trainers.coop import CoOp, add_prompt_keys
from trainers.stacking import add_stacking_config


def add_config(cfg):
    cfg.TRAINER.PROGRAD = CN()
    add_prompt_keys(cfg.TRAINER.PROGRAD, n_ctx=4, ctx_init="a photo of a")
    cfg.TRAINER.PROGRAD.LAMBDA = 1.0  # share of the conflicting component removed
    cfg.TRAINER.PROGRAD.T = 1.0  # distillation temperature
    cfg.TRAINER.PROGRAD.ZS_TEMPLATE = "a photo of a {}."  # "{modality}" is filled from the dataset
    add_stacking_config(cfg)


@TRAINER_REGISTRY.register()
class ProGrad(CoOp):
    OPTS = "PROGRAD"

    def build_learner(self):
        learner = super().build_learner()
        self.zeroshot_features = self.template_features(self.opts.ZS_TEMPLATE, source="TRAINER.PROGRAD.ZS_TEMPLATE")
        return learner

    def forward_backward(self, batch):
        loss, summary, step = self.step_loss(*self.parse_batch_train(batch))
        with self.autocast():
            zeroshot = cosine_logits(step.image_features, self.zeroshot_features, self.logit_scale)
        guide_loss = distillation_loss(step.logits, zeroshot, float(self.opts.T))
        params = [p for p in self.learner.parameters() if p.requires_grad]
        guides = torch.autograd.grad(guide_loss, params, retain_graph=True, allow_unused=True)
        self.model_zero_grad()
        self.model_backward(loss)
        for param, guide in zip(params, guides):
            if param.grad is not None and guide is not None:
                param.grad = project_conflicting(param.grad, guide, float(self.opts.LAMBDA))
        self.model_update()
        summary["kl_loss"] = guide_loss.item()
        return summary
