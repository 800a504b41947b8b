"""Intake: validates a patient's triage submission, decides urgency, emits triage events."""
