"""The roles an API key can have. A module of its own so that `leerpad --help`, which lists them,
need not import the web stack that service.http.deps brings."""

ROLES = ("admin", "ld", "lms", "employee")
