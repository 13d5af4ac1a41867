"""Publishers' file formats (medprompt/clip/formats/): tiny files written in each format load through
`local-dir:` and by their short names from a filled Hugging Face cache, and give the features of a
reference forward built from the library modules (transformers' CLIPModel, open_clip's CLIP), with and
without deep prompts; an unknown folder or an uncached name is one clear message."""

from __future__ import annotations

import time

import publisher_files
import pytest
import tiny_models
import torch

from medprompt.clip.backbones import BackboneNotFoundError, load_backbone
from medprompt.clip.text_encoder import PromptedTextEncoder

TEXTS = ["a photo of a lesion", "a chest x-ray with patchy shadows in the lower lobe"]


@pytest.fixture(scope="module")
def hf_clip_dir(tmp_path_factory):
    return publisher_files.write_hf_clip(tmp_path_factory.mktemp("plip"))


@pytest.fixture(scope="module")
def pubmedclip_dir(tmp_path_factory):
    return publisher_files.write_pubmedclip_pth(tmp_path_factory.mktemp("pubmedclip"))


def _hooked_hf_text_features(hf, tokens, ctx, deep_ctx):
    """transformers' own CLIP text forward with the prompt vectors put in by hooks: ctx over positions
    1..n of the token embeddings, deep_ctx[i-1] over the same positions of the input to layer i."""
    from medprompt.clip.text_encoder import splice

    handles = [hf.text_model.embeddings.token_embedding.register_forward_hook(
        lambda module, args, out: splice(out, ctx))]

    def before(vectors):
        def hook(module, args, kwargs):
            if args:
                return (splice(args[0], vectors), *args[1:]), kwargs
            return args, {**kwargs, "hidden_states": splice(kwargs["hidden_states"], vectors)}
        return hook

    for i, vectors in enumerate(deep_ctx, start=1):
        handles.append(hf.text_model.encoder.layers[i].register_forward_pre_hook(before(vectors), with_kwargs=True))
    try:
        return hf.get_text_features(input_ids=tokens).pooler_output
    finally:
        for handle in handles:
            handle.remove()


@pytest.mark.parametrize("safetensors", [True, False])
def test_a_transformers_clip_folder_gives_the_features_of_transformers_clip(tmp_path, safetensors):
    from transformers import CLIPModel

    folder = publisher_files.write_hf_clip(tmp_path / "clip", safetensors=safetensors)
    assert (folder / ("model.safetensors" if safetensors else "pytorch_model.bin")).is_file()
    backbone = load_backbone(f"local-dir:{folder}")
    hf = CLIPModel.from_pretrained(folder).eval()
    tokens = backbone.tokenizer(TEXTS)
    images = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        ref_text = hf.get_text_features(input_ids=tokens).pooler_output
        ref_image = hf.get_image_features(pixel_values=images).pooler_output
        assert torch.allclose(backbone.model.encode_text(tokens), ref_text, atol=1e-5)
        assert torch.allclose(PromptedTextEncoder(backbone.model, backbone.tokenizer)(tokens), ref_text, atol=1e-5)
        assert torch.allclose(backbone.model.encode_image(images), ref_image, atol=1e-5)
    assert torch.equal(backbone.model.logit_scale, hf.logit_scale)
    assert backbone.tokenizer.context_length == 77


def test_deep_prompts_reach_every_layer_of_the_transformers_clip_text_tower(hf_clip_dir):
    """The project's prompted encoder on the mapped model equals transformers' CLIP forward with the same
    prompts put in by hooks, and a change of the prompts of any one layer changes the features."""
    from transformers import CLIPModel

    backbone = load_backbone(f"local-dir:{hf_clip_dir}")
    encoder = PromptedTextEncoder(backbone.model, backbone.tokenizer)
    hf = CLIPModel.from_pretrained(hf_clip_dir).eval()
    assert encoder.num_layers == hf.config.text_config.num_hidden_layers == 3
    torch.manual_seed(0)
    tokens = encoder.tokenize(["X X X X a lesion"] * 2)
    ctx = torch.randn(4, encoder.width)
    deep = [torch.randn(4, encoder.width) for _ in range(encoder.num_layers - 1)]
    with torch.no_grad():
        ours = encoder(tokens, ctx, deep)
        assert torch.allclose(ours, _hooked_hf_text_features(hf, tokens, ctx, deep), atol=1e-5)
        for layer in range(len(deep)):
            changed = [torch.randn_like(v) if i == layer else v for i, v in enumerate(deep)]
            assert not torch.allclose(encoder(tokens, ctx, changed), ours, atol=1e-4), f"layer {layer + 1}"


