-- A retried delivery gets the first answer byte for byte: keep it as text
-- (jsonb would reorder its keys).
ALTER TABLE api_delivery_request ALTER COLUMN response TYPE text USING response::text;
