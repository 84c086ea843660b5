-- Region key changes (mergers, splits, new keys of a Gebietsreform): which
-- key became which, and from which day (the Stichtag: the first day under the
-- new key). Loaded from files by the ZSK team; never deleted, so the history
-- of the register stays readable. A row whose old and new key are the same
-- says that the key carries on (e.g. a Gemeinde that takes in others).

-- One load of a key-change file that changed something: who, when, how.
CREATE TABLE region_change_load (
    id         bigserial PRIMARY KEY,
    loaded_at  timestamptz NOT NULL DEFAULT now(),
    -- The logged-in admin, or the admin token; both NULL: the command line.
    user_id    bigint REFERENCES app_user (id),
    token_id   bigint REFERENCES api_token (id),
    channel    text NOT NULL CHECK (channel IN ('cli', 'browser', 'api')),
    file_name  text,
    -- The German summary the loader was shown.
    summary    text NOT NULL
);

CREATE TABLE region_change (
    old_key   text NOT NULL REFERENCES region (key),
    -- The name as the file gives it ("Name alt").
    old_name  text NOT NULL,
    new_key   text NOT NULL REFERENCES region (key),
    stichtag  date NOT NULL,
    load_id   bigint NOT NULL REFERENCES region_change_load (id),
    -- The line of the file the change came from.
    line      integer NOT NULL,
    CONSTRAINT region_change_pair PRIMARY KEY (old_key, new_key),
    CONSTRAINT region_change_same_level CHECK (length(old_key) = length(new_key))
);
CREATE INDEX region_change_new_idx ON region_change (new_key);
