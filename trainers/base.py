"""What every trainer of the project shares, on top of Dassl's TrainerX.

- the backbone: loaded through open_clip by MODEL.BACKBONE.NAME / WEIGHTS, frozen, kept out of every
  registered module so checkpoints hold only what was learned;
- the optimiser from Dassl's OPTIM keys and the schedule from medprompt.run.schedule (stock Dassl's warm-up
  wrapper fails on current torch);
- checkpoints that record the backbone and prompt shape, reloaded with `weights_only=True`, tolerant of
  a missing validation result, refused with a clear message when they do not fit;
- evaluation on cached image features whenever the image encoder is frozen and the classifier is a set
  of class text vectors.
"""

from __future__ import annotations

import contextlib
import functools
import os
import warnings

import torch
from dassl.data.data_manager import DataManager, build_data_loader
from dassl.engine import TrainerX
from dassl.optim import build_optimizer
from torch import nn

from datasets.wrapper import DecodingDatasetWrapper
from medprompt.data.decode import DecodeRule, rule_from_cfg
from medprompt.run import checkpoints
from medprompt.clip.backbones import load_backbone
from medprompt.data.descriptions import load_descriptions, match_descriptions, resolve_description_file, truncate_to_context
from medprompt.run.feature_cache import FeatureCache, content_key, file_id
from medprompt.utils.paths import cache_root
from medprompt.clip.image_features import encode_loader, loader_settings
from medprompt.clip.logits import cosine_logits
from medprompt.run.schedule import build_lr_scheduler
from medprompt.clip.text_encoder import PromptedTextEncoder
from medprompt.utils.threads import available_cores
from medprompt.utils.timing import RUN_TIMER
from medprompt.methods.zeroshot import fill_template
from trainers.checkpointing import CheckpointMixin
from trainers.plausibility import PlausibilityMixin
from medprompt.run.config_checks import check_trainer_config

LEARNER = "prompt_learner"


