"""MaPLe: deep text prompts and vision prompts coupled to them (medprompt/methods/maple.py), trained with
cross-entropy on images.

The vision prompts change the image features, so there is no image cache: training and evaluation run
every image through the prompted image tower (medprompt/clip/vision_encoder.py), and evaluation uses Dassl's
generic loop with the class text features computed once per evaluation.
"""

from __future__ import annotations

import warnings

import torch
from dassl.engine import TRAINER_REGISTRY, TrainerX
from yacs.config import CfgNode as CN

from medprompt.utils.errors import ConfigError
from medprompt.clip.logits import cosine_logits
from medprompt.methods.maple import CoupledPrompts
from medprompt.clip.vision_encoder import PromptedVisionEncoder
from trainers.coop import CoOp, TrainStep, add_prompt_keys
from trainers.stacking import add_stacking_config


def add_config(cfg):
    cfg.TRAINER.MAPLE = CN()
    # "a photo" in the two learned slots then "of a {}.": the upstream prompt "a photo of a {class}."
    add_prompt_keys(cfg.TRAINER.MAPLE, n_ctx=2, ctx_init="a photo", depth=9, template="of a {}.")
    add_stacking_config(cfg)


@TRAINER_REGISTRY.register()
class MaPLe(CoOp):
    OPTS = "MAPLE"

    def build_learner(self):
        if self.opts.CSC:
            raise ConfigError("TRAINER.MAPLE.CSC: MaPLe couples one shared context to the image tower; set CSC False")
        prompts = super().build_learner()
        self.vision = PromptedVisionEncoder(self.clip)
        self.coupled = CoupledPrompts(prompts, self.vision, self.text_encoder.width)
        if prompts.depth > self.vision.num_layers:
            warnings.warn(f"TRAINER.MAPLE.DEPTH={prompts.depth} but this image tower has {self.vision.num_layers} "
                          f"layers: vision prompts in {self.coupled.vision_depth} layers, text prompts in {prompts.depth}")
        print(f"Vision prompts in {self.coupled.vision_depth} of {self.vision.num_layers} image layers")
        self._eval_text = None
        return self.coupled

    def checkpoint_meta(self) -> dict:
        return {**super().checkpoint_meta(), "vision_depth": self.coupled.vision_depth}

    def encode_prompted_images(self, images):
        ctx, deep = self.coupled.vision_prompts()
        return self.vision(images, ctx, deep)

    def train_step(self, images):  # prompted image features: no frozen features for the extra terms
        class_features = self.classifier()
        return TrainStep(cosine_logits(self.encode_prompted_images(images), class_features, self.logit_scale),
                         class_features)

    @torch.no_grad()
    def _test(self, split):
        self.set_model_mode("eval")
        on_test = not (split == "val" and self.val_loader is not None)  # as Dassl's test() picks its loader
        self._predictions = [] if on_test and getattr(self, "_trained", False) else None
        try:
            result = self._image_pass(lambda: TrainerX.test(self, split))  # no cache for prompted images
            if self._predictions is not None:  # was anything learnt that the test images see?
                trained, self._predictions = self._predictions, []
                with self.initial_learner():
                    self._image_pass(lambda: self.predict(self.test_loader))
                self.flag_if_unchanged(trained, self._predictions)
            return result
        finally:
            self._predictions = None

    def _image_pass(self, run):
        """`run` with the prompted class vectors computed once, from the learner as it is now."""
        with self.autocast():
            self._eval_text = self.classifier()
        try:
            return run()
        finally:
            self._eval_text = None

    def predict(self, loader) -> None:
        for batch in loader:
            self.model_inference(self.parse_batch_test(batch)[0])

    def model_inference(self, images):
        with self.autocast():
            text = self._eval_text if self._eval_text is not None else self.classifier()
            logits = cosine_logits(self.encode_prompted_images(images), text, self.logit_scale)
        if getattr(self, "_predictions", None) is not None:
            self._predictions += logits.argmax(1).tolist()
        return logits


@TRAINER_REGISTRY.register()
class MedPromptCLIP_MaPLe(MaPLe):  # noqa: N801  (the method's name: MedPromptCLIP + MaPLe)
    """MaPLe whose text prompts start from MedPromptCLIP's (TRAINER.STACKING.INIT_FROM, required),
    optionally with MedPromptCLIP's loss as an auxiliary term. Its keys are MaPLe's."""

    REQUIRE_INIT = True
