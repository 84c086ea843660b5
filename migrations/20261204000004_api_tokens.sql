-- API tokens of organisations (and of the ZSK team), and the answers of
-- import API calls by the client's delivery id, for safe retries.

CREATE TABLE api_token (
    id               bigserial PRIMARY KEY,
    -- NULL: a token of the ZSK team that may act for every organisation.
    organisation_id  bigint REFERENCES organisation (id),
    name             text NOT NULL,
    -- SHA-256 of the token; the token itself is shown once and never stored.
    token_hash       text NOT NULL UNIQUE,
    prefix           text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       bigint REFERENCES app_user (id),
    last_used_at     timestamptz,
    revoked_at       timestamptz
);
CREATE INDEX api_token_org_idx ON api_token (organisation_id);

ALTER TABLE delivery
    ADD COLUMN token_id bigint REFERENCES api_token (id),
    ADD COLUMN external_id text;

CREATE TABLE api_delivery_request (
    -- 'org:<id>' or 'zsk': whose id space the client's delivery id lives in.
    principal     text NOT NULL,
    lieferung_id  text NOT NULL,
    request_hash  text NOT NULL,
    status        smallint NOT NULL,
    response      jsonb NOT NULL,
    delivery_id   bigint REFERENCES delivery (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, lieferung_id)
);
