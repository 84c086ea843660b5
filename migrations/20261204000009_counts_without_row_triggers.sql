-- Counts are written in batches of up to 20,000 rows. A foreign key checks
-- and share-locks its referenced row once per written row: for the import
-- API that was more than half of the write time, and concurrent deliveries
-- of one service queued on the same service and region rows. The same
-- guarantees now hold per statement instead:
-- * the store step writes a row only where service, region and delivery
--   exist (a join in the write itself; a row it cannot place fails the
--   whole delivery), and
-- * what counts refer to is never deleted and never renamed: regions are
--   closed (valid_to), services and deliveries are kept for the history.

ALTER TABLE transaction_count
    DROP CONSTRAINT transaction_count_service_id_fkey,
    DROP CONSTRAINT transaction_count_region_key_fkey,
    DROP CONSTRAINT transaction_count_delivery_id_fkey;
ALTER TABLE transaction_count_history
    DROP CONSTRAINT transaction_count_history_delivery_id_fkey;

CREATE FUNCTION refuse_removal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are kept: counts and their history refer to them', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER region_kept BEFORE DELETE OR TRUNCATE ON region
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_removal();
CREATE TRIGGER online_service_kept BEFORE DELETE OR TRUNCATE ON online_service
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_removal();
CREATE TRIGGER delivery_kept BEFORE DELETE OR TRUNCATE ON delivery
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_removal();

CREATE FUNCTION refuse_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% keys are never changed: counts refer to them', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER region_key_kept BEFORE UPDATE OF key ON region
    FOR EACH ROW WHEN (OLD.key IS DISTINCT FROM NEW.key) EXECUTE FUNCTION refuse_key_change();
CREATE TRIGGER online_service_id_kept BEFORE UPDATE OF id ON online_service
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION refuse_key_change();
CREATE TRIGGER delivery_id_kept BEFORE UPDATE OF id ON delivery
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION refuse_key_change();
