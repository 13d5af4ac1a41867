"""The methods' Dassl-free math: one module per method."""
