"""Write configs/published/ from the publishers' repositories (a maintainer's tool; runs and tests never call it).

    python -m scripts.import_published MIRRORS [--out configs/published]

MIRRORS holds git mirrors named `<owner>+<name>/repo` (bare or not). Every value is read from a publisher's
config file, script option or code default at the mirror's HEAD and written with its source (repository,
file, commit) into the `_PUBLISHED_` node of the layer it lands in (medprompt/run/published.py). Where the
publisher's code ignores or reinterprets a value it names, the layer holds what the code ran with and a NOTE
says so. Only facts are carried over: key names, values and the file each came from.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

import yaml

from medprompt.run.config_layers import flat_keys
from medprompt.utils.paths import REPO


DATASETS = sorted(p.stem for p in (REPO / "configs" / "datasets").glob("*.yaml"))
BACKBONES = {"ViT-L/14_PMC": "pmc_vit_l14", "ViT-B/16": "vit_b16", "RN50": "rn50", "RN101": "rn101",
             "ViT-B/32": "vit_b32"}
# Dassl keys carried over as they are (same meaning here); the rest of a published yaml (worker counts,
# test batch size, print frequency, INPUT.SIZE of the backbone layer) does not change what is learnt.
CARRIED = ("DATALOADER.TRAIN_X.BATCH_SIZE", "INPUT.PIXEL_MEAN", "INPUT.PIXEL_STD", "INPUT.TRANSFORMS", "OPTIM.NAME",
           "OPTIM.LR", "OPTIM.MAX_EPOCH", "OPTIM.LR_SCHEDULER", "OPTIM.WARMUP_EPOCH", "OPTIM.WARMUP_TYPE",
           "OPTIM.WARMUP_CONS_LR", "OPTIM.WEIGHT_DECAY", "OPTIM.ADAM_BETA1", "OPTIM.ADAM_BETA2")
STOCK_TRANSFORMS = {"random_resized_crop", "random_flip", "normalize", "center_crop", "random_crop"}


class Mirror:
    def __init__(self, root: Path, name: str):
        self.name = name
        self.git = root / name.replace("/", "+") / "repo"
        self.commit = self._run("rev-parse", "HEAD").strip()

    def _run(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.git), *args], check=True, capture_output=True, text=True).stdout

    def files(self, folder: str) -> list[str]:
        return [f for f in self._run("ls-tree", "-r", "--name-only", "HEAD", folder).split() if f.endswith(".yaml")]

    def text(self, path: str) -> str:
        return self._run("show", f"HEAD:{path}")

    def yaml(self, path: str) -> dict:
        text = self.text(path)
        try:
            return yaml.safe_load(text) or {}
        except yaml.YAMLError:  # a file that starts with a stray line (MedPromptCLIP's OCT_C8) is read from its first key
            return yaml.safe_load(text[re.search(r"^[A-Z]", text, re.M).start():]) or {}

    def source(self, path: str, what: str = "") -> str:
        return f"{self.name}, {path}{' (' + what + ')' if what else ''}, commit {self.commit}"

    def dassl_defaults(self, path: str) -> dict:
        """`_C.A.B = value` lines of a Dassl defaults.py, as {"A.B": value}."""
        out = {}
        for key, value in re.findall(r"^_C\.([A-Z0-9_.]+) = (.+?)(?:\s+#.*)?$", self.text(path), re.M):
            try:
                out[key] = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                pass
        return out


def nested(values: dict) -> dict:
    out: dict = {}
    for key, value in values.items():
        *parents, leaf = key.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


def project_dataset(name: str) -> str | None:
    matches = [d for d in DATASETS if d.lower() == name.lower()]
    return matches[0] if matches else None


def write_layer(out: Path, sources: list[str], backbones: list[str], values: dict, notes: list[str]) -> None:
    head = {"SOURCE": sources, "BACKBONES": backbones}
    if notes:
        head["NOTES"] = notes
    body = yaml.safe_dump({"_PUBLISHED_": head, **nested(values)}, sort_keys=False, width=120, allow_unicode=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("# Written by scripts/import_published.py from the publisher's files named in _PUBLISHED_.SOURCE;\n"
                   "# edit that tool, not this file.\n" + body, encoding="utf-8")
    print(f"wrote {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")


def carried(cfg: dict, defaults: dict, notes: list[str]) -> dict:
    """The CARRIED keys, from the file or, where it has none, from the publisher's defaults."""
    values = {}
    for key in CARRIED:
        if key.startswith("OPTIM.ADAM") and "adam" not in str(cfg.get("OPTIM.NAME", "")):
            continue  # the betas of an optimiser the file does not use
        if key in cfg:
            values[key] = cfg[key]
        elif key in defaults:
            values[key] = defaults[key]
    if isinstance(values.get("INPUT.PIXEL_MEAN"), tuple):
        values["INPUT.PIXEL_MEAN"] = list(values["INPUT.PIXEL_MEAN"])
    transforms = list(values.get("INPUT.TRANSFORMS", []))
    unknown = [t for t in transforms if t not in STOCK_TRANSFORMS]
    if unknown:
        notes.append(f"INPUT.TRANSFORMS {transforms}: {unknown} is a transform of the publisher's own Dassl fork, "
                     f"not of the stock Dassl; left out here (departure)")
        values["INPUT.TRANSFORMS"] = [t for t in transforms if t in STOCK_TRANSFORMS]
    elif "INPUT.TRANSFORMS" in values:
        values["INPUT.TRANSFORMS"] = transforms
    return values


