-- The order in which data sources were registered: the report lists them
-- in this order within each level, as the ZSK's own report does.
CREATE SEQUENCE registration_seq;
ALTER TABLE portal ADD COLUMN registered_seq bigint NOT NULL DEFAULT nextval('registration_seq');
ALTER TABLE online_service ADD COLUMN registered_seq bigint NOT NULL DEFAULT nextval('registration_seq');
