/**
 * EPU files → entities: the one mapping from parsed files to the entities they create or update (the original's field
 * mappings), keyed by grid directory and natural ids. `smartem agent watch` feeds it files as they appear;
 * `parseEpuDirectory` feeds it a finished tree. Files may arrive in any order: the atlases and the sessions are kept
 * so that whichever comes second links them.
 */
import { join, relative, resolve } from 'node:path';
import type { ParsedEpuFile } from '../parse-file.ts';
import type { AtlasRecord, EpuSessionRecord, GridSquareMetadataRecord, MicroscopeData } from '../types.ts';
import type { EpuFileClass } from '../classify.ts';
import type { Kind } from '@smartem/common';
import { entityKeys as keys, type Contribution, type KindContribution, type KindFields } from './contribution.ts';
import { locateAtlas } from './locate-atlas.ts';

/** A parsed GridSquare, FoilHole or micrograph manifest (an image's XML). */
type ImageManifest = Extract<ParsedEpuFile, { kind: 'gridsquare-manifest' | 'foilhole-manifest' | 'micrograph-manifest' }>;

/** Drops null/undefined values (the original client sends `exclude_none`). */
function defined<T extends object>(values: T): T {
  const out: Partial<T> = {};
  for (const name of Object.keys(values) as (keyof T)[]) if (values[name] !== null && values[name] !== undefined) out[name] = values[name];
  return out as T;
}

/** An entity's contribution, its null/undefined fields dropped. */
function contribution<K extends Kind>(kind: K, key: string, parents: string[], fields: KindFields<K>): KindContribution<K> {
  return { key, kind, parents, fields: defined(fields) };
}

export class EntityAssembler {
  private readonly sessions = new Map<string, EpuSessionRecord>();
  /** Atlases by absolute path. */
  private readonly atlases = new Map<string, AtlasRecord>();
  private acquisitionSource: string | undefined;
  /** Path of the image manifest whose instrument the acquisition has. */
  private instrumentSource: string | undefined;
  private readonly root: string;

  /** `root` is the directory the files were found under; each file's class (`file`) is relative to it. */
  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The entities one parsed file creates or updates. */
  contributions(parsed: ParsedEpuFile): Contribution[] {
    switch (parsed.kind) {
      case 'session':
        return this.session(parsed.file.grid_dir ?? '', parsed.record);
      case 'atlas':
        return this.atlas(this.abs(parsed.file.path), parsed.record);
      case 'gridsquare-metadata':
        return this.gridsquareMetadata(parsed.file.grid_dir, parsed.file.gridsquare_id!, parsed.record);
      case 'gridsquare-manifest':
      case 'foilhole-manifest':
      case 'micrograph-manifest':
        return [this.imageManifest(parsed), ...this.instrument(parsed.file, parsed.record.instrument)];
    }
  }

  /**
   * The atlas a grid's session names when it lies outside the root and has not been given to the assembler: a watch
   * of one grid directory does not see the visit's `atlas/` folder beside it, so the caller reads it (absolute path).
   */
  atlasOutsideRoot(grid: string): string | null {
    const found = this.atlasOf(grid);
    if (!found || this.atlases.has(found) || !relative(this.root, found).startsWith('..')) return null;
    return found;
  }

  private abs(rel: string): string {
    return rel ? join(this.root, ...rel.split('/')) : this.root;
  }

  /** The atlas file of a grid (absolute): `locateAtlas` among the atlases given so far. */
  private atlasOf(grid: string): string | null {
    const atlasPath = this.sessions.get(grid)?.atlas_path;
    return atlasPath ? locateAtlas(this.abs(grid), atlasPath, [...this.atlases.keys()].sort()) : null;
  }

