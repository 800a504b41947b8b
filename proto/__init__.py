"""The wire contract of the triage system: events, commands, topics and codecs."""