def test_pubmedclip_pth_gives_the_features_of_the_openai_layout_model(pubmedclip_dir):
    from open_clip.model import build_model_from_openai_state_dict

    state = torch.load(pubmedclip_dir / "PubMedCLIP_ViT32.pth", weights_only=True)["state_dict"]
    reference = build_model_from_openai_state_dict(dict(state), quick_gelu=True, cast_dtype=None).float().eval()
    # that builder keeps OpenAI's float16 casts; the file's own float32 values are the ones to compare against
    reference.load_state_dict(state)
    backbone = load_backbone(f"local-dir:{pubmedclip_dir}")
    tokens = backbone.tokenizer(TEXTS)
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(PromptedTextEncoder(backbone.model, backbone.tokenizer)(tokens),
                              reference.encode_text(tokens), atol=1e-5)
        assert torch.allclose(backbone.model.encode_image(images), reference.encode_image(images), atol=1e-5)
    assert backbone.model.visual.image_size == (32, 32)


def _use_cache(monkeypatch, hf_home):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hf_home / "hub"))


@pytest.mark.parametrize("short,repo,writer", [
    ("plip", "vinid/plip", "hf_clip_dir"),
    ("pubmedclip-hf", "flaviagiammarino/pubmed-clip-vit-base-patch32", "hf_clip_dir"),
    ("pubmedclip", "sarahESL/PubMedCLIP", "pubmedclip_dir"),
])
def test_short_names_load_the_published_files_from_the_cache(short, repo, writer, request, tmp_path, monkeypatch):
    folder = request.getfixturevalue(writer)
    publisher_files.fill_hub_cache(tmp_path, repo, folder)
    _use_cache(monkeypatch, tmp_path)
    by_name = load_backbone(short, digest_cache=tmp_path / "digests")
    from_dir = load_backbone(f"local-dir:{folder}")
    assert by_name.digest == from_dir.digest and by_name.name == short
    assert load_backbone(short, digest_cache=tmp_path / "digests").digest == by_name.digest  # digest cache hit
    assert load_backbone(short, "random").digest != by_name.digest


def test_quiltnet_loads_by_its_open_clip_hub_name(tmp_path, monkeypatch):
    tiny_models.fill_fake_hub_cache(tmp_path, "wisdomik/QuiltNet-B-32", "native")
    _use_cache(monkeypatch, tmp_path)
    backbone = load_backbone("quiltnet")
    assert backbone.model.encode_text(backbone.tokenizer(TEXTS)).shape == (2, 32)


@pytest.mark.parametrize("short,repo,file", [("plip", "vinid/plip", "config.json"),
                                             ("pubmedclip", "sarahESL/PubMedCLIP", "PubMedCLIP_ViT32.pth")])
