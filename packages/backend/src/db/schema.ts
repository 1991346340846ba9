/**
 * The database schema: every table and column of the original, with the fixes the original lacked —
 * `ON DELETE CASCADE` foreign keys, natural ids unique per parent, status enums stored as the API's lowercase values —
 * plus the transactional outbox. Property names equal the column names (snake_case), so a row is its wire shape.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import {
  ACQUISITION_STATUSES,
  FOILHOLE_STATUSES,
  GRID_STATUSES,
  GRIDSQUARE_STATUSES,
  KINDS,
  MICROGRAPH_STATUSES,
  type FieldSpec,
  type Kind,
} from '@smartem/common';

export const acquisitionStatus = pgEnum('acquisitionstatus', ACQUISITION_STATUSES);
export const gridStatus = pgEnum('gridstatus', GRID_STATUSES);
export const gridSquareStatus = pgEnum('gridsquarestatus', GRIDSQUARE_STATUSES);
export const foilHoleStatus = pgEnum('foilholestatus', FOILHOLE_STATUSES);
export const micrographStatus = pgEnum('micrographstatus', MICROGRAPH_STATUSES);

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const cascade = { onDelete: 'cascade' } as const;

/** An entity's text column: `varchar(n)` with the length of its wire field (`@smartem/common` limits.ts), one definition. */
function column(kind: Kind, name: string) {
  const field: FieldSpec | undefined = (KINDS[kind].fields as Record<string, FieldSpec>)[name];
  if (!field?.maxLength) throw new Error(`KINDS.${kind}.${name}: no string field with a length for its column`);
  return varchar(name, { length: field.maxLength });
}

export const acquisition = pgTable(
  'acquisition',
  {
    uuid: column('acquisition', 'uuid').primaryKey(),
    id: column('acquisition', 'id'),
    name: column('acquisition', 'name').notNull().default('Unknown'),
    status: acquisitionStatus('status'),
    start_time: ts('start_time'),
    end_time: ts('end_time'),
    paused_time: ts('paused_time'),
    storage_path: column('acquisition', 'storage_path'),
    atlas_path: column('acquisition', 'atlas_path'),
    clustering_mode: column('acquisition', 'clustering_mode'),
    clustering_radius: column('acquisition', 'clustering_radius'),
    instrument_model: column('acquisition', 'instrument_model'),
    instrument_id: column('acquisition', 'instrument_id'),
    computer_name: column('acquisition', 'computer_name'),
  },
  (t) => [index('idx_acquisition_name').on(t.name)],
);

export const grid = pgTable(
  'grid',
  {
    uuid: column('grid', 'uuid').primaryKey(),
    acquisition_uuid: column('grid', 'acquisition_uuid').references(() => acquisition.uuid, cascade),
    status: gridStatus('status'),
    name: column('grid', 'name').notNull(),
    data_dir: column('grid', 'data_dir'),
    atlas_dir: column('grid', 'atlas_dir'),
    scan_start_time: ts('scan_start_time'),
    scan_end_time: ts('scan_end_time'),
  },
  (t) => [index('idx_grid_acquisition_uuid').on(t.acquisition_uuid), index('idx_grid_name').on(t.name)],
);

export const atlas = pgTable(
  'atlas',
  {
    uuid: column('atlas', 'uuid').primaryKey(),
    atlas_id: column('atlas', 'atlas_id').notNull().default(''),
    grid_uuid: column('atlas', 'grid_uuid').references(() => grid.uuid, cascade),
    acquisition_date: ts('acquisition_date'),
    storage_folder: column('atlas', 'storage_folder'),
    description: column('atlas', 'description'),
    name: column('atlas', 'name').notNull().default(''),
  },
  (t) => [
    index('idx_atlas_grid_uuid').on(t.grid_uuid),
    uniqueIndex('uq_atlas_natural_id').on(t.grid_uuid, t.atlas_id).where(sql`atlas_id <> ''`),
  ],
);