# -- MedPromptCLIP -------------------------------------------------------------------------------------
def clip_context(ctx_init: str, n_ctx: int) -> tuple[str, str]:
    """(CTX_INIT here, note) for MedPromptCLIP's code: N_CTX > 5 ignores CTX_INIT (random init); otherwise the
    first N_CTX token embeddings of CTX_INIT start the context, which here is the text of those tokens."""
    if n_ctx > 5:
        return "", (f"CTX_INIT {ctx_init!r} is named, but the publisher's code ignores it when N_CTX > 5 "
                    f"(trainers/MedPromptCLIP.py: `if ctx_init and n_ctx <= 5`): the context starts from N(0, 0.02), "
                    f"as here with CTX_INIT \"\"")
    from open_clip import get_tokenizer

    tok = get_tokenizer("ViT-B-16")
    ids = [int(i) for i in tok([ctx_init.replace("_", " ")])[0] if int(i) not in (0,)][1:-1]
    if len(ids) < n_ctx:
        return ctx_init, (f"CTX_INIT {ctx_init!r} has {len(ids)} tokens, fewer than N_CTX {n_ctx}: the publisher's "
                          f"code also takes the end-of-text and padding embeddings; here the context starts at random "
                          f"(departure)")
    text = tok.decode(ids[:n_ctx])
    text = text.strip()
    again = [int(i) for i in tok([text])[0] if int(i) != 0][1:-1]
    if again != ids[:n_ctx]:
        raise SystemExit(f"cannot write the first {n_ctx} tokens of {ctx_init!r} as text ({text!r})")
    note = "" if text == ctx_init.strip() else (
        f"CTX_INIT {ctx_init!r}: the publisher's code starts the {n_ctx} context vectors from its first {n_ctx} "
        f"tokens, {text!r}, which is what CTX_INIT holds here")
    return text, note


