-- Totals per region and month under the rule of DESIGN.md "Granularity and
-- levels": a region's total is its own reported figure where there is one,
-- otherwise the sum of its parts' totals, never both. p_root limits the
-- computation to one region subtree ('DE' for all); only rows inside that
-- subtree are returned.
CREATE FUNCTION region_totals(p_services text[], p_root text)
RETURNS TABLE (service_id text, key text, month date, total bigint)
LANGUAGE sql STABLE AS $$
WITH v AS (
    SELECT t.service_id, t.region_key AS key, r.level, t.month, t.count
    FROM transaction_count t
    JOIN region r ON r.key = t.region_key
    WHERE t.service_id = ANY (p_services)
      AND (p_root = 'DE' OR t.region_key LIKE p_root || '%')
),
gemeinde AS (
    SELECT v.service_id, v.key, v.month, v.count AS total FROM v WHERE v.level = 'gemeinde'
),
kreis AS (
    SELECT coalesce(o.service_id, p.service_id) AS service_id, coalesce(o.key, p.key) AS key,
           coalesce(o.month, p.month) AS month, coalesce(o.count, p.total) AS total
    FROM (SELECT * FROM v WHERE v.level = 'kreis') o
    FULL JOIN (SELECT g.service_id, left(g.key, 5) AS key, g.month, sum(g.total)::bigint AS total
               FROM gemeinde g GROUP BY 1, 2, 3) p
      ON (o.service_id, o.key, o.month) = (p.service_id, p.key, p.month)
),
land AS (
    SELECT coalesce(o.service_id, p.service_id) AS service_id, coalesce(o.key, p.key) AS key,
           coalesce(o.month, p.month) AS month, coalesce(o.count, p.total) AS total
    FROM (SELECT * FROM v WHERE v.level = 'land') o
    FULL JOIN (SELECT k.service_id, left(k.key, 2) AS key, k.month, sum(k.total)::bigint AS total
               FROM kreis k GROUP BY 1, 2, 3) p
      ON (o.service_id, o.key, o.month) = (p.service_id, p.key, p.month)
),
bund AS (
    SELECT coalesce(o.service_id, p.service_id) AS service_id, 'DE'::text AS key,
           coalesce(o.month, p.month) AS month, coalesce(o.count, p.total) AS total
    FROM (SELECT * FROM v WHERE v.level = 'bund') o
    FULL JOIN (SELECT l.service_id, l.month, sum(l.total)::bigint AS total
               FROM land l GROUP BY 1, 2) p
      ON (o.service_id, o.month) = (p.service_id, p.month)
),
all_levels AS (
    SELECT * FROM gemeinde
    UNION ALL SELECT * FROM kreis
    UNION ALL SELECT * FROM land
    UNION ALL SELECT * FROM bund
)
SELECT a.service_id, a.key, a.month, a.total
FROM all_levels a
WHERE p_root = 'DE' OR a.key LIKE p_root || '%'
$$;
