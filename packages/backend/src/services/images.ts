/**
 * Preview images on disk: `<dir>/<kind>/<uuid>.jpg` with a `<uuid>.json` beside it (ETag, pixel size, frame). The
 * file name is the entity's uuid, checked against `IMAGE_ID_PATTERN` before any path is built, so no request can name
 * a file outside `dir`. Writes go to a temporary file renamed into place: a reader sees the old image or the new one.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IMAGE_ID_PATTERN, jpegSize, type ImageFrame, type ImageKind } from '@smartem/common';

export interface StoredImage {
  etag: string;
  bytes: number;
  width: number;
  height: number;
  frame_width?: number;
  frame_height?: number;
  stored_at: string;
}

const ID = new RegExp(IMAGE_ID_PATTERN);

export class ImageStore {
  constructor(readonly dir: string) {}

  private base(kind: ImageKind, uuid: string): string {
    if (!ID.test(uuid)) throw new Error(`image id ${JSON.stringify(uuid)} is not a plain id`);
    return join(this.dir, kind, uuid);
  }

  /** Stores a JPEG (already checked by the caller); unchanged bytes and frame leave the files alone. */
  async put(kind: ImageKind, uuid: string, jpeg: Buffer, frame: ImageFrame): Promise<{ image: StoredImage; changed: boolean }> {
    const base = this.base(kind, uuid);
    const size = jpegSize(jpeg);
    if (!size) throw new Error('not a JPEG with a frame header');
    const etag = `"${createHash('sha256').update(jpeg).digest('base64url').slice(0, 22)}"`;
    const previous = await this.meta(kind, uuid);
    if (previous && previous.etag === etag && previous.frame_width === frame.frame_width && previous.frame_height === frame.frame_height) {
      return { image: previous, changed: false };
    }
    const image: StoredImage = { etag, bytes: jpeg.length, ...size, ...frame, stored_at: new Date().toISOString() };
    await mkdir(join(this.dir, kind), { recursive: true });
    const tmp = `${base}.${randomUUID()}.tmp`;
    await writeFile(tmp, jpeg);
    await rename(tmp, `${base}.jpg`);
    await writeFile(tmp, JSON.stringify(image));
    await rename(tmp, `${base}.json`);
    return { image, changed: true };
  }

  async meta(kind: ImageKind, uuid: string): Promise<StoredImage | null> {
    try {
      return JSON.parse(await readFile(`${this.base(kind, uuid)}.json`, 'utf8')) as StoredImage;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async read(kind: ImageKind, uuid: string): Promise<Buffer | null> {
    try {
      return await readFile(`${this.base(kind, uuid)}.jpg`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }
}
