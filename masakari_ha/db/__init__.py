"""Storage: SQLAlchemy 2 models, sessions and the repository functions the rest calls."""
