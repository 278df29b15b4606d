-- The newest stored value of some keys of one connector and tenant (connector state: cursors, last-seen records).
SELECT key, argMax(value, version) AS value
FROM connector_state
WHERE connector = {connector:String}
  AND tenant = {tenant:String}
  AND key IN {keys:Array(String)}
GROUP BY key