export const atlastile = pgTable(
  'atlastile',
  {
    uuid: column('atlastile', 'uuid').primaryKey(),
    atlas_uuid: column('atlastile', 'atlas_uuid').references(() => atlas.uuid, cascade),
    tile_id: column('atlastile', 'tile_id').notNull().default(''),
    position_x: integer('position_x'),
    position_y: integer('position_y'),
    size_x: integer('size_x'),
    size_y: integer('size_y'),
    file_format: column('atlastile', 'file_format'),
    base_filename: column('atlastile', 'base_filename'),
  },
  (t) => [
    index('idx_atlastile_atlas_uuid').on(t.atlas_uuid),
    uniqueIndex('uq_atlastile_natural_id').on(t.atlas_uuid, t.tile_id).where(sql`tile_id <> ''`),
  ],
);

export const gridsquare = pgTable(
  'gridsquare',
  {
    uuid: column('gridsquare', 'uuid').primaryKey(),
    grid_uuid: column('gridsquare', 'grid_uuid').references(() => grid.uuid, cascade),
    status: gridSquareStatus('status'),
    gridsquare_id: column('gridsquare', 'gridsquare_id').notNull().default(''),
    data_dir: column('gridsquare', 'data_dir'),
    atlas_node_id: integer('atlas_node_id'),
    state: column('gridsquare', 'state'),
    rotation: doublePrecision('rotation'),
    image_path: column('gridsquare', 'image_path'),
    selected: boolean('selected'),
    unusable: boolean('unusable'),
    stage_position_x: doublePrecision('stage_position_x'),
    stage_position_y: doublePrecision('stage_position_y'),
    stage_position_z: doublePrecision('stage_position_z'),
    center_x: integer('center_x'),
    center_y: integer('center_y'),
    physical_x: doublePrecision('physical_x'),
    physical_y: doublePrecision('physical_y'),
    size_width: integer('size_width'),
    size_height: integer('size_height'),
    acquisition_datetime: ts('acquisition_datetime'),
    defocus: doublePrecision('defocus'),
    magnification: doublePrecision('magnification'),
    pixel_size: doublePrecision('pixel_size'),
    detector_name: column('gridsquare', 'detector_name'),
    applied_defocus: doublePrecision('applied_defocus'),
    // Additive (the parser extracts them; the original dropped them): the atlas node's Category and Quality.
    atlas_category: integer('atlas_category'),
    atlas_quality: doublePrecision('atlas_quality'),
  },
  (t) => [
    index('idx_gridsquare_grid_uuid').on(t.grid_uuid),
    uniqueIndex('uq_gridsquare_natural_id').on(t.grid_uuid, t.gridsquare_id).where(sql`gridsquare_id <> ''`),
  ],
);

export const atlastilegridsquareposition = pgTable(
  'atlastilegridsquareposition',
  {
    atlastile_uuid: column('position', 'atlastile_uuid')
      .notNull()
      .references(() => atlastile.uuid, cascade),
    gridsquare_uuid: column('position', 'gridsquare_uuid')
      .notNull()
      .references(() => gridsquare.uuid, cascade),
    center_x: integer('center_x').notNull(),
    center_y: integer('center_y').notNull(),
    size_width: integer('size_width').notNull(),
    size_height: integer('size_height').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.atlastile_uuid, t.gridsquare_uuid] }),
    index('idx_atlastilegridsquareposition_gridsquare').on(t.gridsquare_uuid),
  ],
);