def test_an_uncached_published_name_fails_at_once_saying_what_was_looked_for(short, repo, file, tmp_path,
                                                                            monkeypatch):
    _use_cache(monkeypatch, tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.monotonic()
    with pytest.raises(BackboneNotFoundError) as err:
        load_backbone(short)
    assert time.monotonic() - start < 5
    assert repo in str(err.value) and file in str(err.value) and "local-dir:" in str(err.value)


def test_a_folder_in_no_known_format_gets_one_message_listing_the_formats(tmp_path):
    (tmp_path / "weights.ckpt").write_bytes(b"x")
    with pytest.raises(BackboneNotFoundError) as err:
        load_backbone(f"local-dir:{tmp_path}")
    message = str(err.value)
    for expected in ("weights.ckpt", "open_clip_config.json", "config.json (model_type 'clip')",
                     "PubMedCLIP_ViT32.pth"):
        assert expected in message


def test_a_published_folder_refuses_a_separate_weights_file(hf_clip_dir, pubmedclip_dir):
    with pytest.raises(BackboneNotFoundError, match="its weights are its own files"):
        load_backbone(f"local-dir:{hf_clip_dir}", str(pubmedclip_dir / "PubMedCLIP_ViT32.pth"))


def _unimed_reference(folder):
    """UniMed-CLIP's forward written from the library modules: transformers' BertModel, CLS token of the last
    hidden state, Linear-GELU-Linear; open_clip's VisionTransformer."""
    from transformers import BertModel

    state = torch.load(folder / "unimed-clip-vit-b16.pt", weights_only=True)["state_dict"]
    state = {k.removeprefix("module."): v for k, v in state.items()}
    from transformers import BertConfig

    bert = BertModel(BertConfig.from_pretrained(folder), add_pooling_layer=False).eval()
    bert.load_state_dict({k.removeprefix("text_encoder.transformer."): v for k, v in state.items()
                          if k.startswith("text_encoder.transformer.") and not k.endswith("position_ids")})
    vit = publisher_files._tiny_vit(publisher_files.UNIMED_EMBED, seed=123)
    vit.load_state_dict({k.removeprefix("visual."): v for k, v in state.items() if k.startswith("visual.")})

    def text(tokens):
        mask = (tokens != bert.config.pad_token_id).long()
        cls = bert(input_ids=tokens, attention_mask=mask).last_hidden_state[:, 0]
        hidden = torch.nn.functional.gelu(cls @ state["text_encoder.proj.0.weight"].t())
        return hidden @ state["text_encoder.proj.2.weight"].t()

    return text, vit, state


def test_a_unimed_checkpoint_gives_the_features_of_bert_and_open_clip_vit(tmp_path):
    folder = publisher_files.write_unimed(tmp_path / "unimed")
    backbone = load_backbone(f"local-dir:{folder}")
    text, vit, state = _unimed_reference(folder)
    encoder = PromptedTextEncoder(backbone.model, backbone.tokenizer)
    assert encoder.is_hf and backbone.tokenizer.context_length == 256
    tokens = backbone.tokenizer(TEXTS)
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(encoder(tokens), text(tokens), atol=1e-5)
        assert torch.allclose(backbone.model.encode_text(tokens), text(tokens), atol=1e-5)
        assert torch.allclose(backbone.model.encode_image(images), vit(images), atol=1e-5)
    assert torch.equal(backbone.model.logit_scale, state["logit_scale"])
    # deep prompts reach every BERT layer
    ctx = torch.randn(2, encoder.width)
    deep = [torch.randn(2, encoder.width) for _ in range(encoder.num_layers - 1)]
    with torch.no_grad():
        ours = encoder(tokens, ctx, deep)
        assert not torch.allclose(ours, encoder(tokens, ctx), atol=1e-5)
        for layer in range(len(deep)):
            changed = [torch.randn_like(v) if i == layer else v for i, v in enumerate(deep)]
            assert not torch.allclose(encoder(tokens, ctx, changed), ours, atol=1e-5), f"layer {layer + 1}"


def test_unimed_by_its_short_name_takes_biomedbert_from_the_cache(tmp_path, monkeypatch):
    files = publisher_files.write_unimed(tmp_path / "files", with_bert=False)
    publisher_files.fill_hub_cache(tmp_path / "hf", "UzairK/unimed-clip-vit-b16", files)
    _use_cache(monkeypatch, tmp_path / "hf")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BackboneNotFoundError, match="microsoft/BiomedNLP-BiomedBERT-base-uncased-abstract"):
        load_backbone("unimed")  # the text tower's config and tokenizer are not cached yet
    publisher_files.fill_hub_cache(tmp_path / "hf", "microsoft/BiomedNLP-BiomedBERT-base-uncased-abstract",
                                   tmp_path / "bert")
    backbone = load_backbone("unimed")
    assert backbone.model.encode_text(backbone.tokenizer(TEXTS)).shape == (2, publisher_files.UNIMED_EMBED)


