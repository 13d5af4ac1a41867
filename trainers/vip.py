"""ViP trainer: visual-symptom prompts (Context Prompt + Merge Prompt, medprompt.methods.vip) learned with
cross-entropy on labelled images through the frozen image encoder.

Symptoms come from llm_descriptions/symptoms/<DATASET.NAME>.json ({class: [symptoms]}) unless
TRAINER.VIP.SYMPTOMS names another file. Both encoders stay frozen, so training encodes its (augmented)
batch with the frozen image encoder and evaluation uses the cached image features of the base trainer.
"""

from __future__ import annotations

import torch
from dassl.engine import TRAINER_REGISTRY
from dassl.metrics import compute_accuracy
from yacs.config import CfgNode as CN

from medprompt.run.feature_cache import content_key
from medprompt.methods.vip import ViPLearner, vip_loss
from trainers.base import PromptTrainerBase

SYMPTOM_DIR = "symptoms"


def add_config(cfg):
    cfg.TRAINER.VIP = CN()
    cfg.TRAINER.VIP.N_CTX = 4  # M context vectors shared by every class and symptom
    cfg.TRAINER.VIP.CTX_INIT = ""  # "" = N(0, 0.02); else a text of exactly N_CTX tokens
    cfg.TRAINER.VIP.SYMPTOMS = ""  # "" = llm_descriptions/symptoms/<DATASET.NAME>.json


@TRAINER_REGISTRY.register()
class ViP(PromptTrainerBase):
    """Visual-symptom prompts; trainable: context vectors, g, W_q, W_k."""

    @property
    def opts(self):
        return self.cfg.TRAINER.VIP

    def build_learner(self):
        o = self.opts
        symptom_file, _, self.symptoms = self.class_texts(o.SYMPTOMS, SYMPTOM_DIR)
        self.vip = ViPLearner(self.text_encoder, self.symptoms, o.N_CTX, o.CTX_INIT, self.classnames)
        print(f"ViP: {len(self.symptoms)} classes, {sum(map(len, self.symptoms))} symptoms from "
              f"{symptom_file}; N_CTX={o.N_CTX}, context from {self.vip.prompts.initialised_from!r}")
        return self.vip

    def checkpoint_meta(self) -> dict:
        # g_c and the attention were learned for these symptom texts: another file is another model
        return {**super().checkpoint_meta(), "n_ctx": self.opts.N_CTX,
                "symptoms": content_key({"symptoms": self.symptoms})}

    # -- training --------------------------------------------------------------------------------
    def forward_backward(self, batch):
        images, labels = self.parse_batch_train(batch)
        with self.autocast():
            with torch.no_grad():
                image_features = self.clip.encode_image(images)
            class_features = self.vip().class_features
        loss, logits = vip_loss(image_features, class_features, labels, self.logit_scale)
        self.model_backward_and_update(loss)
        return {"loss": loss.item(), "acc": compute_accuracy(logits, labels)[0].item()}

    # -- evaluation ------------------------------------------------------------------------------
    def class_text_features(self):
        return self.vip().class_features
