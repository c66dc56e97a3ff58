"""Training GLiNER models: losses, batches with sampled label sets, and the training loop."""
