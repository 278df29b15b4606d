/** One handover of a hand-made ticket_facts row; instants as ClickHouse time text. */
export interface HandoverSpec {
  at: string;
  fromTeam: string;
  fromRegion: string;
  toTeam: string;
  toRegion: string;
  outcome: string;
  pingPong?: number;
  pickedAt?: string | null;
  until?: string | null;
  wall?: number | null;
  business?: number | null;
  seam?: number | null;
}

/**
 * The handover columns of a ticket_facts row (`handovers` and the parallel ho_* arrays), one entry
 * per handover; cross-region when the two regions differ, no pickup kind or calendar.
 */
export function handoverColumns(hs: HandoverSpec[]) {
  return {
    handovers: hs.length,
    ho_at: hs.map((h) => h.at),
    ho_from_team: hs.map((h) => h.fromTeam),
    ho_from_region: hs.map((h) => h.fromRegion),
    ho_to_team: hs.map((h) => h.toTeam),
    ho_to_region: hs.map((h) => h.toRegion),
    ho_cross_region: hs.map((h) => (h.fromRegion === h.toRegion ? 0 : 1)),
    ho_ping_pong: hs.map((h) => h.pingPong ?? 0),
    ho_outcome: hs.map((h) => h.outcome),
    ho_picked_at: hs.map((h) => h.pickedAt ?? null),
    ho_pickup_kind: hs.map(() => ''),
    ho_until: hs.map((h) => h.until ?? null),
    ho_calendar: hs.map(() => ''),
    ho_wall_seconds: hs.map((h) => h.wall ?? null),
    ho_business_seconds: hs.map((h) => h.business ?? null),
    ho_seam_idle_seconds: hs.map((h) => h.seam ?? null),
  };
}
