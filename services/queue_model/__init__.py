"""A pure model of the queue over time, shared by the simulator, the forecaster and the load generator.

Arrivals (traffic.py, population.py, scenario.py), opening hours as a timeline (hours.py), the
time frames (frames.py) and the engine (engine.py) that runs the queue's own rules
(``services.queue.domain``) on them. No I/O: no Kafka, HTTP or files.
"""
