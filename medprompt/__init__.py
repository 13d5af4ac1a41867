"""The project's Dassl-free code, in layers (each imports only the layers listed before it):

- ``utils``: errors, atomic writes, timing, threads, paths, the entry-point wrapper;
- ``synthetic``: the synthetic medical world's generator;
- ``data``: dataset specs and split files, LLM descriptions, class names;
- ``llm``: generating descriptions with an OpenAI-compatible server;
- ``results``: the output tree, reading logs into tables;
- ``run``: run machinery (config layers, checkpoints, feature caches, schedule, metrics);
- ``clip``: backbones and the prompted encoders;
- ``methods``: each method's math.

The Dassl glue (``trainers/``, ``datasets/``) sits above these. Above it, ``sweep`` runs protocol
grids (its warm interpreter imports the trainers to fork runs) and ``demo`` plans and reports the
demo. Nothing below ``sweep`` imports Dassl.
"""
