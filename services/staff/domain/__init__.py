"""Pure rules of the staff edge: who may do what where (no HTTP, no Kafka)."""
