"""The rn50, rn101 and vit_b32 backbone layers: OpenAI CLIP through open_clip with CoOp's preprocessing
(KaiyangZhou/CoOp configs/trainers/CoOp/{rn50,rn101,vit_b32}.yaml, commit ff61507)."""


import pytest


from medprompt.run.config_layers import backbone_names, config_layers  # noqa: E402

# what CoOp's yaml of each backbone sets (MODEL.BACKBONE.NAME there is OpenAI's clip name)
COOP_INPUT = {"SIZE": (224, 224), "INTERPOLATION": "bicubic",
              "PIXEL_MEAN": [0.48145466, 0.4578275, 0.40821073], "PIXEL_STD": [0.26862954, 0.26130258, 0.27577711],
              "TRANSFORMS": ["random_resized_crop", "random_flip", "normalize"]}
LAYERS = {"rn50": ("RN50", "openai"), "rn101": ("RN101", "openai"), "vit_b32": ("ViT-B-32", "openai")}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layer_loads_openai_clip_with_coops_input(layer):
    pytest.importorskip("dassl")
    from medprompt.clip.backbones import resolve
    from medprompt.run.train_args import build_parser
    from trainers.launch import setup_cfg

    assert layer in backbone_names()
    cfg = setup_cfg(build_parser().parse_args(["--trainer", "CoOp", "--config", layer]))
    assert resolve(cfg.MODEL.BACKBONE.NAME, cfg.MODEL.BACKBONE.WEIGHTS) == LAYERS[layer]
    for key, value in COOP_INPUT.items():
        assert type(value)(cfg.INPUT[key]) == value, key  # yacs keeps lists as tuples
    assert cfg.DATALOADER.TEST.BATCH_SIZE == 100
    assert [la.role for la in config_layers("CoOp", layer)] == ["backbone", "method"]


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_open_clip_knows_the_architecture_at_224_px(layer):
    import open_clip

    name, tag = LAYERS[layer]
    assert open_clip.get_model_config(name)["vision_cfg"]["image_size"] == 224
    assert tag in open_clip.list_pretrained_tags_by_model(name)
