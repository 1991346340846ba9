/** `EpuSession.dm` (root `EpuSessionXml`) → EpuSessionRecord. */
import { compileSchema, extract } from '../xml/extract.ts';
import { isoDateTime, required, str } from '../xml/values.ts';
import { atlasPathRelativeToStorage, toCygwinPath } from '../windows-paths.ts';
import type { EpuSessionRecord } from '../types.ts';

interface State {
  path: string;
  id: string | null;
  name: string | null;
  startTime: string | null;
  clusteringMode: string | null;
  clusteringRadius: string | null;
  samples: number;
  atlasId: string | null;
  storageFolders: number;
  storagePath: string | null;
}

const ROOT = 'EPU:EpuSessionXml';
const schema = compileSchema<State>({
  [`${ROOT}/COMMON:Id`]: { text: (s, t) => void (s.id = str(t)) },
  [`${ROOT}/EPU:Name`]: { text: (s, t) => void (s.name = str(t)) },
  [`${ROOT}/EPU:StartDateTime`]: { text: (s, t) => void (s.startTime = isoDateTime(s.path, 'StartDateTime', t)) },
  [`${ROOT}/EPU:ClusteringMode`]: { text: (s, t) => void (s.clusteringMode = str(t)) },
  [`${ROOT}/EPU:ClusteringRadius`]: { text: (s, t) => void (s.clusteringRadius = str(t)) },
  // The first sample's AtlasId and the first storage folder, like the original's `[1]` XPaths.
  [`${ROOT}/EPU:Samples/EPU:_items/EPU:SampleXml`]: { open: (s, nil) => void (nil || s.samples++) },
  [`${ROOT}/EPU:Samples/EPU:_items/EPU:SampleXml/EPU:AtlasId`]: {
    text: (s, t) => void (s.samples === 1 && (s.atlasId = str(t))),
  },
  [`${ROOT}/EPU:StorageFolders/EPU:_items/EPU:StorageFolderXml`]: { open: (s, nil) => void (nil || s.storageFolders++) },
  [`${ROOT}/EPU:StorageFolders/EPU:_items/EPU:StorageFolderXml/EPU:Path`]: {
    text: (s, t) => void (s.storageFolders === 1 && (s.storagePath = str(t))),
  },
});

export function parseEpuSession(xml: string | Buffer, path: string): EpuSessionRecord {
  const s = extract(xml, path, schema, {
    path,
    id: null,
    name: null,
    startTime: null,
    clusteringMode: null,
    clusteringRadius: null,
    samples: 0,
    atlasId: null,
    storageFolders: 0,
    storagePath: null,
  });
  return {
    id: required(path, 'Id', s.id),
    name: required(path, 'Name', s.name),
    start_time: s.startTime,
    atlas_path: s.atlasId === null ? null : atlasPathRelativeToStorage(s.atlasId, s.storagePath),
    atlas_path_raw: s.atlasId,
    storage_path: s.storagePath === null ? null : toCygwinPath(s.storagePath),
    storage_path_raw: s.storagePath,
    clustering_mode: s.clusteringMode,
    clustering_radius: s.clusteringRadius,
    instrument: null,
  };
}
