import { createHash, randomUUID } from 'node:crypto';
import { KIND_ORDER, type Kind } from '@smartem/common';
import { isSuperseded, mergeContribution } from '@smartem/epu';
import type { Contribution, EntityFields, KindFields } from './entities.ts';

/** One entity of the visit as the agent knows it, with its sync state. */
export type Entity = { [K in Kind]: EntityState & { kind: K /** Empty while `digest` is set. */; fields: KindFields<K> } }[Kind];

interface EntityState {
  key: string;
  uuid: string;
  parents: string[];
  /**
   * Set instead of `fields` once the backend acknowledged a micrograph: a micrograph's fields all come from its one
   * manifest, so a later contribution is its whole field set, compared by digest (memory, for 50,000 micrographs).
   */
  digest?: string;
  /** Bumped on every change of what would be sent. */
  version: number;
  /** Highest version the backend acknowledged (0: never stored there). */
  acked: number;
  /** `Contribution.order` last applied. */
  order?: string;
  /** Set when the backend rejected this version for a reason other than a missing parent. */
  failed?: string;
  /** When it became an orphan (ms since epoch), while one of its parents is unknown. */
  orphanSince?: number;
}

/** Where the store reports every change, so that it can be journaled before it is sent. */
export interface StoreListener {
  put(entity: Entity, delta: EntityFields, created: boolean): void;
  ack(entity: Entity): void;
  fail(entity: Entity): void;
}

export interface StoreCounts {
  entities: Record<Kind, number>;
  synced: number;
  pending: number;
  failed: number;
  orphans: Record<Kind, number>;
  orphanTotal: number;
  oldestOrphanMs: number | null;
}

/**
 * The agent's in-memory store: natural keys → uuids, merged fields, sync state; orphans (entities whose parent has not
 * been seen yet) wait here and resolve as soon as the parent appears, however late.
 */
export class EntityStore {
  readonly entities = new Map<string, Entity>();
  private readonly children = new Map<string, Set<string>>();
  private readonly orphans = new Set<string>();
  private readonly dirty = new Map<Kind, Set<string>>(KIND_ORDER.map((k) => [k, new Set<string>()]));
  listener: StoreListener | undefined;

  get(key: string): Entity | undefined {
    return this.entities.get(key);
  }

  /** Merges a contribution; returns true when something that is sent changed. */
  apply(c: Contribution, now = Date.now()): boolean {
    let entity = this.entities.get(c.key);
    const created = !entity;
    if (!entity) {
      entity = newEntity(c.key, c.kind, randomUUID(), c.parents, {});
      this.insert(entity, now);
    } else if (isSuperseded(entity, c)) {
      return false;
    }
    if (entity.digest !== undefined) {
      if (c.order !== undefined) entity.order = c.order;
      return this.applyToDigested(entity, c);
    }
    const delta = mergeContribution(entity, c)!;
    if (!created && Object.keys(delta).length === 0) return false;
    entity.version++;
    entity.failed = undefined;
    this.markDirty(entity);
    this.listener?.put(entity, delta, created);
    return true;
  }

  /** A contribution to an acknowledged micrograph replaces its fields when their digest differs. */
  private applyToDigested(entity: Entity, c: Contribution): boolean {
    if (fieldsDigest(c.fields) === entity.digest) return false;
    entity.fields = { ...c.fields };
    entity.digest = undefined;
    entity.version++;
    entity.failed = undefined;
    this.markDirty(entity);
    this.listener?.put(entity, { ...c.fields }, false);
    return true;
  }

  /**
   * Rebuilds an entity from a journal record (no listener call). `parents` are known from its first record; `digest`
   * stands for the fields of an acknowledged micrograph in a compacted journal.
   */
  restore(record: {
    key: string;
    kind: Kind;
    uuid: string;
    parents?: string[];
    fields: EntityFields;
    digest?: string;
    version: number;
    order?: string;
  }): void {
    const existing = this.entities.get(record.key);
    if (existing) {
      if (existing.digest !== undefined) {
        // Records written after the digest carry the whole field set (see applyToDigested).
        existing.fields = {};
        existing.digest = record.digest;
      }
      Object.assign(existing.fields, record.fields);
      existing.version = Math.max(existing.version, record.version);
      existing.uuid = record.uuid;
      existing.order = record.order ?? existing.order;
      existing.failed = undefined;
      this.markDirty(existing);
      return;
    }
    const entity = newEntity(record.key, record.kind, record.uuid, record.parents ?? [], { ...record.fields });
    entity.digest = record.digest;
    entity.version = record.version;
    entity.order = record.order;
    this.insert(entity, Date.now());
    this.markDirty(entity);
  }

  /** The backend stored `version` (and may have answered with the uuid it already had for this natural id). */
  ack(key: string, version: number, uuid?: string, journal = true): void {
    const entity = this.entities.get(key);
    if (!entity) return;
    entity.acked = Math.max(entity.acked, version);
    if (uuid && uuid !== entity.uuid) {
      entity.uuid = uuid;
      for (const child of this.children.get(key) ?? []) this.touch(child);
    }
    if (entity.kind === 'micrograph' && entity.acked >= entity.version && entity.digest === undefined) {
      entity.digest = fieldsDigest(entity.fields);
      entity.fields = {};
    }
    this.markDirty(entity);
    if (journal) this.listener?.ack(entity);
  }

