"""The notifier's domain core: message templates. No Kafka or HTTP imports."""
