"""Run machinery shared by every trainer: config layers, output-folder settings checks, checkpoint
files, feature caches, the learning-rate schedule and the evaluation metrics."""