def medpromptclip(m: Mirror, out: Path) -> None:
    defaults_file = "Dassl.pytorch/dassl/config/defaults.py"
    defaults = m.dassl_defaults(defaults_file)
    code = {"N_CTX_TEXT": 4, "PROMPT_DEPTH_TEXT": 9, "CTX_INIT": "a fundus image of ", "PREC": "fp16",
            "L_TWO_NORM": True, "L_TWO_WEIGHT": 1000}  # train.py extend_cfg, checked below
    train_py = m.text("train.py")
    for key, value in code.items():
        literal = re.search(rf"cfg\.TRAINER\.MEDPROMPTCLIP\.{key} = (.+?)\s*(#|$)", train_py, re.M).group(1)
        assert ast.literal_eval(literal) == value, (key, literal)
    for folder, protocol, method in (("specific_modal", "zeroshot", "MedPromptCLIP"),
                                     ("multi_modal", "crossmodal", "MedPromptCLIP"),
                                     ("fewshot", "fewshot", "MedPromptCLIP_FewShot")):
        for path in m.files(f"configs/trainers/{folder}"):
            cfg = flat_keys(m.yaml(path))
            dataset = project_dataset(Path(path).stem)
            backbone = BACKBONES.get(cfg.get("MODEL.BACKBONE.NAME", ""))
            if not dataset or backbone != "pmc_vit_l14":
                print(f"skipped {path}: dataset {Path(path).stem} / backbone {cfg.get('MODEL.BACKBONE.NAME')} not here")
                continue
            notes: list[str] = []
            sources = [m.source(path), m.source(defaults_file, "keys the file leaves out"),
                       m.source("train.py", "TRAINER.MEDPROMPTCLIP defaults")]
            values = carried(cfg, defaults, notes)
            o = {k.split(".")[-1]: v for k, v in cfg.items() if k.startswith("TRAINER.MEDPROMPTCLIP.")}
            values["MODEL.PRECISION"] = o.get("PREC", code["PREC"])
            if method == "MedPromptCLIP":
                n_ctx = int(o.get("N_CTX_TEXT", code["N_CTX_TEXT"]))
                ctx, note = clip_context(o.get("CTX_INIT", code["CTX_INIT"]), n_ctx)
                values["TRAINER.MEDPROMPTCLIP.N_CTX"] = n_ctx
                values["TRAINER.MEDPROMPTCLIP.DEPTH"] = int(o.get("PROMPT_DEPTH_TEXT", code["PROMPT_DEPTH_TEXT"]))
                values["TRAINER.MEDPROMPTCLIP.CTX_INIT"] = ctx
                notes += [note] if note else []
                if o.get("L_TWO_NORM", code["L_TWO_NORM"]):
                    values["TRAINER.MEDPROMPTCLIP.LOSS"] = "mse"
                    values["TRAINER.MEDPROMPTCLIP.LOSS_SCALE"] = float(o.get("L_TWO_WEIGHT", code["L_TWO_WEIGHT"]))
                else:
                    values["TRAINER.MEDPROMPTCLIP.LOSS"] = "l1"
                    values["TRAINER.MEDPROMPTCLIP.LOSS_SCALE"] = 1.0
                    notes.append("L_TWO_NORM False: the publisher's loss is the unweighted mean L1 (F.l1_loss), "
                                 "here LOSS l1 with LOSS_SCALE 1")
                gpt = o.get("GPT_PATH", "")
                if gpt:
                    notes.append(f"GPT_PATH {gpt}: the publisher's description file; here the project's "
                                 f"llm_descriptions/ file of the same dataset (or TRAINER.MEDPROMPTCLIP.DESCRIPTIONS)")
            else:
                ignored = sorted(k for k in cfg if k.startswith("TRAINER.IVLP."))
                notes.append(f"{', '.join(ignored)} are named by the file, but the publisher's Fewshot trainer "
                             f"(trainers/fewshot.py) reads TRAINER.MEDPROMPTCLIP.* only: the prompt shape here is "
                             f"the one of the MedPromptCLIP run it starts from")
            if values["MODEL.PRECISION"] == "fp16":
                notes.append("PREC fp16: the publisher casts the CLIP model to half precision; here MODEL.PRECISION "
                             "fp16 is autocast on CUDA (fp32 master prompts) and fp32 on the CPU")
            name = dataset
            if folder == "multi_modal" and dataset == "ODIR":
                # scripts/MedPromptCLIP/multi_modal_test.sh evaluates every target dataset with this file
                name = "_all"
                sources.append(m.source("scripts/MedPromptCLIP/multi_modal_test.sh", "targets evaluated with ODIR.yaml"))
                notes.append("the cross-modal training file of ODIR, and the file every target dataset is evaluated "
                             "with (multi_modal_test.sh); f1000images' own file wins on f1000images")
            write_layer(out / method / protocol / f"{name}.yaml", sources, [backbone], values, notes)


