-- Recomputes field_hourly for one tenant, with field-summary.sql's definitions: jobs completed per
-- hour of completion, region and customer.
-- Every closed hour before {to} is computed, not only [{from}, {to}): a later event reopens or
-- re-completes a job, however long before, and the tenant's rows are read in full anyway (the sort
-- key has no completion time). Field events write no dirty markers, so a late one is picked up by
-- the next pass (at the latest when the next hour closes). Only hours that differ from what is
-- stored are written, and a stored hour that no longer has a job gets an explicit 0 row, so a
-- missing row always means 0. Each row keeps its jobs' instants within the hour with their figures
-- (`jobs_completed`, 0027_field_job_instants.sql), for the hours a request's range splits.
INSERT INTO field_hourly (tenant, region, customer, hour, jobs, dispatch_latency_seconds, arrival_seconds,
    parts_delay_seconds, access_delay_ms, access_delayed, jobs_with_parts, parts_late, parts_faulty,
    first_time_fix, revisited, scope_changed, ratio_sum, ratio_count, jobs_completed, version)
WITH
    toDateTime64({to:DateTime('UTC')}, 3, 'UTC') AS to_ts,
    fresh AS
    (
        SELECT
            toString(region) AS region,
            toString(customer) AS customer,
            toDateTime(toStartOfHour(assumeNotNull(completed_at)), 'UTC') AS hour,
            (
                toUInt64(count()),
                arraySort(groupArray(dispatch_latency_seconds)),
                arraySort(groupArray(arrival_seconds)),
                arraySort(groupArray(parts_delay_seconds)),
                sum(toInt64(round(access_delay_seconds * 1000))),
                toUInt64(countIf(access_delays > 0)),
                toUInt64(countIf(had_parts = 1)),
                toUInt64(countIf(parts_late = 1)),
                toUInt64(countIf(parts_faulty > 0)),
                toUInt64(countIf(first_time_fix = 1)),
                toUInt64(countIf(revisits > 0)),
                toUInt64(countIf(scope_changes > 0)),
                toFloat64(arraySum(arraySort(groupArray(if(planned_seconds > 0, actual_seconds / planned_seconds, NULL))))),
                toUInt64(countIf(planned_seconds > 0 AND actual_seconds IS NOT NULL)),
                arraySort(groupArray((
                    toUInt32(toUnixTimestamp64Milli(assumeNotNull(completed_at)) % 3600000),
                    toNullable(toFloat64(dispatch_latency_seconds)),
                    toNullable(toFloat64(arrival_seconds)),
                    toNullable(toFloat64(parts_delay_seconds)),
                    toInt64(round(access_delay_seconds * 1000)),
                    toUInt8(access_delays > 0),
                    toUInt8(had_parts = 1),
                    toUInt8(parts_late = 1),
                    toUInt8(parts_faulty > 0),
                    toUInt8(first_time_fix = 1),
                    toUInt8(revisits > 0),
                    toUInt8(scope_changes > 0),
                    if(ifNull(planned_seconds > 0, 0) AND actual_seconds IS NOT NULL,
                        assumeNotNull(actual_seconds) / assumeNotNull(planned_seconds), 0.),
                    toUInt8(ifNull(planned_seconds > 0, 0) AND actual_seconds IS NOT NULL))))
            ) AS figures
        FROM field_job_facts FINAL
        WHERE tenant = {tenant:String}
          AND status = 'completed'
          AND completed_at < to_ts
        GROUP BY region, customer, hour
    ),
    stored AS
    (
        SELECT
            toString(region) AS region,
            toString(customer) AS customer,
            hour,
            jobs,
            (jobs, dispatch_latency_seconds, arrival_seconds, parts_delay_seconds, access_delay_ms,
             access_delayed, jobs_with_parts, parts_late, parts_faulty, first_time_fix, revisited,
             scope_changed, ratio_sum, ratio_count, jobs_completed) AS figures
        FROM field_hourly FINAL
        WHERE tenant = {tenant:String} AND hour < toDateTime(to_ts)
    )
SELECT {tenant:String}, f.region, f.customer, f.hour, tupleElement(f.figures, 1), tupleElement(f.figures, 2),
    tupleElement(f.figures, 3), tupleElement(f.figures, 4), tupleElement(f.figures, 5), tupleElement(f.figures, 6),
    tupleElement(f.figures, 7), tupleElement(f.figures, 8), tupleElement(f.figures, 9), tupleElement(f.figures, 10),
    tupleElement(f.figures, 11), tupleElement(f.figures, 12), tupleElement(f.figures, 13), tupleElement(f.figures, 14),
    tupleElement(f.figures, 15), {version:UInt64}
FROM fresh AS f
LEFT JOIN stored AS s ON s.region = f.region AND s.customer = f.customer AND s.hour = f.hour
WHERE s.jobs = 0 OR f.figures != s.figures
UNION ALL
SELECT {tenant:String}, region, customer, hour, 0, [], [], [], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, [], {version:UInt64}
FROM stored
WHERE jobs != 0
  AND (region, customer, hour) NOT IN (SELECT region, customer, hour FROM fresh)
