-- The instant of each completed job within field_hourly's hour, with its figures, so that
-- /v1/metrics/field answers a range that starts or ends inside an hour (`from=now-24h`) from the
-- rollup instead of reading field_job_facts live: an hour the range's ends fall inside is read job
-- by job (sql/queries/field-summary-rollup.sql), every other hour summed as before. One tuple per
-- job completed in the row's hour: milliseconds since the hour's start (completed_at is
-- DateTime64(3)), its dispatch latency, arrival and parts delay (NULL when it has none, as the
-- hour's arrays leave them out), access delay in whole milliseconds, the flags the rates count, and
-- its planned-vs-actual ratio with whether it counts; sorted, so that a row computed twice compares
-- equal (field-hourly-materialise.sql).
ALTER TABLE field_hourly
    ADD COLUMN IF NOT EXISTS jobs_completed Array(Tuple(
        offset_ms UInt32,
        dispatch_latency_seconds Nullable(Float64),
        arrival_seconds Nullable(Float64),
        parts_delay_seconds Nullable(Float64),
        access_delay_ms Int64,
        access_delayed UInt8,
        with_parts UInt8,
        parts_late UInt8,
        parts_faulty UInt8,
        first_time_fix UInt8,
        revisited UInt8,
        scope_changed UInt8,
        ratio Float64,
        ratio_counted UInt8)) AFTER ratio_count;

-- The rows stored so far have no instants: every closed hour is computed again here, with the
-- materialise query's definitions, and a pass replaces any hour that changed since.
TRUNCATE TABLE field_hourly;

INSERT INTO field_hourly (tenant, region, customer, hour, jobs, dispatch_latency_seconds, arrival_seconds,
    parts_delay_seconds, access_delay_ms, access_delayed, jobs_with_parts, parts_late, parts_faulty,
    first_time_fix, revisited, scope_changed, ratio_sum, ratio_count, jobs_completed, version)
SELECT
    tenant,
    region,
    customer,
    toDateTime(toStartOfHour(assumeNotNull(completed_at)), 'UTC') AS hour,
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
        toUInt8(ifNull(planned_seconds > 0, 0) AND actual_seconds IS NOT NULL)))),
    toUInt64(toUnixTimestamp64Milli(now64(3)))
FROM field_job_facts FINAL
WHERE status = 'completed'
  AND completed_at < toStartOfHour(now64(3))
GROUP BY tenant, region, customer, hour;