# -- BiomedCoOp's benchmark ---------------------------------------------------------------------------
BIOMED_DATASETS = {"covid": "COVID_19_BiomedCoOp"}
BIOMED_BACKBONES = ["biomedclip", "vit_b16"]  # its BiomedCLIP and CLIP (ViT-B/16) trainers read the same files
BIOMED_KEYS = {"BiomedCoOp": ("BIOMEDCOOP", {"CTX_INIT", "SCCM_LAMBDA", "KDSP_LAMBDA", "TAU", "N_PROMPTS"}),
               "KgCoOp": ("KGCOOP", {"CTX_INIT", "W"}), "ProGrad": ("PROGRAD", {"CTX_INIT", "T", "LAMBDA"}),
               "CoOp": ("COOP", {"CTX_INIT"}), "CoCoOp": ("COCOOP", {"CTX_INIT"})}
RENAME = {"W": "LAMBDA"}  # KgCoOp's weight of its knowledge-guided term


def biomedcoop(m: Mirror, out: Path) -> None:
    train_py = m.text("train.py")

    def code_default(node: str, key: str):
        found = re.search(rf"cfg\.TRAINER\.{node}\.{key} = (.+?)\s*(#|$)", train_py, re.M)
        return ast.literal_eval(found.group(1)) if found else None

    for method, (node, keys) in BIOMED_KEYS.items():
        layouts = [(f"configs/trainers/{method}/few_shot", "fewshot"), (f"configs/trainers/{method}/base_to_novel",
                                                                        "base2new")]
        files = [(p, proto) for folder, proto in layouts for p in m.files(folder)]
        shared = [(f"configs/trainers/{method}/vit_b16.yaml", "fewshot"),
                  (f"configs/trainers/{method}/vit_b16_base2new.yaml", "base2new")]
        files += [(p, proto) for p, proto in shared if p in m.files(f"configs/trainers/{method}")]
        script = {"fewshot": f"scripts/{method.lower()}/few_shot.sh", "base2new": f"scripts/{method.lower()}/base2new.sh"}
        for path, protocol in files:
            cfg = flat_keys(m.yaml(path))
            per_dataset = Path(path).parent.name in ("few_shot", "base_to_novel")
            targets = ([BIOMED_DATASETS.get(Path(path).stem) or project_dataset(Path(path).stem)] if per_dataset
                       else [BIOMED_DATASETS.get(Path(p).stem) or project_dataset(Path(p).stem)
                             for p in m.files("configs/datasets")])
            notes: list[str] = []
            values = carried(cfg, {}, notes)
            o = {k.split(".")[-1]: v for k, v in cfg.items() if k.startswith(f"TRAINER.{node}.")}
            # few-shot scripts pass N_CTX 4 and CSC False; base-to-new scripts pass neither, so the file's value or
            # the code default holds (4 and False as well); PREC is the code default (fp32)
            passes = protocol == "fewshot" and re.search(r"^NCTX=4$", m.text(script[protocol]), re.M) is not None
            values[f"TRAINER.{node}.N_CTX"] = 4 if passes else int(o.get("N_CTX", code_default(node, "N_CTX")))
            values[f"TRAINER.{node}.CSC"] = False if passes else bool(o.get("CSC", code_default(node, "CSC")))
            for key in sorted(keys):
                value = o.get(key, code_default(node, key))
                if value is not None:
                    values[f"TRAINER.{node}.{RENAME.get(key, key)}"] = float(value) if key in (
                        "SCCM_LAMBDA", "KDSP_LAMBDA", "TAU", "W", "T", "LAMBDA") else value
            values["MODEL.PRECISION"] = o.get("PREC", code_default(node, "PREC")) or "fp32"
            if "INPUT.TRANSFORMS" in values and "random_flip" not in values["INPUT.TRANSFORMS"]:
                notes.append("INPUT.TRANSFORMS without random_flip, as published")
            sources = [m.source(path)] + ([m.source(script[protocol], "N_CTX 4, CSC False")] if passes else []) + [
                m.source("train.py", f"TRAINER.{node} defaults")]
            for dataset in targets:
                if dataset:
                    write_layer(out / method / protocol / f"{dataset}.yaml", sources, BIOMED_BACKBONES, values, notes)


