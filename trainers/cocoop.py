"""CoCoOp: CoOp's context plus a per-image shift from a small meta-network (medprompt/methods/cocoop.py).

The image encoder is frozen, so evaluation still runs on cached image features: the logits are a
function of the image feature alone (`logits` below).
"""

from __future__ import annotations

from dassl.engine import TRAINER_REGISTRY
from torch import nn
from yacs.config import CfgNode as CN

from medprompt.methods.cocoop import MetaNet, conditional_logits
from medprompt.utils.errors import ConfigError
from trainers.coop import CoOp, TrainStep, add_prompt_keys
from trainers.stacking import add_stacking_config


def add_config(cfg):
    cfg.TRAINER.COCOOP = CN()
    add_prompt_keys(cfg.TRAINER.COCOOP, n_ctx=4, ctx_init="a photo of a")
    add_stacking_config(cfg)


class CoCoOpLearner(nn.Module):
    """Everything CoCoOp learns: the context vectors and the meta-network."""

    def __init__(self, prompts: nn.Module, meta_net: MetaNet):
        super().__init__()
        self.prompts = prompts
        self.meta_net = meta_net


@TRAINER_REGISTRY.register()
class CoCoOp(CoOp):
    OPTS = "COCOOP"

    def build_learner(self):
        if self.opts.CSC:
            raise ConfigError("TRAINER.COCOOP.CSC: CoCoOp shifts one shared context per image; set CSC False")
        if self.opts.CLASS_TOKEN_POSITION != "end":
            raise ConfigError("TRAINER.COCOOP.CLASS_TOKEN_POSITION: CoCoOp (as published) puts the class name at the "
                              "end; set it to end")
        prompts = super().build_learner()
        self.meta_net = MetaNet(self.embed_dim, self.text_encoder.width)
        return CoCoOpLearner(prompts, self.meta_net)

    def train_step(self, images):
        image_features = self.encode_images(images)
        logits = conditional_logits(self.classifier, self.meta_net, image_features, self.logit_scale)
        return TrainStep(logits, None, image_features)

    def logits(self, image_features):
        return conditional_logits(self.classifier, self.meta_net, image_features, self.logit_scale)
