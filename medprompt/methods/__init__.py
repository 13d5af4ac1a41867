"""The Dassl-free math of each method, one module per method, named as its trainer in trainers/: its
prompt learner, its losses and its logits. The Dassl glue that trains it lives in trainers/<method>.py."""
