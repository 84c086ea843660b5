-- The organisations whose services a delivery wrote values for. A delivery
-- of the ZSK team has no organisation of its own but may change an
-- organisation's values: that organisation sees it in its history.
ALTER TABLE delivery ADD COLUMN organisations bigint[] NOT NULL DEFAULT '{}';
UPDATE delivery d SET organisations = ARRAY[d.organisation_id] WHERE d.organisation_id IS NOT NULL;
UPDATE delivery d SET organisations = coalesce((
    SELECT array_agg(DISTINCT s.organisation_id)
    FROM transaction_count_history h JOIN online_service s ON s.id = h.service_id
    WHERE h.delivery_id = d.id), '{}')
WHERE d.organisation_id IS NULL;
