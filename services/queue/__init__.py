"""The queue service: per-region urgency heaps fed by triage events and queue commands."""