  private session(grid: string, s: EpuSessionRecord): Contribution[] {
    this.sessions.set(grid, s);
    const out: Contribution[] = [];
    // One acquisition per watched directory; with several grids the first grid directory (by name) describes it, so
    // the result does not depend on arrival order.
    if (this.acquisitionSource === undefined || grid <= this.acquisitionSource) {
      this.acquisitionSource = grid;
      out.push({
        key: keys.acquisition(),
        kind: 'acquisition',
        parents: [],
        fields: defined({
          id: s.id,
          name: s.name,
          status: 'started',
          start_time: s.start_time,
          storage_path: s.storage_path,
          atlas_path: s.atlas_path,
          clustering_mode: s.clustering_mode,
          clustering_radius: s.clustering_radius,
          ...instrumentFields(s.instrument),
        }),
      });
    }
    out.push({
      key: keys.grid(grid),
      kind: 'grid',
      parents: [keys.acquisition()],
      fields: { name: s.name || 'Unknown', status: 'none', data_dir: this.abs(grid) },
    });
    const atlasFile = this.atlasOf(grid);
    const atlas = atlasFile === null ? undefined : this.atlases.get(atlasFile);
    if (atlas) out.push(...this.atlasForGrid(grid, atlasFile!, atlas));
    return out;
  }

  private atlas(atlasFile: string, a: AtlasRecord): Contribution[] {
    this.atlases.set(atlasFile, a);
    const out: Contribution[] = [];
    for (const grid of this.sessions.keys()) {
      if (this.atlasOf(grid) === atlasFile) out.push(...this.atlasForGrid(grid, atlasFile, a));
    }
    return out;
  }

  /** The atlas of one grid: its tiles, a square per atlas position, and the tile ↔ square links. */
  private atlasForGrid(grid: string, atlasFile: string, a: AtlasRecord): Contribution[] {
    const atlasKey = keys.atlas(grid);
    const out: Contribution[] = [
      { key: keys.grid(grid), kind: 'grid', parents: [keys.acquisition()], fields: { atlas_dir: atlasFile } },
      {
        key: atlasKey,
        kind: 'atlas',
        parents: [keys.grid(grid)],
        fields: defined({
          atlas_id: a.id,
          name: a.name,
          acquisition_date: a.acquisition_date,
          storage_folder: a.storage_folder,
          description: a.description,
        }),
      },
    ];
    for (const [gs, pos] of Object.entries(a.gridsquare_positions)) {
      out.push({
        key: keys.gridsquare(grid, gs),
        kind: 'gridsquare',
        parents: [keys.grid(grid)],
        fields: defined({
          gridsquare_id: gs,
          status: 'none',
          center_x: pos.center?.[0],
          center_y: pos.center?.[1],
          size_width: pos.size?.[0],
          size_height: pos.size?.[1],
          physical_x: pos.physical?.[0],
          physical_y: pos.physical?.[1],
        }),
      });
    }
    for (const tile of a.tiles) {
      const tileKey = keys.tile(grid, tile.id);
      out.push({
        key: tileKey,
        kind: 'atlastile',
        parents: [atlasKey],
        fields: defined({
          tile_id: tile.id,
          position_x: tile.tile_position.position?.[0],
          position_y: tile.tile_position.position?.[1],
          size_x: tile.tile_position.size?.[0],
          size_y: tile.tile_position.size?.[1],
          file_format: tile.file_format,
          base_filename: tile.base_filename,
        }),
      });
      for (const [gs, positions] of Object.entries(tile.gridsquare_positions)) {
        const last = positions[positions.length - 1];
        if (!last) continue;
        out.push({
          key: keys.link(grid, tile.id, gs),
          kind: 'position',
          parents: [tileKey, keys.gridsquare(grid, gs)],
          fields: { center_x: last.position[0], center_y: last.position[1], size_width: last.size[0], size_height: last.size[1] },
        });
      }
    }
    return out;
  }

