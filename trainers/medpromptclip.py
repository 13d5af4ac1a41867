"""MedPromptCLIP: deep text prompts learned from LLM descriptions alone (no images).

Each training pair is (class c, one description of c). The prompted template "ctx... {c}." is encoded by
the prompted text encoder and regressed onto the frozen encoder's feature of the description (computed
once and cached). At test time the same prompted template classifies images, for any class name, so
prompts trained on base classes or on one modality's descriptions transfer to new classes and other
modalities.
"""

from __future__ import annotations

import torch
from dassl.engine import TRAINER_REGISTRY
from torch.utils.data import DataLoader, TensorDataset
from yacs.config import CfgNode as CN

from medprompt.descriptions import extra_classes, load_descriptions
from medprompt.losses import text_to_text_loss
from medprompt.prompts import PromptedClassifier, TextPrompts
from trainers.base import PromptTrainerBase, resolve_description_file, seeded_generator


def add_config(cfg):
    cfg.TRAINER.MEDPROMPTCLIP = CN()
    c = cfg.TRAINER.MEDPROMPTCLIP
    c.N_CTX = 4
    c.DEPTH = 9  # layers 0..DEPTH-1 get prompts; 1 = shallow
    c.CTX_INIT = "a photo of a"
    c.DESCRIPTIONS = ""  # "" = llm_descriptions/<DATASET.NAME>.json
    c.TRAIN_EXTRA_CLASSES = False  # also train on description classes that are not dataset classes
    c.LOSS = "mse"  # mse | l1
    c.LOSS_WEIGHT = 1000.0
    c.TEST_TEMPLATES = []  # e.g. ["{}.", "a {modality} of {}."]; empty = the prompted "{}." alone


def description_pairs(per_class: list[list[str]]) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """(class index, description index) for every description, and the flat list of descriptions."""
    class_ids, texts = [], []
    for c, sentences in enumerate(per_class):
        class_ids += [c] * len(sentences)
        texts += sentences
    return torch.tensor(class_ids), torch.arange(len(texts)), texts


@TRAINER_REGISTRY.register()
class MedPromptCLIP(PromptTrainerBase):
    TEXT_ONLY = True

    @property
    def opts(self):
        return self.cfg.TRAINER.MEDPROMPTCLIP

    def build_learner(self):
        o = self.opts
        depth = self.prompt_depth("TRAINER.MEDPROMPTCLIP.DEPTH", o.DEPTH)
        self.prompts = TextPrompts(self.text_encoder, o.N_CTX, depth, o.CTX_INIT)
        print(f"Prompts: N_CTX={o.N_CTX}, DEPTH={depth}, initialised from {self.prompts.initialised_from!r}")
        templates = list(o.TEST_TEMPLATES) or ["{}."]
        self.test_classifiers = [
            PromptedClassifier(self.text_encoder, self.classnames, self.prompts,
                               template.replace("{modality}", self.modality)).to(self.device)
            for template in templates
        ]
        return self.prompts

    def checkpoint_meta(self) -> dict:
        return {**super().checkpoint_meta(), "n_ctx": self.opts.N_CTX, "depth": self.prompts.depth}

    # -- text-only training ---------------------------------------------------------------------
    def training_classes(self) -> tuple[list[str], list[list[str]]]:
        """The dataset's (possibly base-only) classes with their descriptions, plus, when asked, the
        description file's classes that are not classes of this dataset at all."""
        path = resolve_description_file(self.opts.DESCRIPTIONS, self.cfg.DATASET.NAME)
        descriptions = load_descriptions(path)
        spec = getattr(self.dataset, "spec", None)
        names = self.classnames
        per_class = self.match_class_texts(descriptions, source=path)
        if self.opts.TRAIN_EXTRA_CLASSES:
            # every class of the dataset counts as known, so new classes stay unseen in base training
            all_names = list(spec.classnames) if spec else names
            all_aliases = self.class_aliases(all_names)
            extra = extra_classes(descriptions, all_names, all_aliases)
            print(f"Extra training classes from {path}: {list(extra)}")
            names = names + list(extra)
            per_class = per_class + list(extra.values())
        return names, per_class

    def before_train(self):
        names, per_class = self.training_classes()
        class_ids, desc_ids, texts = description_pairs(per_class)
        print(f"Text-only training: {len(names)} classes, {len(texts)} descriptions")
        self.targets = self.frozen_text_features(texts, source=f"descriptions of {self.cfg.DATASET.NAME}")
        self.train_classifier = PromptedClassifier(self.text_encoder, names, self.prompts).to(self.device)
        self.train_loader_x = DataLoader(
            TensorDataset(class_ids, desc_ids),
            batch_size=self.cfg.DATALOADER.TRAIN_X.BATCH_SIZE,
            shuffle=True,
            generator=seeded_generator(self.cfg.SEED),
        )
        super().before_train()

    def forward_backward(self, batch):
        class_ids, desc_ids = (t.to(self.device) for t in batch)
        # each class's template is encoded once per step, however many of its descriptions are in the batch
        unique, inverse = class_ids.unique(return_inverse=True)
        with self.autocast():
            pred = self.train_classifier(unique)[inverse]
        loss = text_to_text_loss(pred, self.targets[desc_ids], self.opts.LOSS, self.opts.LOSS_WEIGHT)
        self.model_backward_and_update(loss)
        return {"loss": loss.item()}

    def class_text_features(self):
        feats = [torch.nn.functional.normalize(c().float(), dim=-1) for c in self.test_classifiers]
        return torch.nn.functional.normalize(torch.stack(feats).mean(0), dim=-1)
