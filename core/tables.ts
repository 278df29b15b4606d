// Every ClickHouse table Baton reads or writes. SQL files name tables literally; this registry is
// what TypeScript code uses, and a test checks each name exists after migrating.
export const tables = {
  schemaMigrations: 'schema_migrations',
  ticketEvents: 'ticket_events',
  ticketLifecycle: 'ticket_lifecycle',
  connectorState: 'connector_state',
  ticketFacts: 'ticket_facts',
  rosterEvents: 'roster_events',
  agentMembership: 'agent_membership',
  fieldJobEvents: 'field_job_events',
  fieldJobFacts: 'field_job_facts',
  ticketSla: 'ticket_sla',
  backlogHourly: 'backlog_hourly',
  backlogDirty: 'backlog_dirty',
  backlogWatermark: 'backlog_watermark',
  alerts: 'alerts',
  agentShifts: 'agent_shifts',
  pipelineStats: 'pipeline_stats',
  deadLetters: 'dead_letters',
} as const;

export type TableName = (typeof tables)[keyof typeof tables];
