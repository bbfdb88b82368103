"""Trains and evaluates a DVAE## model; the code is dvae_tf2.train_cli (also installed as `dvae-train`)."""
from dvae_tf2 import train_cli

if __name__ == "__main__":
    train_cli.run()