export const foilhole = pgTable(
  'foilhole',
  {
    uuid: column('foilhole', 'uuid').primaryKey(),
    foilhole_id: column('foilhole', 'foilhole_id').notNull().default(''),
    gridsquare_uuid: column('foilhole', 'gridsquare_uuid').references(() => gridsquare.uuid, cascade),
    gridsquare_id: column('foilhole', 'gridsquare_id'),
    status: foilHoleStatus('status'),
    center_x: doublePrecision('center_x'),
    center_y: doublePrecision('center_y'),
    quality: doublePrecision('quality'),
    rotation: doublePrecision('rotation'),
    size_width: doublePrecision('size_width'),
    size_height: doublePrecision('size_height'),
    x_location: integer('x_location'),
    y_location: integer('y_location'),
    x_stage_position: doublePrecision('x_stage_position'),
    y_stage_position: doublePrecision('y_stage_position'),
    diameter: integer('diameter'),
    is_near_grid_bar: boolean('is_near_grid_bar').notNull().default(false),
    // Additive: the target location's Selected/State/Quality (square metadata) and the image's acquisition time.
    selected: boolean('selected'),
    state: column('foilhole', 'state'),
    position_quality: doublePrecision('position_quality'),
    acquisition_datetime: ts('acquisition_datetime'),
  },
  (t) => [
    index('idx_foilhole_gridsquare_uuid').on(t.gridsquare_uuid),
    index('idx_foilhole_quality').on(t.quality),
    uniqueIndex('uq_foilhole_natural_id').on(t.gridsquare_uuid, t.foilhole_id).where(sql`foilhole_id <> ''`),
  ],
);

export const micrograph = pgTable(
  'micrograph',
  {
    uuid: column('micrograph', 'uuid').primaryKey(),
    micrograph_id: column('micrograph', 'micrograph_id').notNull().default(''),
    foilhole_uuid: column('micrograph', 'foilhole_uuid').references(() => foilhole.uuid, cascade),
    foilhole_id: column('micrograph', 'foilhole_id').notNull().default(''),
    location_id: column('micrograph', 'location_id'),
    status: micrographStatus('status'),
    high_res_path: column('micrograph', 'high_res_path'),
    manifest_file: column('micrograph', 'manifest_file'),
    acquisition_datetime: ts('acquisition_datetime'),
    defocus: doublePrecision('defocus'),
    detector_name: column('micrograph', 'detector_name'),
    energy_filter: boolean('energy_filter'),
    phase_plate: boolean('phase_plate'),
    image_size_x: integer('image_size_x'),
    image_size_y: integer('image_size_y'),
    binning_x: integer('binning_x'),
    binning_y: integer('binning_y'),
    total_motion: doublePrecision('total_motion'),
    average_motion: doublePrecision('average_motion'),
    ctf_max_resolution_estimate: doublePrecision('ctf_max_resolution_estimate'),
    number_of_particles_selected: integer('number_of_particles_selected'),
    number_of_particles_rejected: integer('number_of_particles_rejected'),
    selection_distribution: column('micrograph', 'selection_distribution'),
    number_of_particles_picked: integer('number_of_particles_picked'),
    pick_distribution: column('micrograph', 'pick_distribution'),
  },
  (t) => [
    index('idx_micrograph_foilhole_uuid').on(t.foilhole_uuid),
    uniqueIndex('uq_micrograph_natural_id').on(t.foilhole_uuid, t.micrograph_id).where(sql`micrograph_id <> ''`),
  ],
);

export const qualitypredictionmodel = pgTable('qualitypredictionmodel', {
  name: varchar('name').primaryKey(),
  description: varchar('description').notNull().default(''),
});

const modelName = () =>
  varchar('prediction_model_name')
    .notNull()
    .references(() => qualitypredictionmodel.name, { onDelete: 'cascade' });

export const qualitypredictionmodelparameter = pgTable(
  'qualitypredictionmodelparameter',
  {
    id: serial('id').primaryKey(),
    grid_uuid: varchar('grid_uuid')
      .notNull()
      .references(() => grid.uuid, cascade),
    timestamp: ts('timestamp').notNull().defaultNow(),
    prediction_model_name: modelName(),
    key: varchar('key').notNull(),
    value: doublePrecision('value').notNull(),
  },
  (t) => [
    index('idx_quality_model_param_composite').on(t.grid_uuid, t.prediction_model_name),
    index('idx_quality_model_param_model_name').on(t.prediction_model_name),
  ],
);

