"""MedPromptCLIP: deep text prompts learned from LLM descriptions alone (no images).

Each training pair is (class c, one description of c). The prompted template "ctx... {c}." is encoded by
the prompted text encoder and regressed onto the frozen encoder's feature of the description (computed
once and cached). At test time the same prompted template classifies images, for any class name, so
prompts trained on base classes or on one modality's descriptions transfer to new classes and other
modalities.

Options aimed at that transfer (off by default): LOSS centered / contrastive (medprompt/methods/medpromptclip.py), and
VAL_HELDOUT_CLASSES, text-only validation on held-out training classes (medprompt/methods/medpromptclip.py) that Dassl's
TEST.FINAL_MODEL best_val machinery uses in place of validation images.
"""

from __future__ import annotations

import torch
from dassl.engine import TRAINER_REGISTRY
from torch.utils.data import DataLoader, TensorDataset
from yacs.config import CfgNode as CN

from medprompt.data.descriptions import extra_classes
from medprompt.methods.medpromptclip import HELDOUT_KEY, heldout_score, split_heldout_classes
from medprompt.methods.medpromptclip import TextPairLoss
from medprompt.clip.prompts import PromptedClassifier, TextPrompts
from trainers.base import PromptTrainerBase, seeded_generator


def add_config(cfg):
    cfg.TRAINER.MEDPROMPTCLIP = CN()
    c = cfg.TRAINER.MEDPROMPTCLIP
    c.N_CTX = 4
    c.DEPTH = 9  # layers 0..DEPTH-1 get prompts; 1 = shallow
    c.CTX_INIT = "a photo of a"
    c.DESCRIPTIONS = ""  # "" = llm_descriptions/<DATASET.NAME>.json
    c.TRAIN_EXTRA_CLASSES = False  # also train on description classes that are not dataset classes
    # mse (upstream) | l1 | centered (training targets' mean subtracted on both sides) | contrastive
    # (InfoNCE over classes at the backbone's logit scale, the scale test-time logits use): medprompt/methods/medpromptclip.py
    c.LOSS = "mse"
    c.LOSS_SCALE = 1000.0  # multiplies any LOSS (distances between unit vectors are tiny)
    # share of the training classes held out, with all their descriptions, as text-only validation; with
    # TEST.FINAL_MODEL best_val the epoch whose prompts best classify their descriptions is kept; 0 = off
    c.VAL_HELDOUT_CLASSES = 0.0
    c.TEST_TEMPLATES = []  # e.g. ["{}.", "a {modality} of {}."]; empty = the prompted "{}." alone
    # the former name said "weight" for a scale; STACKING.TEXT_LOSS_WEIGHT is a weight, TEXT_LOSS_SCALE this
    cfg.register_renamed_key("TRAINER.MEDPROMPTCLIP.LOSS_WEIGHT", "TRAINER.MEDPROMPTCLIP.LOSS_SCALE",
                             "it multiplies the loss, as STACKING.TEXT_LOSS_SCALE does")


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
        self.test_classifiers = self.template_classifiers(self.classnames)
        return self.prompts

    def template_classifiers(self, names: list[str]) -> list[PromptedClassifier]:
        """One prompted classifier of `names` per test template (TEST_TEMPLATES, else "{}.")."""
        templates = list(self.opts.TEST_TEMPLATES) or ["{}."]
        return [PromptedClassifier(self.text_encoder, names, self.prompts,
                                   template.replace("{modality}", self.modality)).to(self.device)
                for template in templates]

    def checkpoint_meta(self) -> dict:
        return {**super().checkpoint_meta(), "n_ctx": self.opts.N_CTX, "depth": self.prompts.depth}

    # -- text-only training ---------------------------------------------------------------------
    def training_classes(self) -> tuple[list[str], list[list[str]]]:
        """The dataset's (possibly base-only) classes with their descriptions, plus, when asked, the
        description file's classes that are not classes of this dataset at all."""
        path, descriptions, per_class = self.class_texts(self.opts.DESCRIPTIONS)
        spec = getattr(self.dataset, "spec", None)
        names = self.classnames
        if self.opts.TRAIN_EXTRA_CLASSES:
            # every class of the dataset counts as known, so new classes stay unseen in base training
            all_names = list(spec.classnames) if spec else names
            all_aliases = self.class_aliases(all_names)
            extra = extra_classes(descriptions, all_names, all_aliases)
            print(f"Extra training classes from {path}: {list(extra)}")
            names = names + list(extra)
            per_class = per_class + list(extra.values())
        return names, per_class

    def hold_out_classes(self, names: list[str], per_class: list[list[str]]) -> tuple[list[str], list[list[str]]]:
        """Set aside VAL_HELDOUT_CLASSES of the training classes as text-only validation (self.heldout:
        their template classifiers, description features and description classes); returns the rest."""
        self.heldout = None
        share = float(self.opts.VAL_HELDOUT_CLASSES)
        if share == 0:
            return names, per_class
        seed = max(self.cfg.SEED, 0)  # unseeded runs all hold out the same classes
        kept, held = split_heldout_classes(names, share, seed)
        held_names = [names[i] for i in held]
        held_classes, _, held_texts = description_pairs([per_class[i] for i in held])
        features = self.frozen_text_features(held_texts, source=f"held-out descriptions of {self.cfg.DATASET.NAME}")
        self.heldout = (self.template_classifiers(held_names), features, held_classes.to(self.device))
        print(f"Held-out validation classes ({HELDOUT_KEY} {share}, seed {seed}): {len(held)} of {len(names)} "
              f"training classes, {len(held_texts)} descriptions, no images: {held_names}")
        if self.cfg.TEST.FINAL_MODEL != "best_val":
            print("TEST.FINAL_MODEL is not best_val: the held-out score is logged, the last epoch is kept")
        return [names[i] for i in kept], [per_class[i] for i in kept]

    def before_train(self):
        names, per_class = self.hold_out_classes(*self.training_classes())
        class_ids, desc_ids, texts = description_pairs(per_class)
        print(f"Text-only training: {len(names)} classes, {len(texts)} descriptions")
        self.targets = self.frozen_text_features(texts, source=f"descriptions of {self.cfg.DATASET.NAME}")
        self.loss = TextPairLoss(self.opts.LOSS, self.opts.LOSS_SCALE, self.targets, class_ids.to(self.device),
                                 self.logit_scale)
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
        loss = self.loss(pred, desc_ids)
        self.model_backward_and_update(loss)
        return {"loss": loss.item()}

    # -- checkpoint selection on held-out classes ----------------------------------------------
    def after_epoch(self):
        if self.heldout is not None and self.cfg.TEST.FINAL_MODEL != "best_val":
            self.score_heldout()  # logged only; with best_val, Dassl asks for it through test("val")
        super().after_epoch()

    @torch.no_grad()
    def test(self, split=None):
        """With held-out classes, "val" (Dassl's checkpoint selection) is their text-only score."""
        if split == "val" and getattr(self, "heldout", None) is not None:
            return self.score_heldout()
        return super().test(split)

    @torch.no_grad()
    def score_heldout(self) -> float:
        """Accuracy (%) of classifying the held-out descriptions by the prompted held-out templates."""
        self.set_model_mode("eval")
        classifiers, features, classes = self.heldout
        with self.autocast():
            score = heldout_score(mean_class_features(classifiers), features, classes)
        print(f"Held-out classes, epoch {self.epoch + 1}/{self.max_epoch}: accuracy {score.accuracy:.1f}%, "
              f"mean rank {score.mean_rank:.2f} of {len(classifiers[0].classnames)}")
        self.write_scalar("heldout/accuracy", score.accuracy, self.epoch)
        self.write_scalar("heldout/mean_rank", score.mean_rank, self.epoch)
        return score.accuracy

    def class_text_features(self):
        return mean_class_features(self.test_classifiers)


def mean_class_features(classifiers: list[PromptedClassifier]) -> torch.Tensor:
    """[C, D]: per class, the normalised mean of its normalised prompted features over the templates."""
    feats = [torch.nn.functional.normalize(c().float(), dim=-1) for c in classifiers]
    return torch.nn.functional.normalize(torch.stack(feats).mean(0), dim=-1)
