-- Login sessions, in the layout of tower-sessions' PostgreSQL store.
CREATE SCHEMA tower_sessions;

CREATE TABLE tower_sessions.session (
    id           text PRIMARY KEY NOT NULL,
    data         bytea NOT NULL,
    expiry_date  timestamptz NOT NULL
);
CREATE INDEX session_expiry_idx ON tower_sessions.session (expiry_date);
