-- Resolution SLA breaches by the hour the clock ran out (res_breached_at), per region, priority
-- and customer (the ticket's at the evaluation that recorded it: the owner at resolution for a
-- stopped clock, the current one for an open ticket, as review-sla.sql and
-- review-customer-breaches.sql count them), open tickets included. Materialised with the other
-- region rollups (0012_api_rollups.sql), under their watermark.
CREATE TABLE IF NOT EXISTS sla_breaches_hourly
(
    tenant   LowCardinality(String),
    region   LowCardinality(String),
    priority LowCardinality(String),
    customer LowCardinality(String),
    hour     DateTime('UTC'),
    breaches UInt64,
    version  UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, hour, region, priority, customer);

-- The tenants' watermarks already cover hours this table has never held: fill every closed hour
-- now (as 0013_more_rollups.sql does for its tables). A pass recomputes every closed hour anyway
-- and replaces any hour that changed since (its version is higher).
INSERT INTO sla_breaches_hourly (tenant, region, priority, customer, hour, breaches, version)
SELECT
    tenant,
    region,
    priority,
    customer,
    toDateTime(toStartOfHour(assumeNotNull(res_breached_at)), 'UTC') AS hour,
    toUInt64(count()),
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM ticket_sla FINAL
WHERE res_breached_at IS NOT NULL
  AND res_breached_at < toStartOfHour(now64(3))
GROUP BY tenant, region, priority, customer, hour;