def test_pmc_clip_rn50_files_give_the_features_of_bert_pooler_and_the_resnet(tmp_path):
    """PMC-CLIP as BiomedCoOp computes it: BertModel's pooler_output @ P; CLIP's ModifiedResNet (open_clip's)."""
    from open_clip.modified_resnet import ModifiedResNet
    from transformers import BertConfig, BertModel

    folder = publisher_files.write_pmc_clip_rn50(tmp_path / "pmc")
    backbone = load_backbone(f"local-dir:{folder}")
    bert = BertModel(BertConfig.from_pretrained(folder)).eval()
    bert.load_state_dict({k: v for k, v in torch.load(folder / "text_encoder.pth").items()
                          if not k.endswith("position_ids")})
    projection = torch.load(folder / "text_projection_layer.pth")
    resnet = ModifiedResNet(layers=[1, 1, 1, 1], output_dim=publisher_files.PMC_EMBED, heads=8, image_size=32,
                            width=16).eval()
    resnet.load_state_dict(torch.load(folder / "image_encoder(resnet50).pth"))
    encoder = PromptedTextEncoder(backbone.model, backbone.tokenizer)
    assert encoder.is_hf and backbone.tokenizer.context_length == 77
    tokens = backbone.tokenizer(TEXTS)
    mask = (tokens != 0).long()
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        reference = bert(input_ids=tokens, attention_mask=mask).pooler_output @ projection
        assert torch.allclose(encoder(tokens), reference, atol=1e-5)
        assert torch.allclose(backbone.model.encode_image(images), resnet(images), atol=1e-5)
        ctx = torch.randn(2, encoder.width)
        deep = [torch.randn(2, encoder.width) for _ in range(encoder.num_layers - 1)]
        ours = encoder(tokens, ctx, deep)
        for layer in range(len(deep)):
            changed = [torch.randn_like(v) if i == layer else v for i, v in enumerate(deep)]
            assert not torch.allclose(encoder(tokens, ctx, changed), ours, atol=1e-5), f"layer {layer + 1}"
    assert float(backbone.model.logit_scale) == pytest.approx(4.4292)


def test_pmc_clip_rn50_by_its_short_name_from_the_dataset_repo_cache(tmp_path, monkeypatch):
    files = publisher_files.write_pmc_clip_rn50(tmp_path / "files", with_bert=False)
    publisher_files.fill_hub_cache(tmp_path / "hf", "axiong/pmc_oa", files, repo_type="dataset")
    publisher_files.fill_hub_cache(tmp_path / "hf", "microsoft/BiomedNLP-BiomedBERT-base-uncased-abstract",
                                   tmp_path / "bert")
    _use_cache(monkeypatch, tmp_path / "hf")
    backbone = load_backbone("pmc-clip-rn50")
    assert backbone.model.encode_image(torch.randn(1, 3, 32, 32)).shape == (1, publisher_files.PMC_EMBED)


def test_vision_prompts_on_a_cnn_image_tower_are_refused_with_one_message(tmp_path):
    from medprompt.utils.errors import UserError
    from medprompt.clip.vision_encoder import PromptedVisionEncoder

    backbone = load_backbone(f"local-dir:{publisher_files.write_pmc_clip_rn50(tmp_path / 'pmc')}")
    with pytest.raises(UserError, match="ModifiedResNet"):
        PromptedVisionEncoder(backbone.model)


