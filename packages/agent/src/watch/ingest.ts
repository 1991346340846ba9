import { join } from 'node:path';
import type { MicroscopeData } from '@smartem/epu';
import { keys, type Contribution, type Fields } from './entities.ts';
import type { ParsedFile, RecordByKind } from './epu.ts';

/** Drops null/undefined values (the original client sends `exclude_none`). */
function defined(values: Record<string, string | number | boolean | null | undefined>): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(values)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

function components(path: string): string[] {
  return path.replaceAll('\\', '/').split('/').filter((c) => c && c !== '.');
}

/** An atlas file matches a session's AtlasId when their last 4 components agree (Supervisor_…/Sample<N>/Atlas/Atlas.dm). */
export function atlasMatches(sessionAtlasPath: string, atlasRelPath: string): boolean {
  const a = components(sessionAtlasPath);
  const b = components(atlasRelPath);
  const n = Math.min(4, a.length, b.length);
  if (n < 2) return false;
  for (let i = 1; i <= n; i++) if (a[a.length - i]!.toLowerCase() !== b[b.length - i]!.toLowerCase()) return false;
  return true;
}

/**
 * Turns parsed EPU files into store contributions (seed-spec §2.11, §4.4 field mappings): every file maps to the
 * entities it creates or updates, keyed by grid directory and natural ids. Files may arrive in any order: the atlas
 * and the sessions are kept so that whichever comes second links them.
 */
export class Ingest {
  private readonly sessions = new Map<string, RecordByKind['session']>();
  private readonly atlases = new Map<string, RecordByKind['atlas']>();
  private acquisitionSource: string | undefined;

  /** `root` is the watched directory; class paths are relative to it, `/`-separated. */
  constructor(private readonly root: string) {}

  contributions(file: ParsedFile): Contribution[] {
    switch (file.cls.kind) {
      case 'session':
        return this.session(file.cls.grid_dir ?? '', file.record as RecordByKind['session']);
      case 'atlas':
        return this.atlas(file.cls.path, file.record as RecordByKind['atlas']);
      case 'gridsquare-metadata':
        return this.gridsquareMetadata(file.cls.grid_dir, file.cls.gridsquare_id!, file.record as RecordByKind['gridsquare-metadata']);
      case 'gridsquare-manifest':
        return this.gridsquareManifest(file.cls.grid_dir ?? '', file.cls.gridsquare_id!, file.record as RecordByKind['gridsquare-manifest']);
      case 'foilhole-manifest':
        return this.foilholeManifest(file.cls, file.record as RecordByKind['foilhole-manifest']);
      case 'micrograph-manifest':
        return this.micrograph(file.cls, file.record as RecordByKind['micrograph-manifest']);
    }
  }

  private abs(rel: string): string {
    return rel ? join(this.root, ...rel.split('/')) : this.root;
  }

  private session(grid: string, s: RecordByKind['session']): Contribution[] {
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
    for (const [atlasPath, atlas] of this.atlases) {
      if (s.atlas_path && atlasMatches(s.atlas_path, atlasPath)) out.push(...this.atlasForGrid(grid, atlasPath, atlas));
    }
    return out;
  }

  private atlas(atlasPath: string, a: RecordByKind['atlas']): Contribution[] {
    this.atlases.set(atlasPath, a);
    const out: Contribution[] = [];
    for (const [grid, s] of this.sessions) {
      if (s.atlas_path && atlasMatches(s.atlas_path, atlasPath)) out.push(...this.atlasForGrid(grid, atlasPath, a));
    }
    return out;
  }

  /** The atlas of one grid: its tiles, a square per atlas position, and the tile ↔ square links. */
  private atlasForGrid(grid: string, atlasPath: string, a: RecordByKind['atlas']): Contribution[] {
    const atlasKey = keys.atlas(grid);
    const out: Contribution[] = [
      { key: keys.grid(grid), kind: 'grid', parents: [keys.acquisition()], fields: { atlas_dir: this.abs(atlasPath) } },
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

  private gridsquareMetadata(grid: string | null, gs: string, m: RecordByKind['gridsquare-metadata']): Contribution[] {
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

  private gridsquareManifest(grid: string, gs: string, m: RecordByKind['gridsquare-manifest']): Contribution[] {
    return [
      {
        key: keys.gridsquare(grid, gs),
        kind: 'gridsquare',
        parents: [keys.grid(grid)],
        fields: defined({
          gridsquare_id: gs,
          status: 'none',
          data_dir: m.data_dir ? this.abs(m.data_dir.replaceAll('\\', '/')) : undefined,
          acquisition_datetime: m.acquisition_datetime,
          defocus: m.defocus,
          magnification: m.magnification,
          pixel_size: m.pixel_size,
          detector_name: m.detector_name,
          applied_defocus: m.applied_defocus,
        }),
      },
      ...this.instrument(m.instrument),
    ];
  }

  private foilholeManifest(cls: ParsedFile['cls'], m: RecordByKind['foilhole-manifest']): Contribution[] {
    const grid = cls.grid_dir ?? '';
    const gs = cls.gridsquare_id!;
    const fh = cls.foilhole_id!;
    return [
      {
        key: keys.foilhole(grid, gs, fh),
        kind: 'foilhole',
        parents: [keys.gridsquare(grid, gs)],
        // Several manifests of one hole: the latest (by the file name's timestamp, then name) wins.
        order: `${cls.timestamp ?? ''}|${cls.path}`,
        fields: defined({
          foilhole_id: fh,
          gridsquare_id: gs,
          center_x: m.center_x,
          center_y: m.center_y,
          quality: m.quality,
          rotation: m.rotation,
          size_width: m.size_width,
          size_height: m.size_height,
        }),
      },
      ...this.instrument(m.instrument),
    ];
  }

  private micrograph(cls: ParsedFile['cls'], m: RecordByKind['micrograph-manifest']): Contribution[] {
    const grid = cls.grid_dir ?? '';
    const gs = cls.gridsquare_id!;
    const fh = cls.foilhole_id!;
    return [
      {
        key: keys.micrograph(grid, gs, fh, m.unique_id),
        kind: 'micrograph',
        parents: [keys.foilhole(grid, gs, fh)],
        fields: defined({
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
        }),
      },
      ...this.instrument(m.instrument),
    ];
  }

  /** The instrument of the first image manifest that has one goes to the acquisition (seed-spec §3.3 step 8). */
  private instrument(i: MicroscopeData | null): Contribution[] {
    const fields = instrumentFields(i);
    if (Object.keys(fields).length === 0) return [];
    return [{ key: keys.acquisition(), kind: 'acquisition', parents: [], fields }];
  }
}

function instrumentFields(i: MicroscopeData | null): Fields {
  return defined({ instrument_model: i?.instrument_model, instrument_id: i?.instrument_id, computer_name: i?.computer_name });
}
