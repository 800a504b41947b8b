"""The notifier: sends the patient an SMS when it is their turn."""
