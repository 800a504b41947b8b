"""Intake's domain core: validation and urgency rules. No Kafka or HTTP imports."""
