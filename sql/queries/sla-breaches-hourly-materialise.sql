-- Recomputes sla_breaches_hourly for one tenant, with review-sla.sql's definition of a breach: a
-- resolution clock that ran out (res_breached_at), open tickets included, per hour it ran out,
-- region, priority and customer, with the instant of each within the hour
-- (0029_review_rollup_instants.sql).
-- Every closed hour before {to} is computed, not only [{from}, {to}): the SLA sweep records the
-- breach of an open ticket without an event, hence without a dirty marker, and a reopen or a late
-- event can move a breach of any earlier hour; the tenant's rows are read in full anyway (the sort
-- key has no breach time). Only rows that differ from what is stored are written, and a stored row
-- that no longer has a breach gets an explicit 0 row, so a missing row always means 0.
INSERT INTO sla_breaches_hourly (tenant, region, priority, customer, hour, breaches, breach_offsets_ms, version)
WITH
    toDateTime64({to:DateTime('UTC')}, 3, 'UTC') AS to_ts,
    fresh AS
    (
        SELECT
            toString(region) AS region,
            toString(priority) AS priority,
            toString(customer) AS customer,
            toDateTime(toStartOfHour(assumeNotNull(res_breached_at)), 'UTC') AS hour,
            toUInt64(count()) AS n,
            arraySort(groupArray(toUInt32(toUnixTimestamp64Milli(assumeNotNull(res_breached_at)) % 3600000))) AS offsets
        FROM ticket_sla FINAL
        WHERE tenant = {tenant:String}
          AND res_breached_at IS NOT NULL
          AND res_breached_at < to_ts
        GROUP BY region, priority, customer, hour
    ),
    stored AS
    (
        SELECT toString(region) AS region, toString(priority) AS priority, toString(customer) AS customer, hour, breaches AS n,
               breach_offsets_ms AS offsets
        FROM sla_breaches_hourly FINAL
        WHERE tenant = {tenant:String} AND hour < toDateTime(to_ts)
    )
SELECT {tenant:String}, f.region, f.priority, f.customer, f.hour, f.n, f.offsets, {version:UInt64}
FROM fresh AS f
LEFT JOIN stored AS s
    ON s.region = f.region AND s.priority = f.priority AND s.customer = f.customer AND s.hour = f.hour
WHERE (f.n, f.offsets) != (s.n, s.offsets)
UNION ALL
SELECT {tenant:String}, region, priority, customer, hour, 0, [], {version:UInt64}
FROM stored
WHERE n != 0
  AND (region, priority, customer, hour) NOT IN (SELECT region, priority, customer, hour FROM fresh)
