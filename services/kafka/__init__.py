"""Kafka plumbing shared by the services: broker, topics, publishing, dead letters."""
