"""Baselines of the DVAE# code base (`--struct` encoders, beta table by dataset x struct x baseline)."""
