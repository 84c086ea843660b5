-- Foundation schema: regions, catalogue, organisations, online services,
-- users and sessions, deliveries and transaction counts.

CREATE TYPE region_level AS ENUM ('bund', 'land', 'kreis', 'gemeinde');

CREATE TABLE region (
    key         text PRIMARY KEY,
    level       region_level NOT NULL,
    name        text NOT NULL,
    parent_key  text REFERENCES region (key),
    -- The coarsest region covering the same territory (Berlin 11000000 -> 11);
    -- counts are stored under this key so one territory is one cell.
    cell_key    text NOT NULL REFERENCES region (key) DEFERRABLE INITIALLY DEFERRED,
    ars         text UNIQUE,
    population  bigint,
    valid_from  date NOT NULL,
    valid_to    date,
    CONSTRAINT region_key_shape CHECK (key = 'DE' OR key ~ '^[0-9]{2}([0-9]{3}([0-9]{3})?)?$'),
    CONSTRAINT region_validity CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX region_parent_idx ON region (parent_key);
CREATE INDEX region_cell_idx ON region (cell_key);

CREATE TABLE ozg_leistung (
    ozg_id      text PRIMARY KEY,
    name        text NOT NULL,
    lebenslage  text,
    themenfeld  text,
    hidden      boolean NOT NULL DEFAULT false
);

CREATE TABLE leika_leistung (
    id            bigserial PRIMARY KEY,
    leika_key     text,
    name          text NOT NULL,
    leistungstyp  text,
    typ_values    smallint[] NOT NULL DEFAULT '{}',
    ozg_id        text REFERENCES ozg_leistung (ozg_id),
    CONSTRAINT leika_key_shape CHECK (leika_key IS NULL OR leika_key ~ '^[0-9]{14}$')
);
CREATE INDEX leika_key_idx ON leika_leistung (leika_key);

CREATE TYPE organisation_level AS ENUM ('bund', 'land', 'kommune');

CREATE TABLE organisation (
    id     bigserial PRIMARY KEY,
    name   text NOT NULL UNIQUE,
    level  organisation_level NOT NULL
);

CREATE TYPE granularity AS ENUM ('bund', 'land', 'kreis', 'gemeinde');

-- A portal bundles many online services and reports as one data source.
CREATE TABLE portal (
    id               text PRIMARY KEY,
    name             text NOT NULL UNIQUE,
    organisation_id  bigint NOT NULL REFERENCES organisation (id)
);

CREATE TABLE online_service (
    id               text PRIMARY KEY,
    name             text NOT NULL,
    organisation_id  bigint NOT NULL REFERENCES organisation (id),
    portal_id        text REFERENCES portal (id),
    -- NULL: not yet declared; deliveries then allow the finest level.
    granularity      granularity,
    efa              boolean NOT NULL DEFAULT false,
    focus            boolean NOT NULL DEFAULT false,
    url              text,
    leika_key        text,
    ozg_id           text,
    leistungstyp     smallint CHECK (leistungstyp BETWEEN 1 AND 5),
    go_live          date,
    publish          boolean NOT NULL DEFAULT false
);
CREATE INDEX online_service_org_idx ON online_service (organisation_id);

CREATE TYPE user_role AS ENUM ('admin', 'submitter', 'reader');

CREATE TABLE app_user (
    id               bigserial PRIMARY KEY,
    login            text NOT NULL UNIQUE,
    display_name     text NOT NULL,
    password_hash    text NOT NULL,
    role             user_role NOT NULL,
    organisation_id  bigint REFERENCES organisation (id),
    region_key       text REFERENCES region (key),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_scope CHECK (
        (role = 'admin' AND organisation_id IS NULL AND region_key IS NULL)
        OR (role = 'submitter' AND organisation_id IS NOT NULL AND region_key IS NULL)
        OR (role = 'reader' AND organisation_id IS NULL AND region_key IS NOT NULL)
    )
);

-- Failed login attempts, for throttling.
CREATE TABLE login_failure (
    id         bigserial PRIMARY KEY,
    login      text NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failure_idx ON login_failure (login, failed_at);

CREATE TYPE delivery_channel AS ENUM ('csv', 'form', 'api', 'demo');

CREATE TABLE delivery (
    id               bigserial PRIMARY KEY,
    organisation_id  bigint REFERENCES organisation (id),
    user_id          bigint REFERENCES app_user (id),
    channel          delivery_channel NOT NULL,
    file_name        text,
    received_at      timestamptz NOT NULL DEFAULT now(),
    received         integer NOT NULL,
    new_values       integer NOT NULL,
    corrected        integer NOT NULL,
    unchanged        integer NOT NULL,
    rejected         integer NOT NULL
);
CREATE INDEX delivery_org_idx ON delivery (organisation_id, received_at DESC);

-- The current value of each cell. No row: not reported; count 0: reported 0.
CREATE TABLE transaction_count (
    service_id   text NOT NULL REFERENCES online_service (id),
    region_key   text NOT NULL REFERENCES region (key),
    month        date NOT NULL CHECK (extract(day FROM month) = 1),
    count        bigint NOT NULL CHECK (count >= 0),
    delivery_id  bigint NOT NULL REFERENCES delivery (id),
    PRIMARY KEY (service_id, region_key, month)
);
CREATE INDEX transaction_count_region_idx ON transaction_count (region_key, month);

-- Every value ever accepted, so corrections keep their history.
CREATE TABLE transaction_count_history (
    id           bigserial PRIMARY KEY,
    service_id   text NOT NULL,
    region_key   text NOT NULL,
    month        date NOT NULL,
    count        bigint NOT NULL,
    delivery_id  bigint NOT NULL REFERENCES delivery (id),
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transaction_count_history_cell_idx
    ON transaction_count_history (service_id, region_key, month);