class PromptTrainerBase(CheckpointMixin, PlausibilityMixin, TrainerX):
    """Base of every method. Subclasses implement `build_learner` (return the module holding every
    trainable tensor, or None) and either `class_text_features` (a text classifier) or
    `model_inference`."""

    TEXT_ONLY = False  # True: training never reads images, so training images need not exist

    def check_cfg(self, cfg):
        """Dassl calls this first in TrainerX.__init__: every key of this trainer in its range or form
        (medprompt/run/config_checks.py), before any data is read or the backbone built."""
        check_trainer_config(cfg, type(self).__name__)

    # -- data ----------------------------------------------------------------------------------
    def build_data_loader(self):
        """TrainerX's, with images read by medprompt.data.decode (datasets/wrapper.py), and training
        images allowed to be absent for text-only methods."""
        cfg = self.cfg
        if self.TEXT_ONLY and "REQUIRE_TRAIN_IMAGES" in cfg.DATASET:
            cfg = cfg.clone()
            cfg.defrost()
            cfg.DATASET.REQUIRE_TRAIN_IMAGES = False
            cfg.freeze()
        dm = DataManager(cfg, dataset_wrapper=DecodingDatasetWrapper)
        self.train_loader_x, self.train_loader_u = dm.train_loader_x, dm.train_loader_u
        self.val_loader, self.test_loader = dm.val_loader, dm.test_loader
        self.num_classes, self.num_source_domains, self.lab2cname = dm.num_classes, dm.num_source_domains, dm.lab2cname
        self.dm = dm

    @property
    def decode_rule(self) -> DecodeRule:
        return rule_from_cfg(self.cfg)

    @property
    def dataset(self):
        return self.dm.dataset

    @property
    def classnames(self) -> list[str]:
        return list(self.dm.dataset.classnames)

    def class_aliases(self, classnames=None) -> list[list[str]]:
        """Per class, the other names a description file may use for it (the published split-file name)."""
        spec = getattr(self.dm.dataset, "spec", None)
        if spec is None:
            return []
        raw = dict(zip(spec.classnames, spec.raw_classnames))
        return [[raw.get(name, name)] for name in (classnames or self.classnames)]

    def match_class_texts(self, data: dict, source: str) -> list:
        """The entries of a description-style file for each class of the dataset, in label order."""
        return match_descriptions(data, self.classnames, self.class_aliases(), source=source)

    def class_texts(self, setting: str, subdir: str = "", read=load_descriptions) -> tuple[str, dict, list]:
        """(file, its whole content, its entries for each class in label order) of the description-style
        file a method's key names, else the dataset's own (medprompt.data.descriptions.resolve_description_file)."""
        path = resolve_description_file(setting, self.cfg.DATASET.NAME, subdir, data_root=self.cfg.DATASET.ROOT)
        data = read(path)
        return path, data, self.match_class_texts(data, source=path)

    @property
    def modality(self) -> str:
        return getattr(self.dm.dataset, "modality", "")

    # -- model ---------------------------------------------------------------------------------
    def build_model(self):
        cfg = self.cfg
        print(f"Loading backbone {cfg.MODEL.BACKBONE.NAME!r} (weights: {cfg.MODEL.BACKBONE.WEIGHTS or 'default'})")
        cache_dir = cache_root(cfg.MODEL.CACHE_DIR)
        with RUN_TIMER.phase("backbone build"):
            self.backbone = load_backbone(cfg.MODEL.BACKBONE.NAME, cfg.MODEL.BACKBONE.WEIGHTS, self.device,
                                          digest_cache=cache_dir)
        if self.backbone.prebuilt_seconds is not None:
            print(f"Backbone built by the sweep's warm interpreter before forking this run "
                  f"({self.backbone.prebuilt_seconds:.1f} s, outside this run's clock; shared by its runs)")
        self.clip = self.backbone.model
        self.text_encoder = PromptedTextEncoder(self.clip, self.backbone.tokenizer)
        if cfg.MODEL.FULL_TEXT_CONTEXT:
            self.text_encoder.full_context = True
            print(f"Text encoder: full {self.backbone.tokenizer.context_length}-token context "
                  "(MODEL.FULL_TEXT_CONTEXT True), no trimming to the longest prompt")
        self.logit_scale = float(self.clip.logit_scale.exp())
        self.cache = FeatureCache(cache_dir)

        self.learner = self.build_learner()
        if self.learner is None:
            return
        self.learner.to(self.device)
        trainable = [p for p in self.learner.parameters() if p.requires_grad]
        print(f"Trainable parameters: {sum(p.numel() for p in trainable):,}")
        if not trainable:  # fitted in closed form or chosen by search (linear probe, Tip-Adapter)
            self.register_model(LEARNER, self.learner)
            return
        optim = build_optimizer(self.learner, cfg.OPTIM, param_groups=[{"params": trainable}])
        sched = build_lr_scheduler(optim, cfg.OPTIM)
        self.register_model(LEARNER, self.learner, optim, sched)

    def build_learner(self) -> nn.Module | None:
        raise NotImplementedError

    def prompt_depth(self, key: str, depth: int) -> int:
        """A DEPTH setting capped at the text tower's layer count, saying so when it is capped."""
        layers = self.text_encoder.num_layers
        if depth > layers:
            warnings.warn(f"{key}={depth} but this text tower has {layers} layers: using DEPTH={layers}")
        return min(depth, layers)

    @functools.cached_property
    def embed_dim(self) -> int:
        """Size of the joint image-text embedding (read off one frozen text feature)."""
        with torch.no_grad():
            return int(self.text_encoder(self.text_encoder.tokenize(["a"])).shape[-1])

    @property
    def effective_precision(self) -> str:
        """The precision encoders really run at: MODEL.PRECISION on CUDA, fp32 on the CPU."""
        return self.cfg.MODEL.PRECISION if self.device.type == "cuda" else "fp32"

    def autocast(self):
        precision = self.effective_precision
        if precision == "fp32":
            return contextlib.nullcontext()
        dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}[precision]
        return torch.autocast("cuda", dtype=dtype)

    # -- training --------------------------------------------------------------------------------
    def parse_batch_train(self, batch):
        """(images, labels) of an image batch on the device (the domain label is not used)."""
        return batch["img"].to(self.device), batch["label"].to(self.device)

    def after_epoch(self):
        self.update_lr()  # per-epoch schedule, stepped before the epoch's checkpoint records it
        super().after_epoch()  # Dassl: best-val, every CHECKPOINT_FREQ epochs and the last epoch
        done = self.epoch + 1
        freq = self.cfg.TRAIN.CHECKPOINT_FREQ
        if self.get_model_names() and done < self.max_epoch and not (freq > 0 and done % freq == 0):
            self.save_model(self.epoch, self.output_dir, model_name=checkpoints.RESUME)

    def frozen_text_features(self, texts: list[str], source: str) -> torch.Tensor:
        """Normalised features of plain texts from the frozen text encoder, cached; over-long texts are
        truncated with one warning."""
        texts = truncate_to_context(texts, self.text_encoder.fits, source)
        parts = {"backbone": self.backbone.identity, "texts": content_key({"texts": texts}),
                 "precision": self.effective_precision}

        def compute():
            with self.autocast():
                return {"features": self.text_encoder.encode_texts(texts)}

        with RUN_TIMER.phase("description encoding"):
            features = self.cache.get_or_compute("text_features", parts, compute, label="text features")["features"]
        return features.to(self.device)

    def frozen_class_features(self, per_class: list[list[str]], source: str) -> list[torch.Tensor]:
        """frozen_text_features of every class's texts, one [n_c, D] tensor per class."""
        features = self.frozen_text_features([t for texts in per_class for t in texts], source=source)
        return list(torch.split(features, [len(texts) for texts in per_class]))

    def template_features(self, template: str, source: str) -> torch.Tensor:
        """[C, D] normalised frozen features of a hand-written template ("a photo of a {}.") filled with
        each class name ("{modality}" with the dataset's modality): the zero-shot classifier."""
        texts = [fill_template(template, name, self.modality) for name in self.classnames]
        return self.frozen_text_features(texts, source=source)

    # -- evaluation ------------------------------------------------------------------------------
    def class_text_features(self) -> torch.Tensor:
        """[C, D] class vectors of the current dataset's classes (text classifiers only)."""
        raise NotImplementedError

    def image_features(self, split: str, loader) -> dict:
        """{'features' [N, D], 'labels' [N]} of every image of a loader's split under its transform."""
        return self.split_features(split, list(loader.dataset.data_source), loader.dataset.transform)

    def split_features(self, split: str, items: list, transform) -> dict:
        """{'features' [N, D], 'labels' [N]} of Dassl data items under a transform. Features come from the
        row cache (medprompt.run.feature_cache): only images it does not hold yet, under this backbone,
        transform, decoding rule (INPUT.DECODE) and precision, go through the frozen encoder."""
        parts = {
            "backbone": self.backbone.identity,
            "dataset": self.cfg.DATASET.NAME,
            "transform": repr(transform),
            "decode": self.decode_rule.key(),
            "precision": self.effective_precision,
        }

        def compute(positions: list[int]) -> torch.Tensor:
            batch_size, workers = loader_settings(self.device.type, self.cfg.DATALOADER.TEST.BATCH_SIZE,
                                                  self.cfg.DATALOADER.NUM_WORKERS, torch.get_num_threads(),
                                                  available_cores())
            cfg = self.cfg
            if workers != cfg.DATALOADER.NUM_WORKERS:  # Dassl's loader reads the worker count from the config
                cfg = cfg.clone()
                cfg.defrost()
                cfg.DATALOADER.NUM_WORKERS = workers
            subset = build_data_loader(
                cfg, sampler_type="SequentialSampler", data_source=[items[i] for i in positions],
                batch_size=batch_size, tfm=transform, is_train=False, dataset_wrapper=DecodingDatasetWrapper,
            )
            with self.autocast():
                return encode_loader(self.clip.encode_image, subset, self.device,
                                     desc=f"Encoding {len(positions)} {split} images")["features"]

        ids = [file_id(item.impath) for item in items]
        with RUN_TIMER.phase("image encoding"):
            features = self.cache.get_or_compute_rows("image_rows", parts, ids, compute, label=f"{split} image features")
        return {"features": features, "labels": torch.tensor([item.label for item in items])}

    @torch.no_grad()
    def test(self, split=None):
        """Evaluate on cached image features against class text vectors."""
        with RUN_TIMER.phase("evaluation"):
            return self._test(split)

    def _test(self, split):
        split = split or self.cfg.TEST.SPLIT
        loader = self.val_loader if split == "val" and self.val_loader is not None else self.test_loader
        split = "val" if loader is self.val_loader else "test"
        self.set_model_mode("eval")
        print(f"Evaluate on the *{split}* set")
        data = self.image_features(split, loader)
        with self.autocast():
            logits = self.logits(data["features"].to(self.device))
        self.evaluator.reset()
        self.evaluator.process(logits, data["labels"])
        results = self.evaluator.evaluate()
        if split == "test":
            self.flag_unchanged_predictions(data["features"], logits)
        for key, value in results.items():
            self.write_scalar(f"{split}/{key}", value, self.epoch)
        return list(results.values())[0]

    def logits(self, image_features: torch.Tensor) -> torch.Tensor:
        """[N, C] scores of frozen image features; a text classifier's cosine logits by default."""
        return cosine_logits(image_features, self.class_text_features(), self.logit_scale)

    def model_inference(self, images):
        with self.autocast():
            return self.logits(self.clip.encode_image(images))

    def get_current_lr(self, names=None):
        return super().get_current_lr(names) if self.get_model_names() else 0.0


def seeded_generator(seed: int) -> torch.Generator:
    gen = torch.Generator()
    gen.manual_seed(seed if seed >= 0 else int.from_bytes(os.urandom(4), "little"))
    return gen
