"""The module others copy: one `Resource` declaration and a few lookups. Read this first."""