def _layer_mean_text_reference(state: dict, folder, texts, tokenizer, project):
    """MedCLIP's and FLAIR's text forward on each text alone (no padding): transformers' BertModel, the mean
    over positions of hidden states 1, 2 and last, then `project`."""
    from transformers import BertConfig, BertModel

    bert = BertModel(BertConfig.from_pretrained(folder)).eval()
    bert.load_state_dict({k.removeprefix("text_model.model."): v for k, v in state.items()
                          if k.startswith("text_model.model.") and not k.endswith("position_ids")})
    rows = []
    for text in texts:
        ids = tokenizer([text])
        ids = ids[:, : int((ids != 0).sum())]
        hidden = bert(input_ids=ids, attention_mask=torch.ones_like(ids), output_hidden_states=True).hidden_states
        rows.append(project(torch.stack([hidden[1], hidden[2], hidden[-1]]).permute(1, 0, 2, 3).mean(2).mean(1)))
    return torch.cat(rows)


def _check_two_tower(backbone, state, folder, image_reference, project_text, images):
    encoder = PromptedTextEncoder(backbone.model, backbone.tokenizer)
    assert encoder.is_hf and backbone.tokenizer.context_length == 77
    tokens = backbone.tokenizer(TEXTS)
    with torch.no_grad():
        reference = _layer_mean_text_reference(state, folder, TEXTS, backbone.tokenizer, project_text)
        assert torch.allclose(encoder(tokens), reference, atol=1e-5)  # each text as if alone, in one batch
        assert torch.allclose(encoder(tokens, trim=False), reference, atol=1e-5)  # padding changes nothing
        assert torch.allclose(backbone.model.encode_image(images), image_reference(images), atol=1e-5)
        ctx = torch.randn(2, encoder.width)
        deep = [torch.randn(2, encoder.width) for _ in range(encoder.num_layers - 1)]
        ours = encoder(tokens, ctx, deep)
        assert not torch.allclose(ours, encoder(tokens, ctx), atol=1e-6)
        for layer in range(len(deep)):
            changed = [torch.randn_like(v) if i == layer else v for i, v in enumerate(deep)]
            assert not torch.allclose(encoder(tokens, ctx, changed), ours, atol=1e-6), f"layer {layer + 1}"
    assert torch.equal(backbone.model.logit_scale.data, state["logit_scale"])


def test_medclip_weights_give_the_features_of_swin_and_bert(tmp_path):
    folder = publisher_files.write_medclip(tmp_path / "medclip")
    backbone = load_backbone(f"local-dir:{folder}")
    state = torch.load(folder / "pytorch_model.bin", weights_only=True)
    swin = publisher_files.tiny_swin(seed=5)
    # loaded the way transformers 5 loads a transformers 4 Swin checkpoint: its own renaming
    from transformers import SwinModel

    swin.save_pretrained(tmp_path / "swin-ref")
    from safetensors.torch import save_file

    save_file({k.removeprefix("vision_model.model."): v.contiguous() for k, v in state.items()
               if k.startswith("vision_model.model.") and not k.endswith("relative_position_index")},
              str(tmp_path / "swin-ref" / "model.safetensors"))
    swin = SwinModel.from_pretrained(tmp_path / "swin-ref").eval()
    vision_proj, text_proj = state["vision_model.projection_head.weight"], state["text_model.projection_head.weight"]
    _check_two_tower(backbone, state, folder, lambda x: swin(pixel_values=x).pooler_output @ vision_proj.t(),
                     lambda x: x @ text_proj.t(), torch.randn(2, 3, 224, 224))
    assert backbone.model.visual.image_size == (224, 224)


