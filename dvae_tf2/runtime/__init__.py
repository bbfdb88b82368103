"""Running the code: quiet start, devices, tf.distribute, random streams, progress, atomic writes, CLI errors, XLA checks."""
