/**
 * The pictures under the maps: the atlas tiles at their atlas positions, and the grid square image over the pixels its
 * foil holes are given in. Loaded after the map is drawn (they never hold up the first render) and decoded off the
 * main thread; entities without a preview simply have none.
 */
import { get, getOptional, getPreview, paths, type AtlasTile } from './api.ts';
import type { MapImage } from './MapCanvas.tsx';
import { useData } from './useData.ts';

const NONE: MapImage[] = [];

function usePictures(key: string, load: (signal: AbortSignal) => Promise<MapImage[]>): MapImage[] {
  const loaded = useData(key, load);
  return loaded.status === 'ok' ? loaded.data : NONE;
}

/** The atlas tiles of a grid that have a preview, stitched at their positions (atlas pixels, like the squares). */
export function useAtlasTiles(gridUuid: string): MapImage[] {
  return usePictures(`atlas:${gridUuid}`, async (signal) => {
    const atlas = await getOptional<{ uuid: string }>(paths.gridAtlas(gridUuid), signal);
    if (!atlas) return NONE;
    const tiles = await get<AtlasTile[]>(paths.atlasTiles(atlas.uuid), signal);
    const placed = tiles.filter((t) => t.position_x !== null && t.position_y !== null && t.size_x && t.size_y);
    const images = await Promise.all(
      placed.map(async (t): Promise<MapImage | null> => {
        const p = await getPreview('atlastile', t.uuid, signal);
        return p && { image: p.bitmap, x: t.position_x!, y: t.position_y!, w: t.size_x!, h: t.size_y! };
      }),
    );
    const found = images.filter((m): m is MapImage => m !== null);
    return found.length ? found : NONE;
  });
}

/** The grid square image, covering the full image (readout area) the foil hole positions are pixels of. */
export function useSquareImage(squareUuid: string): MapImage[] {
  return usePictures(`square:${squareUuid}`, async (signal) => {
    const p = await getPreview('gridsquare', squareUuid, signal);
    if (!p) return NONE;
    const frame = p.frame ?? { width: p.bitmap.width, height: p.bitmap.height };
    return [{ image: p.bitmap, x: 0, y: 0, w: frame.width, h: frame.height }];
  });
}