  private gridsquareMetadata(grid: string | null, gs: string, m: GridSquareMetadataRecord): Contribution[] {
    if (grid === null) return [];
    const gsKey = keys.gridsquare(grid, gs);
    const out: Contribution[] = [
      {
        key: gsKey,
        kind: 'gridsquare',
        parents: [keys.grid(grid)],
        fields: defined({
          gridsquare_id: gs,
          status: 'none',
          atlas_node_id: m.atlas_node_id,
          state: m.state,
          rotation: m.rotation,
          image_path: m.image_path,
          selected: m.selected,
          unusable: m.unusable,
          stage_position_x: m.stage_position?.x,
          stage_position_y: m.stage_position?.y,
          stage_position_z: m.stage_position?.z,
        }),
      },
    ];
    for (const [fh, p] of Object.entries(m.foilhole_positions)) {
      out.push({
        key: keys.foilhole(grid, gs, fh),
        kind: 'foilhole',
        parents: [gsKey],
        fields: defined({
          foilhole_id: fh,
          gridsquare_id: gs,
          x_location: p.x_location,
          y_location: p.y_location,
          x_stage_position: p.x_stage_position,
          y_stage_position: p.y_stage_position,
          diameter: p.diameter,
          is_near_grid_bar: p.is_near_grid_bar,
        }),
      });
    }
    return out;
  }

  /** The square, hole or micrograph an image manifest describes; its path names the grid, square and hole. */
  private imageManifest({ kind, file: cls, record: m }: ImageManifest): Contribution {
    const { grid, gs, fh } = imageIds(cls);
    if (kind === 'gridsquare-manifest') {
      return contribution('gridsquare', keys.gridsquare(grid, gs), [keys.grid(grid)], {
        gridsquare_id: gs,
        status: 'none',
        data_dir: m.data_dir ? this.abs(m.data_dir.replaceAll('\\', '/')) : undefined,
        acquisition_datetime: m.acquisition_datetime,
        defocus: m.defocus,
        magnification: m.magnification,
        pixel_size: m.pixel_size,
        detector_name: m.detector_name,
        applied_defocus: m.applied_defocus,
      });
    }
    if (kind === 'foilhole-manifest') {
      const hole = contribution('foilhole', keys.foilhole(grid, gs, fh), [keys.gridsquare(grid, gs)], {
        foilhole_id: fh,
        gridsquare_id: gs,
        center_x: m.center_x,
        center_y: m.center_y,
        quality: m.quality,
        rotation: m.rotation,
        size_width: m.size_width,
        size_height: m.size_height,
      });
      // Several manifests of one hole: the latest (by the file name's timestamp, then name) wins.
      return { ...hole, order: `${cls.timestamp ?? ''}|${cls.path}` };
    }
    return contribution('micrograph', keys.micrograph(grid, gs, fh, m.unique_id), [keys.foilhole(grid, gs, fh)], {
      foilhole_id: fh,
      micrograph_id: m.unique_id,
      location_id: cls.location_id ?? m.location_id,
      high_res_path: '.',
      manifest_file: this.abs(cls.path),
      acquisition_datetime: m.acquisition_datetime,
      defocus: m.defocus,
      detector_name: m.detector_name,
      energy_filter: m.energy_filter,
      phase_plate: m.phase_plate,
      image_size_x: m.image_size_x,
      image_size_y: m.image_size_y,
      binning_x: m.binning_x,
      binning_y: m.binning_y,
      status: 'none',
    });
  }

  /**
   * The instrument of the first image manifest (by path) that has one goes to the acquisition, so the result does not
   * depend on arrival order (a tree may hold images of several microscopes).
   */
  private instrument(cls: EpuFileClass, i: MicroscopeData | null): Contribution[] {
    const fields = instrumentFields(i);
    if (Object.keys(fields).length === 0) return [];
    if (this.instrumentSource !== undefined && cls.path > this.instrumentSource) return [];
    this.instrumentSource = cls.path;
    return [{ key: keys.acquisition(), kind: 'acquisition', parents: [], fields }];
  }
}

/** The grid directory and EPU ids an image manifest's path names (a foil hole's and a micrograph's include the hole). */
function imageIds(cls: EpuFileClass): { grid: string; gs: string; fh: string } {
  return { grid: cls.grid_dir ?? '', gs: cls.gridsquare_id!, fh: cls.foilhole_id! };
}

function instrumentFields(i: MicroscopeData | null): KindFields<'acquisition'> {
  return defined({ instrument_model: i?.instrument_model, instrument_id: i?.instrument_id, computer_name: i?.computer_name });
}
