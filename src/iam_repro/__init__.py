"""iam-repro: reproduction pipeline for *Influence-aware Memory Architectures for Deep RL*."""

__version__ = "0.1.0"