def test_flair_weights_give_the_features_of_the_resnet_and_bert(tmp_path):
    import torch.nn.functional as F

    folder = publisher_files.write_flair(tmp_path / "flair")
    backbone = load_backbone(f"local-dir:{folder}")
    state = torch.load(folder / "flair_resnet.pth", weights_only=True)
    resnet = publisher_files.tiny_resnet()
    resnet.load_state_dict({k.removeprefix("vision_model.model."): v for k, v in state.items()
                            if k.startswith("vision_model.model.")})
    vision_proj = state["vision_model.projection_head_vision.projection.weight"]
    text_proj = state["text_model.projection_head_text.projection.weight"]

    def flair_projection(weight):  # ProjectionLayer(projection=True, norm=True)
        return lambda x: F.normalize(F.normalize(x, dim=-1) @ weight.t(), dim=-1)

    _check_two_tower(backbone, state, folder, lambda x: flair_projection(vision_proj)(resnet(x)),
                     flair_projection(text_proj), torch.randn(2, 3, 64, 64))
    assert backbone.model.visual.image_size == (512, 512)


@pytest.mark.parametrize("short,writer,file", [("medclip", publisher_files.write_medclip, "pytorch_model.bin"),
                                               ("flair", publisher_files.write_flair, "flair_resnet.pth")])
def test_medclip_and_flair_by_short_name_from_the_download_folder(short, writer, file, tmp_path, monkeypatch):
    import shutil

    monkeypatch.setenv("MEDPROMPT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    _use_cache(monkeypatch, tmp_path / "hf")
    with pytest.raises(BackboneNotFoundError) as err:
        load_backbone(short)
    message = str(err.value)
    assert "https://" in message and str(tmp_path / "cache" / "backbones" / short) in message and file in message
    files = writer(tmp_path / "files", with_bert=False)
    shutil.copytree(files, tmp_path / "cache" / "backbones" / short)
    with pytest.raises(BackboneNotFoundError, match="emilyalsentzer/Bio_ClinicalBERT"):
        load_backbone(short)  # the text tower's config and tokenizer are not cached yet
    publisher_files.fill_hub_cache(tmp_path / "hf", "emilyalsentzer/Bio_ClinicalBERT", tmp_path / "bert")
    backbone = load_backbone(short)
    assert backbone.model.encode_text(backbone.tokenizer(TEXTS)).shape == (2, publisher_files.TWO_TOWER_EMBED)


def test_the_medclip_and_flair_test_transforms_pad_as_their_publishers_do():
    import pickle

    from PIL import Image

    from medprompt.clip.formats.image_transforms import flair_transform, medclip_transform

    image = Image.new("RGB", (300, 150), (200, 200, 200))  # wide: padding above and below / below
    medclip = medclip_transform(224, 0.5, 0.25)(image)
    assert medclip.shape == (3, 224, 224)
    assert torch.allclose(medclip[:, 0, 112], torch.full((3,), -2.0))  # black pad row: (0 - 0.5) / 0.25
    assert torch.allclose(medclip[:, 112, 112], torch.full((3,), (200 / 255 - 0.5) / 0.25), atol=1e-2)
    flair = flair_transform(512)(image)
    assert flair.shape == (3, 512, 512)
    assert torch.all(flair[:, 256:, :] == 0) and torch.allclose(flair[:, 100, 100], torch.full((3,), 200 / 255))
    pickle.dumps(flair_transform(512)), pickle.dumps(medclip_transform(224, 0.5, 0.25))


def test_pubmedclip_pth_also_loads_as_the_weights_file_of_an_open_clip_architecture(pubmedclip_dir, tmp_path):
    """open_clip reads OpenAI state dicts inside {"state_dict": ...}: the same file as MODEL.BACKBONE.WEIGHTS of
    the matching architecture (for the real file: ViT-B-32-quickgelu) gives the same model."""
    import json

    import open_clip

    config = tmp_path / "tiny-vit-b-32-quickgelu.json"
    config.write_text(json.dumps({"embed_dim": 32, "quick_gelu": True,
                                  "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8},
                                  "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 1,
                                               "layers": 3}}))
    open_clip.add_model_config(config)
    as_weights = load_backbone("tiny-vit-b-32-quickgelu", str(pubmedclip_dir / "PubMedCLIP_ViT32.pth"))
    assert as_weights.digest == load_backbone(f"local-dir:{pubmedclip_dir}").digest
