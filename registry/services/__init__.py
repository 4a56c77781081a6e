"""The registry's rules and queries, free of HTTP: routes call these, tests may too."""
