"""Trains and evaluates a DVAE## model; the code is dvae_tf2.tools.train (also installed as `dvae-train`)."""
from dvae_tf2.tools import train

if __name__ == "__main__":
    train.run()
