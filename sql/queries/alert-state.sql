-- The latest transition of every alert (by fingerprint): the alert evaluator's state, read back
-- when it starts so a restart neither re-notifies a firing alert nor forgets a cooldown.
SELECT
    id,
    fingerprint,
    rule_id,
    kind,
    severity,
    state,
    previous_state,
    consecutive,
    tenant,
    region,
    group_labels,
    labels,
    toUnixTimestamp64Milli(started_at) AS started_ms,
    if(fired_at IS NULL, NULL, toUnixTimestamp64Milli(assumeNotNull(fired_at))) AS fired_ms,
    if(resolved_at IS NULL, NULL, toUnixTimestamp64Milli(assumeNotNull(resolved_at))) AS resolved_ms,
    toUnixTimestamp64Milli(at) AS at_ms,
    value,
    threshold,
    summary,
    numbers
FROM alerts FINAL
ORDER BY fingerprint, at DESC, indexOf(['pending', 'inactive', 'firing', 'resolved'], state) DESC
LIMIT 1 BY fingerprint
