"""CoOp: learnable context vectors before the class name, trained with cross-entropy on images.

"X X ... X {class}." with N_CTX learned vectors (shared by all classes, or one set per class with CSC),
the class token at the end; both encoders frozen. The same class is the base of the other image-trained
prompt methods here (KgCoOp, CoCoOp, MaPLe): one training step, one checkpoint format, and the
MedPromptCLIP stacking hooks (trainers/stacking.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from dassl.engine import TRAINER_REGISTRY
from dassl.metrics import compute_accuracy
from torch import Tensor
from yacs.config import CfgNode as CN

from medprompt.clip.logits import cosine_logits
from medprompt.clip.prompts import PromptedClassifier, TextPrompts
from trainers.base import PromptTrainerBase
from trainers.stacking import StackingMixin, add_stacking_config


@dataclass
class TrainStep:
    """What one training batch produced: the logits, and for the extra terms the prompted class features
    [C, D] and the frozen image features [B, D] when the method has them."""

    logits: Tensor
    class_features: Tensor | None = None
    image_features: Tensor | None = None


def add_prompt_keys(node: CN, n_ctx: int, ctx_init: str, depth: int = 1, template: str = "{}.") -> None:
    """The prompt keys every CoOp-family trainer declares under its own TRAINER.<NAME> node."""
    node.N_CTX = n_ctx
    node.CTX_INIT = ctx_init  # initialise from these words when they take exactly N_CTX tokens
    node.DEPTH = depth  # 1 = shallow (CoOp); >1 also prompts layers 1..DEPTH-1 of the text tower
    node.TEMPLATE = template  # text after the context; "{}" is the class name, which ends the prompt
    node.CSC = False  # class-specific context
    node.CLASS_TOKEN_POSITION = "end"  # end, middle or front: where the class name sits among the context (CoOp)


def add_config(cfg):
    cfg.TRAINER.COOP = CN()
    add_prompt_keys(cfg.TRAINER.COOP, n_ctx=16, ctx_init="")
    add_stacking_config(cfg)


@TRAINER_REGISTRY.register()
class CoOp(StackingMixin, PromptTrainerBase):
    OPTS = "COOP"  # the TRAINER.<node> holding this method's keys

    @property
    def opts(self):
        return self.cfg.TRAINER[self.OPTS]

    def build_learner(self):
        o = self.opts
        depth = self.prompt_depth(f"TRAINER.{self.OPTS}.DEPTH", o.DEPTH)
        n_cls = len(self.classnames) if o.CSC else 0
        self.prompts = TextPrompts(self.text_encoder, o.N_CTX, depth, o.CTX_INIT, n_cls)
        self.classifier = PromptedClassifier(self.text_encoder, self.classnames, self.prompts, o.TEMPLATE,
                                             o.CLASS_TOKEN_POSITION).to(self.device)
        print(f"Prompts: N_CTX={o.N_CTX}, DEPTH={depth}, CSC={bool(o.CSC)}, template {o.TEMPLATE!r}, "
              f"class token {o.CLASS_TOKEN_POSITION}, "
              f"initialised from {self.prompts.initialised_from!r}")
        self.check_stacking_config()
        return self.prompts

    def checkpoint_meta(self) -> dict:
        return {**super().checkpoint_meta(), "n_ctx": self.opts.N_CTX, "depth": self.prompts.depth,
                "csc": self.prompts.class_specific, "class_token_position": self.classifier.position}

    def before_train(self):
        self.stacking_before_train()
        super().before_train()

    # -- training --------------------------------------------------------------------------------
    @torch.no_grad()
    def encode_images(self, images: Tensor) -> Tensor:
        return self.clip.encode_image(images)

    def train_step(self, images: Tensor) -> TrainStep:
        """The prompted logits of a training batch, with the features they came from."""
        image_features = self.encode_images(images)
        class_features = self.classifier()
        return TrainStep(cosine_logits(image_features, class_features, self.logit_scale), class_features, image_features)

    def extra_losses(self, class_features: Tensor | None, step: TrainStep | None = None) -> dict[str, Tensor]:
        """Terms added to the cross-entropy (each logged by name)."""
        if float(self.stacking.TEXT_LOSS_WEIGHT) == 0:
            return {}
        features = class_features if class_features is not None else self.classifier()
        return {"text_loss": self.text_aux_loss(features)}

    def compute_loss(self, batch) -> tuple[Tensor, dict[str, float]]:
        """The training loss of one batch and what to log about it."""
        loss, summary, _ = self.step_loss(*self.parse_batch_train(batch))
        return loss, summary

    def step_loss(self, images: Tensor, labels: Tensor) -> tuple[Tensor, dict[str, float], TrainStep]:
        """Cross-entropy plus the extra terms of one batch, what to log, and the step they came from."""
        with self.autocast():
            step = self.train_step(images)
        ce = F.cross_entropy(step.logits.float(), labels)
        extra = self.extra_losses(step.class_features, step)
        loss = ce + sum(extra.values()) if extra else ce
        summary = {"loss": loss.item(), "acc": compute_accuracy(step.logits, labels)[0].item()}
        if extra:
            summary.update({"ce": ce.item(), **{k: v.item() for k, v in extra.items()}})
        return loss, summary, step

    def forward_backward(self, batch):
        loss, summary = self.compute_loss(batch)
        self.model_backward_and_update(loss)
        return summary

    def class_text_features(self):
        return self.classifier()


@TRAINER_REGISTRY.register()
class MedPromptCLIP_CoOp(CoOp):  # noqa: N801  (the method's name: MedPromptCLIP + CoOp)
    """CoOp started from MedPromptCLIP's text-only prompts (TRAINER.STACKING.INIT_FROM, required),
    optionally with MedPromptCLIP's loss as an auxiliary term. Its keys are CoOp's."""

    REQUIRE_INIT = True
