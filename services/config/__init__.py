"""Shared configuration plumbing: the one reader of the environment (env.py)."""
