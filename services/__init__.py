"""The triage system's services: intake, queue and notifier."""
