"""The benchmark runner: the grid of (experiment, model, task) jobs, each loading its model by name, writing one
results file (``grid.py``), and the ``evaluate`` / ``scale`` / ``throughput`` commands over it (``commands.py``)."""