  /** The backend rejected `version` for good (bad field): reported, not resent until the entity changes again. */
  fail(key: string, version: number, detail: string, journal = true): void {
    const entity = this.entities.get(key);
    if (!entity || entity.version !== version) return;
    entity.failed = detail;
    this.markDirty(entity);
    if (journal) this.listener?.fail(entity);
  }

  /** Forces a resend (e.g. of a parent the backend says it does not have). */
  touch(key: string): void {
    const entity = this.entities.get(key);
    if (!entity) return;
    entity.version++;
    entity.failed = undefined;
    this.markDirty(entity);
    this.listener?.put(entity, {}, false);
  }

  /**
   * Up to `limit` entities of `kind` that need sending and whose parents the backend already has.
   * Orphans and children of unsynced parents wait.
   */
  sendable(kind: Kind, limit: number): Entity[] {
    const out: Entity[] = [];
    for (const key of this.dirty.get(kind)!) {
      const entity = this.entities.get(key)!;
      if (entity.parents.every((p) => (this.entities.get(p)?.acked ?? 0) > 0)) {
        out.push(entity);
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  pendingCount(): number {
    let n = 0;
    for (const set of this.dirty.values()) n += set.size;
    return n;
  }

  /**
   * Pending entities that reach the backend as soon as it answers: every ancestor is known and none was rejected
   * before the backend stored it. The others (an ancestor missing or rejected) wait for a file, not for the backend,
   * so they are left out of the backpressure count: holding reads back for them could stall the file they wait for.
   */
  progressingCount(): number {
    const reachable = new Map<string, boolean>();
    const canReach = (key: string): boolean => {
      let ok = reachable.get(key);
      if (ok === undefined) {
        const e = this.entities.get(key);
        ok = e !== undefined && (e.acked > 0 || (!e.failed && e.parents.every(canReach)));
        reachable.set(key, ok);
      }
      return ok;
    };
    let n = 0;
    for (const set of this.dirty.values()) {
      for (const key of set) if (this.entities.get(key)!.parents.every(canReach)) n++;
    }
    return n;
  }

  counts(now = Date.now()): StoreCounts {
    const entities = Object.fromEntries(KIND_ORDER.map((k) => [k, 0])) as Record<Kind, number>;
    const orphans = Object.fromEntries(KIND_ORDER.map((k) => [k, 0])) as Record<Kind, number>;
    let synced = 0;
    let failed = 0;
    let oldest: number | null = null;
    for (const e of this.entities.values()) {
      entities[e.kind]++;
      if (e.failed) failed++;
      else if (e.acked === e.version) synced++;
    }
    for (const key of this.orphans) {
      const e = this.entities.get(key)!;
      orphans[e.kind]++;
      if (e.orphanSince !== undefined) oldest = Math.max(oldest ?? 0, now - e.orphanSince);
    }
    return { entities, synced, pending: this.pendingCount(), failed, orphans, orphanTotal: this.orphans.size, oldestOrphanMs: oldest };
  }

  /** Orphans with the parent each one waits for (for `--status` and the periodic log line). */
  listOrphans(limit = 20): { key: string; waitingFor: string[] }[] {
    const out: { key: string; waitingFor: string[] }[] = [];
    for (const key of this.orphans) {
      if (out.length >= limit) break;
      const e = this.entities.get(key)!;
      out.push({ key, waitingFor: e.parents.filter((p) => !this.entities.has(p)) });
    }
    return out;
  }

  private insert(entity: Entity, now: number): void {
    // Share the parents' key strings instead of holding a copy per child (memory, for 50,000 micrographs).
    entity.parents = entity.parents.map((p) => this.entities.get(p)?.key ?? p);
    this.entities.set(entity.key, entity);
    for (const parent of entity.parents) {
      let set = this.children.get(parent);
      if (!set) this.children.set(parent, (set = new Set()));
      set.add(entity.key);
    }
    if (entity.parents.some((p) => !this.entities.has(p))) {
      entity.orphanSince = now;
      this.orphans.add(entity.key);
    }
    // The children that were waiting for this entity are orphans no longer (unless another parent is still missing).
    for (const child of this.children.get(entity.key) ?? []) {
      if (!this.orphans.has(child)) continue;
      const c = this.entities.get(child)!;
      if (c.parents.every((p) => this.entities.has(p))) {
        this.orphans.delete(child);
        c.orphanSince = undefined;
      }
    }
  }

  private markDirty(entity: Entity): void {
    const set = this.dirty.get(entity.kind)!;
    if (entity.acked < entity.version && !entity.failed) set.add(entity.key);
    else set.delete(entity.key);
  }
}

/** An entity with no sync state yet; `fields` are of `kind` (a key's contributions and records are all of its kind). */
function newEntity(key: string, kind: Kind, uuid: string, parents: string[], fields: EntityFields): Entity {
  return { key, kind, uuid, parents, fields, version: 0, acked: 0 } as Entity;
}

/** A short digest of a field set, independent of the order of its names. */
export function fieldsDigest(fields: EntityFields): string {
  const byName: Record<string, unknown> = fields;
  const names = Object.keys(byName).sort();
  return createHash('sha1')
    .update(JSON.stringify(names.map((n) => [n, byName[n]])))
    .digest('base64');
}