# -- CoOp, CoCoOp, KgCoOp, MaPLe: their own config files, by name ------------------------------------
def named_configs(m: Mirror, out: Path, method: str, folder: str, node: str, code: dict, ctx_rule: str,
                  dest: str = "") -> None:
    """configs/published/<method>/named/<name>.yaml for every config file of the publisher's method."""
    for path in m.files(folder):
        cfg = flat_keys(m.yaml(path))
        backbone = BACKBONES.get(cfg.get("MODEL.BACKBONE.NAME", ""))
        if not backbone:
            continue
        notes: list[str] = []
        values = carried(cfg, {}, notes)
        o = {**code, **{k.split(".")[-1]: v for k, v in cfg.items() if k.startswith(f"TRAINER.{node}.")}}
        ctx = o.get("CTX_INIT", "")
        if ctx is True:  # KgCoOp: CTX_INIT True means "a photo of a"
            ctx = "a photo of a"
            notes.append("CTX_INIT True: the publisher's code starts from \"a photo of a\"")
        n_ctx = int(o.get("N_CTX", 16))
        template = "{}."
        if ctx and ctx_rule == "words":  # CoOp/CoCoOp/KgCoOp: N_CTX becomes the number of words of CTX_INIT
            if n_ctx != len(ctx.split()):
                notes.append(f"N_CTX {n_ctx} with CTX_INIT {ctx!r}: the publisher's code uses one context vector "
                             f"per word of CTX_INIT")
            n_ctx = len(ctx.split())
        elif ctx and ctx_rule == "first":  # MaPLe: the first N_CTX words learn, the rest stays text
            words = ctx.split()
            ctx, template = " ".join(words[:n_ctx]), " ".join(words[n_ctx:] + ["{}."])
        dest = dest or node
        values[f"TRAINER.{dest}.N_CTX"] = n_ctx
        values[f"TRAINER.{dest}.CTX_INIT"] = ctx or ""
        values[f"TRAINER.{dest}.TEMPLATE"] = template
        if "CSC" in o:
            values[f"TRAINER.{dest}.CSC"] = bool(o["CSC"])
        if "PROMPT_DEPTH" in o:
            values[f"TRAINER.{dest}.DEPTH"] = int(o["PROMPT_DEPTH"])
        if "W" in o:
            values[f"TRAINER.{dest}.LAMBDA"] = float(o["W"])
        values["MODEL.PRECISION"] = o.get("PREC", "fp16")
        sources = [m.source(path), m.source(code["_defaults_file"], f"TRAINER.{node} defaults")]
        write_layer(out / method / "named" / f"{Path(path).stem}.yaml", sources, [backbone], values, notes)


def coop_ladder(m: Mirror, out: Path) -> None:
    """CoOp's few-shot epochs by shot count (COOP.md: *_ep50 for 1 shot, *_ep100 for 2 and 4, the 200-epoch
    file for 8 and 16), for the backbones with the three files."""
    for backbone_prefix, backbone in (("rn50", "rn50"), ("vit_b16", "vit_b16")):
        for shots, suffix in ((1, "_ep50"), (2, "_ep100"), (4, "_ep100"), (8, ""), (16, "")):
            path = f"configs/trainers/CoOp/{backbone_prefix}{suffix}.yaml"
            cfg = flat_keys(m.yaml(path))
            values = {"OPTIM.MAX_EPOCH": cfg["OPTIM.MAX_EPOCH"]}
            write_layer(out / "CoOp" / "fewshot" / f"shots_{shots}" / "_all.yaml",
                        [m.source(path), m.source("COOP.md", f"{shots} shot(s) use this file")], [backbone], values, [])


