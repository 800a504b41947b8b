"""The queue's domain core: pure Python, no Kafka or HTTP imports (import-linter enforces it)."""
