"""A centre on PostgreSQL (issue 19), on the session's throw-away cluster (`pg`,
`pg_dsn`: tests/conftest.py); `db` (tests/conftest.py too) runs a test on a SQLite file
and on PostgreSQL."""
