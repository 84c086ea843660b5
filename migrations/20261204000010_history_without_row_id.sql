-- The value history is read per cell, newest first. Within a cell, the
-- delivery number already orders the entries: a correction locks the cell
-- before its delivery gets its number and holds the lock until it commits,
-- and a cell created concurrently makes the later delivery retry with a
-- new number. The row id, a sequence call and a second index per written
-- value, is dropped.
ALTER TABLE transaction_count_history DROP COLUMN id;
