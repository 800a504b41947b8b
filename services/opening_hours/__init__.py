"""Opening (staffed) hours per region: a pure package every service may import.

``schedule`` answers "is the region open at this instant, when does that next change, how
much staffed time lies between two instants"; ``hours_file`` loads the versioned TOML file
of defaults. No IO library, no other service: under the import-linter contract and
mypy --strict like the domain cores.
"""
