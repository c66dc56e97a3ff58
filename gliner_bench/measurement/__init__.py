"""Measuring and recording: the machine (``environment.py``), results files (``results.py``), bootstrap intervals
(``bootstrap.py``) and throughput timing (``throughput.py``)."""
