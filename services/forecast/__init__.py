"""The wait forecaster: Monte-Carlo futures of each region through the queue's own core (issue 22)."""
