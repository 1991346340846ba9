// The recording format of the original fsrecorder: `recording.json` + `chunks/chunk_<n>.bin`
// in a gzip tar, format version 2.0. Field names and event types are the original's.

export type FsEventType = 'initial_dir' | 'initial_file' | 'created' | 'modified' | 'appended' | 'truncated' | 'deleted' | 'moved';

export interface FsEvent {
  /** Seconds since the epoch (float). */
  timestamp: number;
  event_type: FsEventType;
  /** POSIX path relative to the watched directory. */
  src_path: string;
  dest_path: string | null;
  is_directory: boolean;
  /** Text content (whole file, or the appended bytes for `appended`). */
  content: string | null;
  size: number | null;
  /** sha256 hex of the whole file after the event, or `unreadable_<size>_<mtime>`. */
  content_hash: string | null;
  binary_chunk_id: string | null;
  operation_data: Record<string, number>;
  file_position: number | null;
  is_placeholder: boolean;
}

export interface RecordingMetadata {
  recorded_at: string;
  watch_dir: string;
  total_events: number;
  version: string;
  platform: string;
}

export interface Recording {
  metadata: RecordingMetadata;
  events: FsEvent[];
  /** `chunk_<n>` → bytes. */
  chunks: Map<string, Buffer>;
}

export const FORMAT_VERSION = '2.0';
/** Text files at or above this size are stored as binary chunks, as the original does. */
export const INLINE_LIMIT = 1024 * 1024;

const TEXT_EXTENSIONS = new Set(
  'txt md json xml html htm css js py java cpp c h hpp cs php rb go rs sh bat ps1 yml yaml toml ini cfg conf log csv tsv sql r tex latex rtf dockerfile makefile gitignore gitattributes license readme dm'.split(
    ' ',
  ),
);
const BINARY_EXTENSIONS = new Set(
  'jpg jpeg png gif bmp tiff tif webp ico svg mp4 avi mov wmv flv mkv webm mp3 wav flac ogg pdf doc docx ppt pptx xls xlsx zip rar 7z tar gz bz2 xz exe dll so dylib bin dat db sqlite mrc'.split(
    ' ',
  ),
);

export interface ContentPolicy {
  /** Binary files become placeholders (size only). Default true, as the original. */
  skipBinaryContent: boolean;
  forceText: Set<string>;
  forceBinary: Set<string>;
}

export function defaultPolicy(): ContentPolicy {
  return { skipBinaryContent: true, forceText: new Set(), forceBinary: new Set() };
}

function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const dot = name.lastIndexOf('.');
  return dot === -1 ? name : name.slice(dot + 1);
}

/** The original's rule: forced lists, then known extensions, then sniff the first KiB (NUL or invalid UTF-8 → binary). */
export function isBinary(path: string, head: Buffer, policy: ContentPolicy): boolean {
  const ext = extensionOf(path);
  if (policy.forceText.has(ext)) return false;
  if (policy.forceBinary.has(ext)) return true;
  if (TEXT_EXTENSIONS.has(ext)) return false;
  if (BINARY_EXTENSIONS.has(ext)) return true;
  const sample = head.subarray(0, 1024);
  if (sample.length === 0) return false;
  if (sample.includes(0)) return true;
  return !isUtf8Prefix(sample);
}

/** Valid UTF-8, allowing a multi-byte sequence cut at the end of the sample. */
function isUtf8Prefix(buf: Buffer): boolean {
  for (let cut = 0; cut < 4 && cut < buf.length; cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, buf.length - cut));
      return true;
    } catch {
      // try a shorter prefix
    }
  }
  return false;
}

/** Decodes as UTF-8 when the bytes round-trip exactly (so replay restores the same bytes), else null. */
export function exactText(buf: Buffer): string | null {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf);
    return Buffer.byteLength(text) === buf.length ? text : null;
  } catch {
    return null;
  }
}

export function emptyEvent(type: FsEventType, path: string, isDirectory: boolean, timestamp: number): FsEvent {
  return {
    timestamp,
    event_type: type,
    src_path: path,
    dest_path: null,
    is_directory: isDirectory,
    content: null,
    size: null,
    content_hash: null,
    binary_chunk_id: null,
    operation_data: {},
    file_position: null,
    is_placeholder: false,
  };
}
