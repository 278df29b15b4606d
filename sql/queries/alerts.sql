-- Alerts for GET /v1/alerts: one row per episode (fingerprint + started_at) with its latest state,
-- when it started, fired and resolved, the figures that made it fire and its latest figures, and how
-- many transitions it went through. Filters: {state} (the episode's current state), {rule},
-- {tenant}, {region} (empty = all); episodes active in [{from}, {to}): started before {to} and not
-- resolved (or cleared) before {from}. Newest first, at most {limit}.
WITH
    ['pending', 'inactive', 'firing', 'resolved'] AS order_of_states,
    episodes AS
    (
        -- ep_ names: an alias equal to a column name would replace the column in WHERE
        SELECT
            fingerprint,
            started_at,
            any(rule_id) AS ep_rule,
            any(kind) AS ep_kind,
            any(severity) AS ep_severity,
            any(tenant) AS ep_tenant,
            any(region) AS ep_region,
            any(labels) AS ep_labels,
            argMax(state, (at, indexOf(order_of_states, state))) AS ep_state,
            max(at) AS ep_last_at,
            maxOrNull(fired_at) AS ep_fired_at,
            maxOrNull(resolved_at) AS ep_resolved_at,
            argMax(value, (at, indexOf(order_of_states, state))) AS ep_value,
            any(threshold) AS ep_threshold,
            argMax(summary, (at, indexOf(order_of_states, state))) AS ep_summary,
            argMaxIf(numbers, at, state = 'firing') AS ep_firing_numbers,
            argMax(numbers, (at, indexOf(order_of_states, state))) AS ep_numbers,
            toUInt64(count()) AS ep_transitions
        FROM alerts FINAL
        WHERE ({rule:String} = '' OR rule_id = {rule:String})
          AND ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
        GROUP BY fingerprint, started_at
    )
SELECT
    fingerprint,
    ep_rule AS rule_id,
    ep_kind AS kind,
    ep_severity AS severity,
    ep_state AS state,
    ep_tenant AS tenant,
    ep_region AS region,
    ep_labels AS labels,
    toString(started_at) AS started_at,
    if(ep_fired_at IS NULL, NULL, toString(ep_fired_at)) AS fired_at,
    if(ep_resolved_at IS NULL, NULL, toString(ep_resolved_at)) AS resolved_at,
    toString(ep_last_at) AS last_transition_at,
    ep_value AS value,
    ep_threshold AS threshold,
    ep_summary AS summary,
    ep_firing_numbers AS firing_numbers,
    ep_numbers AS numbers,
    ep_transitions AS transitions
FROM episodes
WHERE ({state:String} = '' OR ep_state = {state:String})
  AND episodes.started_at < {to:DateTime64(3, 'UTC')}
  AND NOT (ep_state IN ('resolved', 'inactive') AND ep_last_at < {from:DateTime64(3, 'UTC')})
ORDER BY episodes.started_at DESC, fingerprint
LIMIT {limit:UInt32}