def biomedcoop_heads(m: Mirror, out: Path) -> None:
    """CLIP-Adapter and Tip-Adapter-F of BiomedCoOp's benchmark: its own yaml schema (lr, train_epoch, ...) and
    the optimiser its code builds (checked against the code text, so that a change there stops this tool)."""
    datasets = [BIOMED_DATASETS.get(Path(p).stem) or project_dataset(Path(p).stem) for p in m.files("configs/datasets")]
    main_py = m.text("main.py")  # the training transform of the heads' images
    assert "transforms.RandomResizedCrop(size=224, scale=(0.5, 1)" in main_py and "RandomHorizontalFlip(p=0.5)" in main_py
    augment = {"INPUT.TRANSFORMS": ["random_resized_crop", "random_flip", "normalize"], "INPUT.RRCROP_SCALE": [0.5, 1.0]}
    ca_path, ca_code = "configs/trainers/CLIP_Adapter/few_shot.yaml", "trainers/ClipAdapter/clip_adapter_biomedclip.py"
    ca, code = m.yaml(ca_path), m.text(ca_code)
    assert "torch.optim.SGD(clip_ad_model.adapter.parameters(), self.lr)" in code
    assert "image_features = alpha * x + (1 - alpha) * image_features" in code
    values = {"DATALOADER.TRAIN_X.BATCH_SIZE": ca["batch_size"], "OPTIM.NAME": "sgd", "OPTIM.LR": float(ca["lr"]),
              "OPTIM.MAX_EPOCH": ca["train_epoch"], "OPTIM.MOMENTUM": 0.0, "OPTIM.WEIGHT_DECAY": 0.0,
              "OPTIM.LR_SCHEDULER": "cosine", "OPTIM.WARMUP_EPOCH": ca["WARMUP_EPOCH"], "OPTIM.WARMUP_TYPE": "constant",
              "OPTIM.WARMUP_CONS_LR": float(ca["WARMUP_CONS_LR"]), "TRAINER.CLIP_ADAPTER.RATIO": float(ca["alpha_ca"]),
              "MODEL.PRECISION": "fp32", "MODEL.AUGMENTED_VIEWS": ca["train_epoch"], **augment}
    notes = ["plain SGD (torch.optim.SGD with the learning rate alone: no momentum, no weight decay)",
             "alpha_ca is the weight of the adapter's output in the blend (alpha * adapter(f) + (1 - alpha) * f), "
             "TRAINER.CLIP_ADAPTER.RATIO here",
             "its cosine schedule (T_max = train_epoch) is stepped after every batch, so the learning rate cycles "
             "within the first epochs; here it is stepped per epoch (departure)",
             "it encodes freshly augmented images every epoch (main.py: random resized crop at scale 0.5-1, flip); "
             "here epoch e trains on cached augmented view e of each image (MODEL.AUGMENTED_VIEWS = train_epoch)"]
    sources = [m.source(ca_path), m.source(ca_code, "optimiser, blend"), m.source("main.py", "training transform")]
    for dataset in datasets:
        write_layer(out / "CLIPAdapter" / "fewshot" / f"{dataset}.yaml", sources, BIOMED_BACKBONES, values, notes)
    tip_path, tip_code = "configs/trainers/TiP_Adapter/few_shot.yaml", "trainers/TipAdapter/tip_adapter_biomedclip.py"
    tip, code = m.yaml(tip_path), m.text(tip_code)
    assert "torch.optim.AdamW(adapter.parameters(), lr=self.cfg['lr'], eps=1e-4)" in code and "WARMUP" not in code
    values = {"DATALOADER.TRAIN_X.BATCH_SIZE": tip["batch_size"], "OPTIM.NAME": "adamw", "OPTIM.LR": float(tip["lr"]),
              "OPTIM.MAX_EPOCH": tip["train_epoch"], "OPTIM.WEIGHT_DECAY": 0.01, "OPTIM.LR_SCHEDULER": "cosine",
              "OPTIM.WARMUP_EPOCH": 0, "TRAINER.TIP_ADAPTER.INIT_ALPHA": float(tip["init_alpha"]),
              "TRAINER.TIP_ADAPTER.INIT_BETA": float(tip["init_beta"]),
              "TRAINER.TIP_ADAPTER.SEARCH_SCALE": [float(v) for v in tip["search_scale"]],
              "TRAINER.TIP_ADAPTER.SEARCH_STEP": [int(v) for v in tip["search_step"]], "MODEL.PRECISION": "fp32",
              "MODEL.AUGMENTED_VIEWS": tip["augment_epoch"], **augment}
    notes = [f"WARMUP_EPOCH {tip['WARMUP_EPOCH']} is in the file, but its Tip-Adapter code builds no warm-up: none here",
             "AdamW with eps 1e-4 and torch's default weight decay 0.01; Dassl's AdamW here has eps 1e-8 (departure)",
             f"its cache holds the mean of augment_epoch {tip['augment_epoch']} augmented view(s) of each image "
             f"(MODEL.AUGMENTED_VIEWS here)"]
    sources = [m.source(tip_path), m.source(tip_code, "optimiser, no warm-up"), m.source("main.py", "training transform")]
    for dataset in datasets:
        write_layer(out / "TipAdapterF" / "fewshot" / f"{dataset}.yaml", sources, BIOMED_BACKBONES, values, notes)


