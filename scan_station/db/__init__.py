"""The database: its tables (`database`), opening the engine (`engine`), the migrations
(Alembic, `migrations/`), and a SQLite database read without SQLAlchemy for short commands
(`sqlite_read`). Kept light on purpose: importing the package itself loads nothing."""