export const qualitypredictionmodelweight = pgTable(
  'qualitypredictionmodelweight',
  {
    id: serial('id').primaryKey(),
    grid_uuid: varchar('grid_uuid')
      .notNull()
      .references(() => grid.uuid, cascade),
    micrograph_uuid: varchar('micrograph_uuid').references(() => micrograph.uuid, cascade),
    micrograph_quality: boolean('micrograph_quality'),
    timestamp: ts('timestamp').notNull().defaultNow(),
    origin: varchar('origin'),
    prediction_model_name: modelName(),
    weight: doublePrecision('weight').notNull(),
  },
  (t) => [
    index('idx_quality_model_weight_grid_model').on(t.grid_uuid, t.prediction_model_name),
    index('idx_quality_model_weight_micrograph_model').on(t.micrograph_uuid, t.prediction_model_name),
    index('idx_quality_model_weight_model_name').on(t.prediction_model_name),
  ],
);

export const qualityprediction = pgTable(
  'qualityprediction',
  {
    id: serial('id').primaryKey(),
    timestamp: ts('timestamp').notNull().defaultNow(),
    value: doublePrecision('value').notNull(),
    prediction_model_name: modelName(),
    foilhole_uuid: varchar('foilhole_uuid').references(() => foilhole.uuid, cascade),
    gridsquare_uuid: varchar('gridsquare_uuid').references(() => gridsquare.uuid, cascade),
  },
  (t) => [
    index('idx_quality_prediction_model_foilhole').on(t.prediction_model_name, t.foilhole_uuid),
    index('idx_quality_prediction_model_gridsquare').on(t.prediction_model_name, t.gridsquare_uuid),
    index('idx_quality_prediction_foilhole_uuid').on(t.foilhole_uuid),
    index('idx_quality_prediction_gridsquare_uuid').on(t.gridsquare_uuid),
  ],
);

/** Events written in the same transaction as their rows; `payload` is the whole bus message (with `event_type`). */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    event_type: text('event_type').notNull(),
    payload: jsonb('payload').notNull(),
    created_at: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    published_at: timestamp('published_at', { withTimezone: true, mode: 'date' }),
    attempts: integer('attempts').notNull().default(0),
    last_error: text('last_error'),
  },
  (t) => [index('idx_outbox_unpublished').on(t.id).where(sql`published_at IS NULL`)],
);

/**
 * Outbox rows the bus refused every time while other rows were published (a poison event): moved here by the relay so
 * they stop blocking the rows after them. `id` is the outbox row's id.
 */
export const outboxDeadLetter = pgTable('outbox_dead_letter', {
  id: bigint('id', { mode: 'number' }).primaryKey(),
  event_type: text('event_type').notNull(),
  payload: jsonb('payload').notNull(),
  error: text('error').notNull(),
  attempts: integer('attempts').notNull(),
  created_at: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  failed_at: timestamp('failed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * Messages the embedded (in-process) bus gave up on — failed `maxAttempts` times or malformed — so `GET /dead-letters`
 * still lists them after a restart (with RabbitMQ the durable `<queue>.dlq` queue holds them instead). `message` is the
 * parsed message, or the raw body text when it was not valid.
 */
export const busDeadLetter = pgTable('bus_dead_letter', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  queue: text('queue').notNull(),
  message: jsonb('message').notNull(),
  error: text('error').notNull(),
  attempts: integer('attempts').notNull(),
  failed_at: timestamp('failed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** The decision engine's tables (packages/backend/src/db/decisions-schema.ts). */
export * from './decisions-schema.ts';

/** The backend → agent instruction channel (packages/backend/src/db/agents-schema.ts). */
export * from './agents-schema.ts';

/** The dashboard's change log (packages/backend/src/db/live-schema.ts). */
export * from './live-schema.ts';
