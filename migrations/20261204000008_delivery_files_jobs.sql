-- The original file of every file delivery, and the jobs that process
-- them: a file is saved (with its job) before any work, so an upload that
-- was accepted is never lost, and a job left unfinished by a crash is
-- resumed from the stored file.

CREATE TABLE delivery_file (
    id               bigserial PRIMARY KEY,
    -- 'org:<id>' or 'zsk', as api_delivery_request: whose uploads these are.
    principal        text NOT NULL,
    organisation_id  bigint REFERENCES organisation (id),
    user_id          bigint REFERENCES app_user (id),
    token_id         bigint REFERENCES api_token (id),
    file_name        text,
    size_bytes       bigint NOT NULL CHECK (size_bytes >= 0),
    -- SHA-256 of the content, hex: the same file again is recognised.
    sha256           text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content          bytea NOT NULL,
    uploaded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_file_sha_idx ON delivery_file (principal, sha256);

ALTER TABLE delivery ADD COLUMN file_id bigint REFERENCES delivery_file (id);
CREATE INDEX delivery_file_id_idx ON delivery (file_id);

CREATE TYPE delivery_job_state AS ENUM ('queued', 'running', 'done', 'failed');

CREATE TABLE delivery_job (
    id               bigserial PRIMARY KEY,
    file_id          bigint NOT NULL UNIQUE REFERENCES delivery_file (id),
    principal        text NOT NULL,
    organisation_id  bigint REFERENCES organisation (id),
    user_id          bigint REFERENCES app_user (id),
    token_id         bigint REFERENCES api_token (id),
    channel          delivery_channel NOT NULL,
    mode             text NOT NULL CHECK (mode IN ('atomar', 'teilweise')),
    dry_run          boolean NOT NULL DEFAULT false,
    state            delivery_job_state NOT NULL DEFAULT 'queued',
    -- lesen, pruefen, schreiben while running.
    phase            text,
    rows_done        integer NOT NULL DEFAULT 0,
    rows_total       integer,
    attempts         integer NOT NULL DEFAULT 0,
    -- The final answer, byte for byte, and its HTTP status.
    status           smallint,
    response         text,
    -- Set in the same transaction that stores the delivery.
    delivery_id      bigint REFERENCES delivery (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    CONSTRAINT delivery_job_finished CHECK (
        (state IN ('done', 'failed')) = (status IS NOT NULL AND response IS NOT NULL AND finished_at IS NOT NULL)
    )
);
CREATE INDEX delivery_job_unfinished_idx ON delivery_job (id) WHERE state IN ('queued', 'running');
CREATE INDEX delivery_job_org_idx ON delivery_job (organisation_id, created_at DESC);
