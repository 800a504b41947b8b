"""The simulator's pure core: arrivals, staffing, the event loop, metrics and the staffing search.

No Kafka, faust or HTTP library here (import-linter contract): the event loop calls the
queue's ``handle`` directly, so the simulated queue follows exactly the live rules.
"""
