"""Persistence: the SQLAlchemy engine, the tables, the Alembic migrations and the at-rest key."""
