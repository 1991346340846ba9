/**
 * Preview images of entities: the JPEGs EPU writes beside its image manifests (atlas tiles, grid-square images,
 * foil-hole images, micrograph thumbnails), uploaded by the agent and served by the backend under
 * `/images/{kind}/{uuid}`. URLs carry a kind and an id, never a path.
 */
import type { EntityKind } from './entities.ts';

/** The kinds that have a preview image. */
export const IMAGE_KINDS = ['atlastile', 'gridsquare', 'foilhole', 'micrograph'] as const satisfies readonly EntityKind[];
export type ImageKind = (typeof IMAGE_KINDS)[number];

export const isImageKind = (kind: string): kind is ImageKind => (IMAGE_KINDS as readonly string[]).includes(kind);

/** Largest image the backend stores (EPU's previews are 512 px wide, 30–100 kB). */
export const IMAGE_MAX_BYTES = 4 * 1024 * 1024;

/** An id that can name a file: letters, digits, `-` and `_` (a uuid), so no id can reach outside its directory. */
export const IMAGE_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

/** The image route of an entity, relative to the API root. */
export const imagePath = (kind: ImageKind, uuid: string): string => `images/${kind}/${encodeURIComponent(uuid)}`;

/**
 * Query parameters of an upload: the size in pixels of the full image the preview shows (the readout area of a grid
 * square image, whose pixels the foil hole positions are given in), so the dashboard can place it under the holes.
 * The backend sends them back as `X-Frame-Width` / `X-Frame-Height`.
 */
export interface ImageFrame {
  frame_width?: number;
  frame_height?: number;
}

/** True when the bytes start like a JPEG (SOI then a marker). */
export const isJpeg = (bytes: Uint8Array): boolean => bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;

/** Width and height from a JPEG's frame header (any SOF marker), or null when there is none before the scan. */
export function jpegSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (!isJpeg(bytes)) return null;
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = (bytes[i + 5]! << 8) | bytes[i + 6]!;
      const width = (bytes[i + 7]! << 8) | bytes[i + 8]!;
      return width > 0 && height > 0 ? { width, height } : null;
    }
    if (marker === 0xda) return null; // start of scan before any frame header
    i += 2 + length;
  }
  return null;
}
