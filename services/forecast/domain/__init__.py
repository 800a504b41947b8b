"""The forecaster's pure core: what it learns from queue.events and the futures it runs.

No Kafka, no HTTP: the service (``services/forecast/worker.py``) reads the log and publishes.
"""
