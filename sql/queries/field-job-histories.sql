-- The stored canonical events of some field jobs of one tenant (duplicates collapsed by event_id).
SELECT payload
FROM field_job_events
WHERE tenant = {tenant:String}
  AND job_id IN {job_ids:Array(String)}
LIMIT 1 BY tenant, job_id, event_id