def vip(m: Mirror, dassl: Mirror, out: Path) -> None:
    """ViP's settings (full training set, its scripts' N_CTX 4) for its two datasets, on ViT-B/16; the keys its
    file leaves out are the stock Dassl's (ViP installs it, requirement.txt)."""
    stock = dassl.dassl_defaults("dassl/config/defaults.py")
    names = {"Derm": "Derm7pt", "Pneumonia": "Pneumonia"}
    path = "configs/trainers/ViP/vit_b16_ep50.yaml"
    cfg = flat_keys(m.yaml(path))
    notes: list[str] = []
    values = carried(cfg, {k: v for k, v in stock.items() if k == "OPTIM.WEIGHT_DECAY"}, notes)
    train_py = m.text("train.py")
    assert 'cfg.TEST.FINAL_MODEL = "best_val"' in train_py and "cfg.TRAINER.VIP.N_CTX = 4" in train_py
    values.update({"TEST.FINAL_MODEL": "best_val", "TRAINER.VIP.N_CTX": 4, "DATASET.NUM_SHOTS": -1})
    notes.append("PREC fp16 (train.py default): the publisher casts CLIP to half precision; here MODEL.PRECISION "
                 "stays the method layer's")
    for dataset_file, dataset in names.items():
        sources = [m.source(path), m.source(f"scripts/ViP/main_{'derm' if dataset_file == 'Derm' else 'pneumonia'}.sh",
                                            "N_CTX 4, SHOTS 10000 = the full training set"),
                   m.source("train.py", "TEST.FINAL_MODEL, TRAINER.VIP defaults"),
                   dassl.source("dassl/config/defaults.py", "OPTIM.WEIGHT_DECAY; the stock Dassl ViP installs")]
        write_layer(out / "ViP" / "zeroshot" / f"{dataset}.yaml", sources, ["vit_b16"], values, notes)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mirrors", type=Path)
    p.add_argument("--out", type=Path, default=REPO / "configs" / "published")
    args = p.parse_args(argv)
    medpromptclip(Mirror(args.mirrors, "user-test023/MedPromptCLIP"), args.out)
    biomedcoop(Mirror(args.mirrors, "HealthX-Lab/BiomedCoOp"), args.out)
    biomedcoop_heads(Mirror(args.mirrors, "HealthX-Lab/BiomedCoOp"), args.out)
    coop = Mirror(args.mirrors, "KaiyangZhou/CoOp")
    coop_ladder(coop, args.out)
    named_configs(coop, args.out, "CoOp", "configs/trainers/CoOp", "COOP",
                  {"N_CTX": 16, "CSC": False, "PREC": "fp16", "_defaults_file": "train.py"}, "words")
    named_configs(coop, args.out, "CoCoOp", "configs/trainers/CoCoOp", "COCOOP",
                  {"N_CTX": 16, "PREC": "fp16", "_defaults_file": "train.py"}, "words")
    kg = Mirror(args.mirrors, "htyao89/KgCoOp")
    named_configs(kg, args.out, "KgCoOp", "KgCoOp/configs/trainers/KgCoOp", "COOP",
                  {"N_CTX": 16, "CSC": False, "PREC": "fp16", "W": 1.0, "_defaults_file": "KgCoOp/train.py"}, "words", dest="KGCOOP")
    maple = Mirror(args.mirrors, "muzairkhattak/multimodal-prompt-learning")
    named_configs(maple, args.out, "MaPLe", "configs/trainers/MaPLe", "MAPLE",
                  {"N_CTX": 2, "CTX_INIT": "a photo of a", "PREC": "fp16", "PROMPT_DEPTH": 9,
                   "_defaults_file": "train.py"}, "first")
    vip(Mirror(args.mirrors, "xiaofang007/ViP"), Mirror(args.mirrors, "KaiyangZhou/Dassl.pytorch"), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
