/**
 * Event ids acknowledged recently, so a client's retry of a batch Kafka already took is answered
 * without writing the events again. Bounded; sinks stay idempotent for anything older.
 */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly capacity = 200_000) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  addAll(ids: Iterable<string>): void {
    for (const id of ids) {
      this.ids.delete(id);
      this.ids.add(id);
    }
    while (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest === undefined) break;
      this.ids.delete(oldest);
    }
  }
}
